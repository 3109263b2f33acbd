"""Settings, read from the environment.

Safe development defaults; optional services switch on only when configured:
no DATABASE_URL means a SQLite file, no REDIS_URL means local-memory cache and
database sessions. Secrets may come from `<NAME>_FILE` (Docker/K8s secrets).
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)
(VAR_DIR / "static").mkdir(exist_ok=True)


def env(name, default=None):
    """Return an environment value, or the contents of the file `<name>_FILE` points to."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get(name, default)


TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


def env_bool(name, default=False):
    """True or False from one of TRUE_WORDS / FALSE_WORDS (any case); unset or empty means `default`. Anything
    else is refused: a typo such as DEBUG=ture must not quietly read as off."""
    value = env(name)
    if value is None or value.strip() == "":
        return default
    word = value.strip().lower()
    if word in TRUE_WORDS or word in FALSE_WORDS:
        return word in TRUE_WORDS
    raise ImproperlyConfigured(
        f"环境变量 {name} 的值无法识别，请填写 {'、'.join(TRUE_WORDS)}（开启）或 {'、'.join(FALSE_WORDS)}（关闭）。"
    )


def env_int(name, default):
    value = env(name)
    return int(value) if value not in (None, "") else default


def env_list(name, default=""):
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


# Off unless asked for: `make run` and the test suite set DEBUG=1; production never does.
DEBUG = env_bool("DEBUG", False)
# Development conveniences (captcha answer PASSED, /dev/outbox/, simulated bank).
# Follows DEBUG unless set; a system check refuses them in production.
DEV_TOOLS = env_bool("DEV_TOOLS", DEBUG)


# The public development values of the secrets: a system check refuses any of them in production.
DEV_SECRETS = {}


def secret(name, dev_default):
    DEV_SECRETS[name] = dev_default
    value = env(name)
    if value:
        return value
    if DEBUG:
        return dev_default
    raise ImproperlyConfigured(f"环境变量 {name} 未设置（生产环境必须配置；在开发环境中运行请设置 DEBUG=1）。")


SECRET_KEY = secret("SECRET_KEY", "dev-only-insecure-key-" + "x" * 40)
# AES-256-GCM key for ID numbers and mobiles (base64 of 32 bytes) and the key of
# their keyed blind index. Both live outside the database; rotate by adding a
# new FIELD_ENCRYPTION_KEYS entry in front.
FIELD_ENCRYPTION_KEYS = [
    key.strip() for key in secret("FIELD_ENCRYPTION_KEYS", "ZGV2LW9ubHktZmllbGQta2V5LTMyLWJ5dGVzLWxvbmc=").split(",")
]
BLIND_INDEX_KEY = secret("BLIND_INDEX_KEY", "dev-only-blind-index-key")
# The platform's Ed25519 key that signs certificates (base64 of the 32-byte raw private key).
CERTIFICATE_SIGNING_KEY = secret("CERTIFICATE_SIGNING_KEY", "ZGV2LW9ubHktY2VydGlmaWNhdGUta2V5LTMyLWJ5dGU=")
# The TrueType font embedded in PDFs (Debian: fonts-wqy-microhei); reportlab cannot embed Noto CJK (OpenType/CFF).
PDF_FONT = env("PDF_FONT", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "axes",
    "captcha",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "jxjy.lib",
    "jxjy.audit",
    "jxjy.accounts",
    "jxjy.catalog",
    "jxjy.learning",
    "jxjy.credits",
    "jxjy.exams",
    "jxjy.certificates",
    "jxjy.review",
    "jxjy.declarations",
    "jxjy.facetoface",
    "jxjy.office",
    "jxjy.orders",
    "jxjy.payments",
    "jxjy.portal",
    "jxjy.demo",
]

MIDDLEWARE = [
    "jxjy.lib.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "jxjy.lib.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "jxjy.audit.middleware.NotFoundAuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "jxjy.accounts.middleware.SessionTimeoutMiddleware",
    "jxjy.office.middleware.StaffSecurityMiddleware",
    "jxjy.accounts.middleware.MobileRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "jxjy.urls"
WSGI_APPLICATION = "jxjy.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "jxjy" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jxjy.portal.context_processors.site",
                "jxjy.orders.context_processors.pre_enrollment",
            ],
        },
    },
]

FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "jxjy.lib.redis_cache.RedisCache",  # Django's, one client per pool (jxjy.lib.redis_cache)
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "jxjy"),
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "jxjy.accounts.validators.LengthValidator", "OPTIONS": {"min_length": 8, "max_length": 128}},
    {"NAME": "jxjy.accounts.validators.LettersAndDigitsValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "jxjy.accounts.validators.PersonalNumberValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "learning:center"
LOGOUT_REDIRECT_URL = "portal:home"

# Sessions: learners idle 30 min, staff idle 15 min, anyone 12 h at most.
SESSION_COOKIE_AGE = 12 * 3600
SESSION_IDLE_TIMEOUT_LEARNER = env_int("SESSION_IDLE_TIMEOUT_LEARNER", 30 * 60)
SESSION_IDLE_TIMEOUT_STAFF = env_int("SESSION_IDLE_TIMEOUT_STAFF", 15 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "jxjy.portal.views.csrf_failure"

# django-axes: five failures for one account lock it for 30 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # the lock ends 30 min after it began
AXES_LOCKOUT_CALLABLE = "jxjy.accounts.views.lockout"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
AXES_VERBOSE = False
# axes keeps the request's GET/POST data with an attempt: mask everything personal or secret.
AXES_SENSITIVE_PARAMETERS = [
    "password",
    "id_number",
    "mobile",
    "name",
    "captcha_0",
    "captcha_1",
    "csrfmiddlewaretoken",
    "sms_code",
    "new_password1",
    "new_password2",
    "old_password",
    "next",
]
# Accounts are locked by username only, so an attacker cannot lock a learner out by IP tricks, and
# a shared office IP does not lock a whole unit; addresses are throttled by LOGIN_RATE_PER_IP_MINUTE.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Captcha: in development and tests the answer PASSED is accepted.
CAPTCHA_TEST_MODE = DEV_TOOLS
CAPTCHA_LENGTH = 4
CAPTCHA_TIMEOUT = 5
CAPTCHA_FONT_SIZE = 30
CAPTCHA_IMAGE_SIZE = (110, 44)
CAPTCHA_CHALLENGE_FUNCT = "captcha.helpers.random_char_challenge"
CAPTCHA_NOISE_FUNCTIONS = ("captcha.helpers.noise_dots",)

# SMS
SMS_BACKEND = env(
    "SMS_BACKEND",
    "jxjy.lib.sms.filebased.SmsBackend" if DEV_TOOLS else "jxjy.lib.sms.aliyun.SmsBackend",
)
SMS_FILE_PATH = VAR_DIR / "sms-outbox.jsonl"
SMS_CODE_TTL = timedelta(minutes=5)
SMS_CODE_MAX_TRIES = 5
SMS_LIMITS_PER_MOBILE = [(60, 1), (3600, 5), (86400, 10)]
SMS_LIMIT_PER_IP_HOUR = env_int("SMS_LIMIT_PER_IP_HOUR", 20)
ALIYUN_SMS_ACCESS_KEY_ID = env("ALIYUN_SMS_ACCESS_KEY_ID", "")
ALIYUN_SMS_ACCESS_KEY_SECRET = env("ALIYUN_SMS_ACCESS_KEY_SECRET", "")
ALIYUN_SMS_SIGN_NAME = env("ALIYUN_SMS_SIGN_NAME", "")
ALIYUN_SMS_ENDPOINT = env("ALIYUN_SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com/")
ALIYUN_SMS_TEMPLATES = {
    "code": env("ALIYUN_SMS_TEMPLATE_CODE", ""),
    "notice": env("ALIYUN_SMS_TEMPLATE_NOTICE", ""),
}
LOGIN_RATE_PER_IP_MINUTE = env_int("LOGIN_RATE_PER_IP_MINUTE", 20)

# Orders and payments
ORDER_PAYMENT_TIMEOUT_MINUTES = env_int("ORDER_PAYMENT_TIMEOUT_MINUTES", 30)
PAYMENT_QUERY_AFTER_MINUTES = env_int("PAYMENT_QUERY_AFTER_MINUTES", 15)
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", "")  # e.g. https://jxjy.example.cn, for gateway notify/return URLs
_ALL_PROVIDERS = {
    "mockbank": "jxjy.payments.providers.mockbank.MockBankProvider",
    "alipay": "jxjy.payments.providers.alipay.AlipayProvider",
    "wechat": "jxjy.payments.providers.wechat.WechatPayProvider",
}
PAYMENT_PROVIDERS = {
    name: _ALL_PROVIDERS[name] for name in env_list("PAYMENT_PROVIDERS", "mockbank" if DEV_TOOLS else "alipay,wechat")
}
# The 模拟银行's signing key has a (public) default in development only; without DEV_TOOLS there is none, and the bank
# itself is refused (jxjy.payments.providers, check payments.E001).
MOCKBANK_SECRET = secret("MOCKBANK_SECRET", "dev-only-mockbank-secret") if DEV_TOOLS else env("MOCKBANK_SECRET", "")
ALIPAY_APP_ID = env("ALIPAY_APP_ID", "")
ALIPAY_PRIVATE_KEY = env("ALIPAY_PRIVATE_KEY", "")
ALIPAY_PUBLIC_KEY = env("ALIPAY_PUBLIC_KEY", "")
ALIPAY_SELLER_ID = env("ALIPAY_SELLER_ID", "")
ALIPAY_GATEWAY = env("ALIPAY_GATEWAY", "https://openapi.alipay.com/gateway.do")
WECHAT_APP_ID = env("WECHAT_APP_ID", "")
WECHAT_MCH_ID = env("WECHAT_MCH_ID", "")
WECHAT_MCH_PRIVATE_KEY = env("WECHAT_MCH_PRIVATE_KEY", "")
WECHAT_MCH_SERIAL = env("WECHAT_MCH_SERIAL", "")
WECHAT_API_V3_KEY = env("WECHAT_API_V3_KEY", "")
WECHAT_PLATFORM_PUBLIC_KEY = env("WECHAT_PLATFORM_PUBLIC_KEY", "")
WECHAT_PLATFORM_SERIAL = env("WECHAT_PLATFORM_SERIAL", "")
WECHAT_API_BASE = env("WECHAT_API_BASE", "https://api.mch.weixin.qq.com")

# Celery: Redis as broker when configured; otherwise tasks run in-process.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL or "memory://")
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL == "memory://"
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker process takes one task at a time: a long transcode never sits on a second task a free worker could run,
# and a dead worker has at most the one it was running to give back (CELERY_BROKER_TRANSPORT_OPTIONS, below).
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Seconds between writes of the learners' playback state from Redis to PostgreSQL: what losing Redis may cost each.
HEARTBEAT_FLUSH_SECONDS = 10
CELERY_BEAT_SCHEDULE = {
    "close-expired-orders": {"task": "jxjy.orders.tasks.close_expired_orders", "schedule": 60},
    "query-pending-payments": {"task": "jxjy.payments.tasks.query_pending_payments", "schedule": 300},
    "flush-playback-state": {"task": "jxjy.learning.tasks.flush_playback_state", "schedule": HEARTBEAT_FLUSH_SECONDS},
    "close-overdue-exams": {"task": "jxjy.exams.tasks.close_overdue_attempts", "schedule": 30},
    "lapse-waiting-bookings": {"task": "jxjy.facetoface.tasks.lapse_waiting_bookings", "schedule": 3600},
    # 面授班 with sessions: 结算考勤 (the attendance share rule) for classes that ended; hourly is enough and quiet.
    "settle-ended-facetoface": {"task": "jxjy.facetoface.tasks.settle_ended_classes", "schedule": 3600},
    "sweep-stalled-video-jobs": {"task": "jxjy.catalog.tasks.sweep_stalled_video_jobs", "schedule": 60},
    # 学习异常: yesterday's evidence, every rule, while nobody studies (issue 16); and playback evidence older than
    # PLAYBACK_EVIDENCE_DAYS pruned.
    "scan-yesterday": {"task": "jxjy.review.tasks.scan_yesterday", "schedule": crontab(hour=2, minute=30)},
    "prune-playback-evidence": {
        "task": "jxjy.learning.tasks.prune_playback_evidence",
        "schedule": crontab(hour=3, minute=30),
    },
}
PLAYBACK_EVIDENCE_DAYS = 730  # playback sessions (学时明细's evidence) are kept two years
# 学习异常 over playback (jxjy.review.rules_playback): when a day's study is worth an office's look.
REVIEW_LONG_DAY_SECONDS = env_int("REVIEW_LONG_DAY_SECONDS", 10 * 3600)  # more credited time than this in one day
REVIEW_NIGHT_HOURS = (0, 6)  # credited study in every hour from 0:00 to 5:59
REVIEW_REFUSED_BEATS = env_int("REVIEW_REFUSED_BEATS", 20)  # refused heartbeats of one kind in one playback
REVIEW_ACCOUNTS_PER_DEVICE = env_int("REVIEW_ACCOUNTS_PER_DEVICE", 3)  # more accounts studying on one device a day
REVIEW_ACCOUNTS_PER_IP = env_int("REVIEW_ACCOUNTS_PER_IP", 30)  # … or from one address (a unit's NAT can be normal)
REVIEW_UNITS_PER_IP = env_int("REVIEW_UNITS_PER_IP", 3)  # …from this many work units (one unit's NAT is normal)

# --- the heartbeat's fast path (issue 17) ---
# An ordinary heartbeat is answered right after the security headers (jxjy.learning.fastpath): its session, the
# learner's auth card (jxjy.accounts.authcard: no User row from PostgreSQL) and the playback state; anything unusual
# (no card, an idle or old session, a CSRF failure, a query string) goes on through the whole stack below.
MIDDLEWARE.insert(
    MIDDLEWARE.index("jxjy.lib.middleware.SecurityHeadersMiddleware") + 1, "jxjy.learning.fastpath.HeartbeatFastPath"
)
HEARTBEAT_AUTH_CARD_PREFIX = env("HEARTBEAT_STATE_PREFIX", "hb:") + "card:"
HEARTBEAT_AUTH_CARD_TTL = 600  # seconds a card vouches for a session without the User row being read again
HEARTBEAT_AUTH_CARD_TOMBSTONE = 60  # seconds after an account change in which no card may be written
# --- end the heartbeat's fast path ---

# Learning-time integrity (DESIGN.md §7)
HEARTBEAT_INTERVAL = 15  # seconds between heartbeats while playing
HEARTBEAT_BUDGET_CAP = 60  # wall-clock seconds a session may bank for late (retried) heartbeats
HEARTBEAT_MAX_SEGMENT = 45  # most seconds one heartbeat can credit
HEARTBEAT_SEEK_TOLERANCE = 2.0  # seconds of slack at the furthest watched point
HEARTBEAT_LATE_TOLERANCE = 10.0  # a heartbeat this much later than the clock is late, not a seek
COURSEWARE_FINISHED_COVERAGE = 0.95
CHECKPOINTS_PER_COURSEWARE = (1, 3)
HEARTBEAT_STATE_PREFIX = env("HEARTBEAT_STATE_PREFIX", "hb:")  # Redis keys of the playback state
HEARTBEAT_STATE_TTL = 6 * 3600  # seconds an idle learner's state stays in Redis (written to PostgreSQL long before)

AVATAR_MAX_BYTES = 2 * 1024 * 1024
AVATAR_MAX_PIXELS = 40_000_000

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
# Plain words first: the project's catalogue overrides Django's and the packages' zh_Hans messages (issue 15).
LOCALE_PATHS = [BASE_DIR / "jxjy" / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "jxjy" / "static"]
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"  # never routed: every upload is served by a view that checks access
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# Security headers; HTTPS-only settings switch on outside DEBUG.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

SITE_NAME = "江苏省机关事业单位工勤人员继续教育网络培训平台"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "jxjy.lib.logging.RequestIdFilter"},
        "redact": {"()": "jxjy.lib.logging.RedactFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id", "redact"],
            "formatter": "plain",
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    # The beat tasks run every 10–60 s: their "succeeded" lines would drown the log.
    "loggers": {"axes": {"level": "WARNING"}, "celery.app.trace": {"level": "WARNING"}},
}

# 证书核验: lookups per IP per minute on the public verification pages
CERTIFICATE_VERIFY_RATE_PER_IP_MINUTE = env_int("CERTIFICATE_VERIFY_RATE_PER_IP_MINUTE", 30)

# 在线考试
EXAM_GRACE_SECONDS = 30  # a submission this late after the deadline (a slow network) is still taken

# --- Back-office staff sign-in (issue 7): TOTP second factor, staff password policy, one staff sign-in ---
# (django_otp and its TOTP plugin are in INSTALLED_APPS; OTPMiddleware marks request.user verified and
# StaffSecurityMiddleware sends /admin/ and /office/ through the staff sign-in, the second factor and the forced
# password change — both in MIDDLEWARE above.)
AUTH_PASSWORD_VALIDATORS += [{"NAME": "jxjy.office.validators.StaffPasswordValidator", "OPTIONS": {"min_length": 12}}]
AXES_LOCKOUT_CALLABLE = "jxjy.office.views.auth.lockout"  # the staff page for /office/login/, the learner one elsewhere
OTP_TOTP_ISSUER = "江苏工勤继续教育"
OTP_TOTP_THROTTLE_FACTOR = 0  # wrong codes are counted and locked by jxjy.office.security (5 → 30 min)
STAFF_OTP_MAX_FAILURES = 5
STAFF_OTP_LOCK = timedelta(minutes=30)
STAFF_PASSWORD_MAX_AGE = timedelta(days=env_int("STAFF_PASSWORD_MAX_AGE_DAYS", 90))
# --- end back-office staff sign-in ---

# --- invoices and 单位统一报名缴费 (jxjy.orders; the 财务 desk is jxjy.office.views.finance) ---
INVOICE_REQUEST_DAYS = env_int("INVOICE_REQUEST_DAYS", 90)  # an invoice may be asked for within 90 days of payment
INVOICE_PDF_MAX_BYTES = 5 * 1024 * 1024
UNIT_ORDER_MAX_ROWS = env_int("UNIT_ORDER_MAX_ROWS", 300)
# --- end invoices ---

# --- content (课程管理, issue 7) ---
# The largest courseware video accepted (bytes); nginx's client_max_body_size must allow it too.
CONTENT_VIDEO_MAX_BYTES = env_int("CONTENT_VIDEO_MAX_BYTES", 2 * 1024 * 1024 * 1024)
# --- end content ---

# --- Deployment (issue 7, reports/deployment): media on S3-compatible object storage ---------------------------
# django-storages reads its bucket and credentials from these options (not from the environment), so pass them.
# Needs `django-storages[s3]` installed (README "Deployment"); objects stay private, every URL is signed.
if env("AWS_STORAGE_BUCKET_NAME"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env("AWS_S3_REGION_NAME") or None,
            "access_key": env("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env("AWS_SECRET_ACCESS_KEY") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": env_int("AWS_QUERYSTRING_EXPIRE", 3600),
            "file_overwrite": False,
        },
    }
# --- end Deployment -------------------------------------------------------------------------------------------

# --- accounts (issue 12) ---
# A username typed into a sign-in that looks like an ID number or a mobile is kept by django-axes (attempts, failure
# and access logs, its log lines) only as a keyed hash; the form's raw `username` is masked in the stored POST data.
AXES_USERNAME_CALLABLE = "jxjy.accounts.usernames.axes_username"
AXES_SENSITIVE_PARAMETERS = [*AXES_SENSITIVE_PARAMETERS, "username"]
# --- end accounts (issue 12) ---

# --- unit enrollment (issue 12): 单位统一报名缴费 invitations and the page's limits ---
UNIT_INVITATION_DAYS = env_int("UNIT_INVITATION_DAYS", 7)  # listed learners may confirm for this long
UNIT_ENROLL_POSTS_PER_USER_HOUR = env_int("UNIT_ENROLL_POSTS_PER_USER_HOUR", 10)  # lists sent per contact
# Lists sent per address: looser, as a government intranet may reach us through one address for many units.
UNIT_ENROLL_POSTS_PER_IP_HOUR = env_int("UNIT_ENROLL_POSTS_PER_IP_HOUR", 60)
# Rows refused with the generic reason, per contact per day: a prober's harvest, a real unit's few typos.
UNIT_ENROLL_REFUSED_ROWS_PER_USER_DAY = env_int("UNIT_ENROLL_REFUSED_ROWS_PER_USER_DAY", 30)
# --- end unit enrollment ---

# --- payments (issue 12) ---
# 支付通知 (notify URL): anyone can post to it. A body over NOTIFY_MAX_BODY_BYTES is refused unread (a gateway's is a
# few KB); of a body that fails verification only NOTIFY_STORED_BODY_BYTES are kept (with its SHA-256 and length).
NOTIFY_MAX_BODY_BYTES = env_int("NOTIFY_MAX_BODY_BYTES", 256 * 1024)
NOTIFY_STORED_BODY_BYTES = 8 * 1024
# Unverified notifications stored per source address, and in all, per window (seconds); beyond that they are still
# answered and counted but not stored. Verified ones never count and are never refused: a gateway's retries (WeChat
# 15 in 24 h per notification, Alipay 8 in 25 h) and its peak volume from a few addresses are never held back.
NOTIFY_UNVERIFIED_PER_IP = (env_int("NOTIFY_UNVERIFIED_PER_IP", 20), 600)
NOTIFY_UNVERIFIED_TOTAL = (env_int("NOTIFY_UNVERIFIED_TOTAL", 200), 600)
NOTIFY_LOG_INTERVAL = 60  # at most one log line per reason per minute for refused notifications
# Idempotency-Key on 立即支付 (security requirement 43): kept this long, then purged by the beat task.
PAYMENT_IDEMPOTENCY_KEY_HOURS = env_int("PAYMENT_IDEMPOTENCY_KEY_HOURS", 24)
PAYMENT_IDEMPOTENCY_STALE_SECONDS = 120  # a key whose first request died this long ago may run again
CELERY_BEAT_SCHEDULE["purge-idempotency-keys"] = {
    "task": "jxjy.payments.tasks.purge_idempotency_keys",
    "schedule": 3600,
}
# --- end payments ---

# --- security requirements (issue 12, reqs) ---
# No ID number or mobile in a URL query string (ASVS 8.3.1): refused with a 400 page before any view, right after
# the user is known (so the page shows the right menu).
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "jxjy.lib.urlguard.PersonalNumbersNotInUrlMiddleware",
)
# Django's template engine logs every missing variable at DEBUG with the whole context (the request's URL, the CSRF
# token): never, even when LOG_LEVEL=DEBUG is set to trace a problem.
LOGGING["loggers"]["django.template"] = {"level": "INFO"}
# --- end security requirements ---

# --- platform hardening (issue 12: uploads, proxies, ffmpeg) ---
# The nginx hosts (addresses or networks) in front of the app: only from them is an X-Request-ID kept (otherwise a
# fresh id is made), and deploy/gunicorn.conf.py reads the same variable for X-Real-IP. Never 0.0.0.0/0.
TRUSTED_PROXY_IPS = env_list("TRUSTED_PROXY_IPS")
# ffmpeg on uploaded videos: killed when a probe or a transcode runs longer than this (seconds).
VIDEO_PROBE_TIMEOUT = env_int("VIDEO_PROBE_TIMEOUT", 60)
VIDEO_TRANSCODE_TIMEOUT = env_int("VIDEO_TRANSCODE_TIMEOUT", 4 * 3600)
# 视同申报 attachments: all of one learner's files together (each file ≤ 10 MB, 5 a claim).
DECLARATION_ATTACHMENT_QUOTA_BYTES = env_int("DECLARATION_ATTACHMENT_QUOTA_BYTES", 100 * 1024 * 1024)
# --- end platform hardening ---

# --- bad input is never a 500 (issue 13, item 5) ---
# A NUL or a lone surrogate anywhere in a request, a body that is not the UTF-8 it must be, or one too large: a
# plain 400/413 before sessions, sign-in or any view touch it (jxjy.lib.input).
MIDDLEWARE.insert(
    MIDDLEWARE.index("jxjy.lib.middleware.RequestIdMiddleware") + 1, "jxjy.lib.input.InputHygieneMiddleware"
)
# --- end bad input ---

# --- video jobs survive a dead worker (issue 13) ---
# A transcoding task is acknowledged only when done; if its whole worker dies, Redis hands it out again once this
# many seconds have passed since delivery, so it must be longer than the longest job (the transcode timeout plus
# fetching, probing and storing), or a job still running would be started a second time.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", VIDEO_TRANSCODE_TIMEOUT + 3600),
}
VIDEO_WORK_DIR = env("VIDEO_WORK_DIR", "")  # a job's working directory goes here (default: the system's temp dir)
VIDEO_JOB_HEARTBEAT_SECONDS = env_int("VIDEO_JOB_HEARTBEAT_SECONDS", 30)  # a running job records it is alive
# The sweeper (beat, every minute) marks a 转码中 job with no heartbeat for this long 失败（处理中断）; well above the
# heartbeat and the longest silent step (a probe, the poster: VIDEO_PROBE_TIMEOUT, 120 s).
VIDEO_JOB_STALL_SECONDS = env_int("VIDEO_JOB_STALL_SECONDS", 300)
VIDEO_JOB_MAX_ATTEMPTS = 3  # runs of one job that died with their worker before it is marked 失败 instead of retried
# --- end video jobs ---

# --- outages answered calmly (issue 13, item 4) ---
# A database, Redis or broker outage met by a view is a calm 503 with Retry-After (jxjy.lib.outage); one met in a
# middleware reaches handler500 (jxjy.portal.views.server_error), which answers the same way.
MIDDLEWARE.insert(MIDDLEWARE.index("jxjy.lib.middleware.RequestIdMiddleware") + 1, "jxjy.lib.outage.OutageMiddleware")
if REDIS_URL:
    # Django's cache sessions take an unreachable Redis for "no session" and sign everyone out: this one raises.
    SESSION_ENGINE = "jxjy.lib.cache_sessions"
# --- end outages ---

# --- 学习异常: exam rules ---
# 同单位答卷雷同 (jxjy.review.rules_exams): two learners of one unit, one class's exam, handed in within this many
# minutes of each other, with the same answer to at least this share of the (at least 10) questions both papers had,
# AND at least this many identical WRONG answers (two good learners are both right; copied sheets are wrong alike).
REVIEW_SHEET_MINUTES = 10
REVIEW_SHEET_AGREEMENT = 0.9
REVIEW_SHEET_SHARED_WRONG = 3
# 考试用时过短: a passed exam handed in in less time than reading its questions and options once at this speed takes.
# Adults read Chinese for comprehension at about 300–500 characters a minute and fast readers at 600–800; 15 a
# second (900 a minute) is beyond a fast reader skimming, with no time counted for thinking or clicking, so a paper
# handed in sooner cannot have been read (a 20-question paper of about 1,600 characters: under 1 minute 46 seconds).
REVIEW_READING_CHARS_PER_SECOND = 15
# --- end 学习异常: exam rules ---
