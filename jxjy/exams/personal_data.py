"""The exams part of 下载我的个人信息, and what a completed 注销申请 deletes here (jxjy.accounts.personal_data).

Exam attempts are kept (a passed exam is part of a 合格 year, with the ledger). Practice and the 错题本 count for
nothing and only served the learner: they are deleted."""

from jxjy.accounts.personal_data import register_anonymiser, register_exporter, when

from .models import ExamAttempt, Practice, WrongQuestion


def export_attempts(user) -> list:
    attempts = ExamAttempt.objects.filter(user=user).select_related("enrollment__training_class")
    return [
        {
            "班级": attempt.enrollment.training_class.title,
            "第几次": attempt.number,
            "状态": attempt.get_status_display(),
            "开始时间": when(attempt.started_at),
            "交卷时间": when(attempt.submitted_at),
            "到时自动交卷": "是" if attempt.auto_submitted else "否",
            "成绩": attempt.score,
            "合格": "是" if attempt.passed else "否",
        }
        for attempt in attempts.order_by("-started_at", "-id")
    ]


def export_practice(user) -> dict:
    practices = Practice.objects.filter(user=user).select_related("enrollment__training_class")
    wrong = WrongQuestion.objects.filter(user=user).select_related("question")
    return {
        "练习": [
            {
                "班级": practice.enrollment.training_class.title,
                "错题练习": "是" if practice.from_wrong_book else "否",
                "开始时间": when(practice.created_at),
                "提交时间": when(practice.submitted_at),
                "题数": practice.total,
                "答对": practice.correct,
                "得分": practice.score if practice.submitted_at else None,
            }
            for practice in practices
        ],
        "错题本": [
            {
                "题目": item.question.text[:80],
                "来源": item.get_source_display(),
                "错误次数": item.wrong_count,
                "最近答错": when(item.last_wrong_at),
            }
            for item in wrong
        ],
    }


def forget_practice(user) -> str:
    practices = Practice.objects.filter(user=user).delete()[0]
    wrong = WrongQuestion.objects.filter(user=user).delete()[0]
    return f"删除练习 {practices} 次、错题 {wrong} 道"


def register():
    register_exporter("考试记录", export_attempts)
    register_exporter("练习与错题本", export_practice)
    register_anonymiser("练习与错题本", forget_practice)
