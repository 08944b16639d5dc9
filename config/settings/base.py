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
# Off unless asked for: only the demo (bin/demo) runs with DEBUG=1. With it on, a wrong URL
# shows Django's page listing every URL pattern.
DEBUG = os.environ.get("DEBUG", "0") == "1"
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

# Absolute URL of the public site; QR codes on documents point here.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

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
# The modeler's pinned browser bundles (bpmn-js, dmn-js), installed by bin/setup with
# `npm ci` into frontend/node_modules; only their dist/ folders are served.
STATICFILES_DIRS = [
    ("bpmn-js", BASE_DIR / "frontend" / "node_modules" / "bpmn-js" / "dist"),
    ("dmn-js", BASE_DIR / "frontend" / "node_modules" / "dmn-js" / "dist"),
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
                   "`Authorization: Token <令牌>`）。所有接口与网页使用同一套权限规则。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# Where procedures keep their diagrams and document templates.
BPMN_DIR = BASE_DIR / "bpmn"
PRINT_TEMPLATES_DIR = BASE_DIR / "print_templates"

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
}
CELERY_TIMEZONE = TIME_ZONE

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
