"""Test settings: the real PostgreSQL on 127.0.0.1 unless DATABASE_URL says otherwise.

Concurrency, locking and numbering tests need a database with real row locks, so the
whole suite runs on PostgreSQL; Celery stays eager for unit tests (integration tests
start a real worker against REDIS_URL themselves).
"""
import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/minzheng")

from .base import *  # noqa: E402,F403
from .base import DATABASES  # noqa: E402

DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME", "test_minzheng")}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_BROKER_URL = "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = True
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

# The webhook tests' receivers listen on loopback (api.webhooks.address_refused).
WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
