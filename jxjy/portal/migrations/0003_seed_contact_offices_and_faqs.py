"""联系我们: one office per city of jxjy.lib.regions.CITIES (省直 → 省工考办), phones left blank (the page then says
「电话请咨询所在单位」; the province fills them in 业务后台 → 帮助与公告); and the first 常见问题, written for an
older learner on a phone and true to this platform's pages."""

from django.db import migrations

HOURS = "工作日 上午 9:00—12:00，下午 13:30—17:00（法定节假日除外）"

FAQS = [
    (
        "为什么我的学习进度不涨？",
        "请按下面几点检查：\n"
        "1. 先选课。公共课自动给您选好，专业课和选修课要自己选。不选课，进度最多到 33%。"
        "进班后点“去选课”，勾选课程，点“确认选中的课程”。\n"
        "2. 视频要正常播放。拖动到没看过的位置、倍速播放都不计学时。\n"
        "3. 只开一个页面。同时在两台手机或两个页面上看，只算一个。\n"
        "4. 弹出题目时要先答对，答对后才继续计时。\n"
        "5. 1 学时 = 45 分钟视频（以班级首页写的为准）。学完一门课，学时才记到档案里。",
    ),
    (
        "视频中弹出的题目答不对怎么办？",
        "弹出题目时视频会暂停，答对后才能继续播放和计时。\n"
        "1. 仔细看题，选好后点“提交答案”。\n"
        "2. 答错了可以重新选，次数不限。答错两次后，题目下面会显示解析或提示，照着再选一次。\n"
        "3. 平时也可以去“在线练习”，点“显示答案”熟悉这门课的题。\n"
        "4. 点了没反应，可能是网络断了或登录已过期：请刷新页面，重新登录后回到原来的课件接着学。",
    ),
    (
        "我换了手机号怎么办？",
        "旧号码还能收短信：登录后点右上角“Hi~,您的名字”→“账号设置”→“基础信息”，点“更换手机号”，"
        "输入新手机号和收到的短信验证码即可。\n"
        "旧号码已经停用：请带上身份证联系所在地市工考办，由工考办帮您更换。",
    ),
    (
        "忘记密码怎么办？",
        "1. 在登录页点“找回密码”。\n"
        "2. 输入注册时的姓名和身份证号，再输入图片上的验证码，点“下一步：获取短信验证码”。\n"
        "3. 填写注册手机收到的短信验证码，设置新密码，点“确认修改”。\n"
        "手机号已停用、收不到验证码：请联系所在地市工考办，工考办为您发起重置后，"
        "在找回密码页点“已收到工考办发送的验证码”。",
    ),
    (
        "发票怎么开？",
        "1. 报名时在“提交订单”页面选择发票抬头（个人或单位）和发票配送方式。\n"
        "2. 报名时没选的，缴费后到“我的订单”→“查看订单”，点“申请开票”（缴费后一段时间内可以申请，页面上有写）。\n"
        "3. 财务开票后，在订单详情里可以下载电子发票；选择邮寄的会显示快递单号；选择自取的请到所在地市工考办领取。",
    ),
    (
        "证书怎么打印？",
        "1. 班级进度达到 100%，并且考试成绩达到 60 分，才能打印证书。\n"
        "2. 在学员中心点“继续教育档案”，选择年度，点“打印证书”。\n"
        "3. 证书是 PDF 文件，可以保存到手机，也可以发到电脑上打印。证书上的二维码可以用来查验真伪。",
    ),
    (
        "视同申报怎么填？",
        "参加过研修班、进修班、技术交流等培训的，可以申报抵扣当年的学时。\n"
        "1. 在学员中心点“视同申报”→“新增申报”。\n"
        "2. 选择申报类型，填写培训名称、起止日期和学时。\n"
        "3. 上传证明材料（培训证书、课程表等，PDF、JPG 或 PNG，1 至 5 个）。\n"
        "4. 点“提交申请”，然后带上材料原件尽快到所属地市工考办审批。\n"
        "注意：只能抵扣当年，不能结转到下一年度；审批前可以修改或撤回。",
    ),
    (
        "面授班怎么报名？",
        "1. 在学员中心点“面授班”，找到当前年度的班，点“报名面授”。\n"
        "2. 同一年度已经报了网络班的，不能再报面授班。\n"
        "3. 报名后三天内可以点“取消报名”。\n"
        "4. 点“打印报名表”可以打印参训信息，参训那天带上。名额满了可以候补报名。",
    ),
    (
        "看视频很卡怎么办？",
        "1. 尽量连 Wi-Fi 观看，信号不好时换个位置。\n"
        "2. 关掉手机上其他正在用的软件和网页。\n"
        "3. 暂停一会儿再播放，或者刷新页面。已经看过的进度会保存，不会丢。\n"
        "4. 还是不行，换一台手机或电脑试试。",
    ),
    (
        "为什么倍速播放、拖动进度条不计时？",
        "按规定，学时要按正常速度真实观看才能计入。\n"
        "1. 倍速播放不计学时。\n"
        "2. 只能拖动到已经看过的位置，往后拖到没看过的地方不计学时。\n"
        "3. 切换到别的页面或锁屏时，视频会暂停计时，回来后点播放接着看就行。",
    ),
]


def seed(apps, schema_editor):
    City = apps.get_model("accounts", "City")
    ContactOffice = apps.get_model("portal", "ContactOffice")
    Faq = apps.get_model("portal", "Faq")
    for order, city in enumerate(City.objects.order_by("code"), start=1):
        province = city.code == "320000"
        ContactOffice.objects.get_or_create(
            city=city,
            defaults={
                "name": "省工考办" if province else f"{city.name}工考办",
                "hours": HOURS,
                "note": "省直单位的学员请联系省工考办。" if province else "",
                "sort_order": 99 if province else order,
            },
        )
    if not Faq.objects.exists():
        for order, (question, answer) in enumerate(FAQS, start=1):
            Faq.objects.create(question=question, answer=answer, sort_order=order * 10)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0002_help_contact_faq_attachments"),
        ("accounts", "0002_cities"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
