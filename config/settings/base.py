"""Settings shared by every environment.

Values come from environment variables. With none set the app runs embedded:
SQLite and Celery in eager mode, so a newcomer can try it with one command.
``DATABASE_URL`` switches to PostgreSQL, ``REDIS_URL`` to a real broker and worker.
"""
import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = os.environ.get("SECRET_KEY", "dev-insecure-key-change-me")
# Keys the audit trail's hash chains (engine.audit); empty: SECRET_KEY. Set it to keep the
# chains verifiable across a SECRET_KEY rotation.
AUDIT_CHAIN_KEY = os.environ.get("AUDIT_CHAIN_KEY", "")
# Off unless asked for: only the demo (bin/demo) runs with DEBUG=1. With it on, a wrong URL
# shows Django's page listing every URL pattern.
DEBUG = os.environ.get("DEBUG", "0") == "1"
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

# Absolute URL of the public site; QR codes on documents point here.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
# Addresses of the reverse proxy (the same variable bin/serve hands to gunicorn): a request
# from one of them is from the client its X-Forwarded-For names last (portal.views_public's
# per-address objection limit); "*" trusts every peer.
FORWARDED_ALLOW_IPS = [address.strip() for address in
                       os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1").split(",")
                       if address.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "guardian",
    "django_filters",
    "engine",
    "workflows",
    # Procedures that keep data of their own (organisations, catalogues...) are apps too.
    "workflows.elderly_home",
    "workflows.annual_inspection",
    "workflows.cemetery",
    "workflows.bundles",
    "portal",
    # The REST API (api/): Django REST framework, its OpenAPI 3 schema and the locally
    # served Swagger UI / Redoc (no CDN at run time).
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files (the modeler's bundles, the portal's CSS) from every web process, no
    # separate file server needed; in production compressed and with hashed names.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A diagram failure no view caught: a Chinese page, never a 500 (portal/middleware.py).
    "portal.middleware.EngineFailureMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Set for this application's connections only (not the server): every query of the web
    # and the workers is a short index lookup or a capped count, but the planner's cost of a
    # count with the visibility rule's correlated EXISTS runs into the 100,000s, so JIT
    # compiled it first — 1.1 of the dashboard's 1.5 s at a county's scale (EXPLAIN ANALYZE
    # in bench/README.md) — and a parallel worker's start-up (5-10 ms on a busy 2-core box)
    # cost more than the scans it split. Other clients of the server keep its defaults.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = \
        "-c jit=off -c max_parallel_workers_per_gather=0"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite serialises writers. IMMEDIATE takes the write lock when a transaction begins, so
    # two writers queue for it (with the busy timeout) instead of one failing with "database
    # is locked" when it upgrades a read lock; WAL lets pages read while the timer loop writes.
    # select_for_update() is a no-op on SQLite: the IMMEDIATE lock is what serialises advances.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                        "PRAGMA busy_timeout=20000;",
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
# The pinned browser bundles (bpmn-js, dmn-js for the modeler, ECharts for the dashboard),
# installed by bin/setup with `npm ci` into frontend/node_modules; only their dist/ folders
# are served.
STATICFILES_DIRS = [
    ("bpmn-js", BASE_DIR / "frontend" / "node_modules" / "bpmn-js" / "dist"),
    ("dmn-js", BASE_DIR / "frontend" / "node_modules" / "dmn-js" / "dist"),
    ("echarts", BASE_DIR / "frontend" / "node_modules" / "echarts" / "dist"),
    # The DMN editor rebuilt for production by bin/setup (frontend/build.mjs).
    ("frontend-build", BASE_DIR / "frontend" / "build"),
]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:login"

# The REST API (api/): sessions for the browser, per-system tokens for department systems
# (api.authentication). Session first, so an anonymous call is a 403 like the pages'.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "api.authentication.ApiTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "api.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "民政审批引擎 API",
    "DESCRIPTION": "审批事项、申请、案件、待办任务与文书的接口。浏览器使用登录会话；"
                   "部门系统使用县民政局主管人员签发的接口令牌（请求头 "
                   "`Authorization: Token <令牌>`）。所有接口与网页使用同一套权限规则。"
                   "拒绝时一律返回 JSON：`detail` 为中文原因，校验未通过时 `errors` 列出各字段的错误。"
                   "任务推送给部门时，可向其登记的 Webhook 网址发送签名通知（请求头 "
                   "`X-Minzheng-Signature: sha256=<HMAC-SHA256(密钥, 时间戳 + \".\" + 请求体)>`、"
                   "`X-Minzheng-Timestamp`、幂等键 `Idempotency-Key`，失败重试、至少送达一次），"
                   "或轮询 `/api/tasks/outbox/`。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation documents DRF's own refusals in the shared Error shape (api.schema).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "api.schema.add_error_responses"],
}

# Where procedures keep their diagrams and document templates.
BPMN_DIR = BASE_DIR / "bpmn"
PRINT_TEMPLATES_DIR = BASE_DIR / "print_templates"

# Digital signatures on documents (engine/signing.py): keys and certificates live outside the
# repository, under SIGNING_DIR (units/<doc_prefix>/key.pem + cert.pem [+ chain.pem]; trust
# anchors ca/ca.crt or SIGNING_TRUST_ROOTS, comma-separated paths). SIGNING_AUTO_CREATE=1
# (the default outside production) makes a demo CA and unit certificates when missing;
# production refuses to issue a document whose unit has none.
SIGNING_DIR = Path(os.environ.get("SIGNING_DIR", str(BASE_DIR / "var" / "signing")))
SIGNING_TRUST_ROOTS = [p for p in os.environ.get("SIGNING_TRUST_ROOTS", "").split(",") if p]
SIGNING_AUTO_CREATE = os.environ.get("SIGNING_AUTO_CREATE", "1") == "1"
SIGNING_KEY_PASSPHRASE = os.environ.get("SIGNING_KEY_PASSPHRASE", "")
# Largest PDF the verification page accepts (documents are ~200 KB).
VERIFY_UPLOAD_MAX_BYTES = 10 * 1024 * 1024

# Celery: a real broker when REDIS_URL is set, otherwise tasks run eagerly in-process.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
# A message is acknowledged after its task ran; a worker killed mid-task leaves it to be
# delivered again (tasks are idempotent). The Redis visibility timeout must exceed the
# longest countdown (a delivery's last retry waits 16 minutes), or waiting retries would be
# redelivered early; the outbox sweep (engine.outbox) and every worker start hand lost work
# again long before that.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A publish (a web request handing a render to the broker) tries the connection twice, 0.2 s
# apart, rather than kombu's default of retrying for 6 s: with the broker down the clerk's
# decision still returns at once, and the outbox sweep hands the work over later.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 1200, "socket_connect_timeout": 3,
                                   "socket_timeout": 10, "max_retries": 1,
                                   "interval_start": 0.2, "interval_step": 0.2,
                                   "interval_max": 0.2}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 100
CELERY_BEAT_SCHEDULE = {
    "fire-due-timers": {"task": "engine.tasks.timers_fire_due_task", "schedule": 30.0},
    "sweep-deadlines": {"task": "engine.tasks.deadline_sweep_task", "schedule": 300.0},
    "sweep-outbox": {"task": "engine.tasks.outbox_sweep_task", "schedule": 60.0},
    "sweep-webhooks": {"task": "api.tasks.webhook_sweep_task", "schedule": 60.0},
}
CELERY_TIMEZONE = TIME_ZONE

# Webhooks (api.webhooks): the first retry's delay, doubled at each further retry.
WEBHOOK_RETRY_BASE_SECONDS = int(os.environ.get("WEBHOOK_RETRY_BASE_SECONDS", "60"))
# Networks (CIDRs, comma-separated) webhooks may reach although they are loopback, link-local
# or reserved addresses (refused by default: api.webhooks.address_refused).
WEBHOOK_ALLOWED_NETWORKS = [n.strip() for n in
                            os.environ.get("WEBHOOK_ALLOWED_NETWORKS", "").split(",") if n.strip()]

# Notifications (engine.notifications): each channel is delivered by its own Celery task.
NOTIFICATION_CHANNELS = [c for c in os.environ.get("NOTIFICATION_CHANNELS", "email,sms")
                         .split(",") if c]
# Dotted path of an engine.notifications.SmsBackend; the console one prints (demo).
SMS_BACKEND = os.environ.get("SMS_BACKEND", "engine.notifications.ConsoleSmsBackend")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL",
                                    "民政审批服务平台 <noreply@minzheng.local>")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"engine": {"level": "INFO"}, "spiff": {"level": "WARNING"},
                "spiff.task": {"level": "WARNING"}, "spiff.workflow": {"level": "WARNING"}},
}
