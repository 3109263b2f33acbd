"""What learning tells the apps downstream of it (they may not be imported from here)."""

from django.dispatch import Signal

# Sent when a refund closed an enrollment (inside the refund's transaction), with `enrollment` and `actor`.
enrollment_refunded = Signal()

# Sent when a pop-up question was answered wrongly (inside the answer's transaction), with `user` and
# `question_id`: exams puts the question into the learner's 错题本.
checkpoint_answered_wrong = Signal()

# Sent by learning's pages (下一步 on 学员中心 and 班级首页) with `enrollments`: exams answers
# {enrollment id: next_step.ExamFacts} for those it has attempts of, with a fixed number of queries.
exam_facts_wanted = Signal()
