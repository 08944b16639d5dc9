"""Production: PostgreSQL and Redis are required, debug is off."""
import os

from .base import *  # noqa: F403

DEBUG = False
if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
    raise RuntimeError("production settings need DATABASE_URL and REDIS_URL")
SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
