"""config.settings.production: refuses to start half-configured; check --deploy is clean."""
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GOOD = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "minzheng.example.gov.cn",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/minzheng",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def _manage(*args, **env):
    base = {k: v for k, v in os.environ.items()
            if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "DEBUG",
                         "DJANGO_ALLOW_ASYNC_UNSAFE"}}  # set by the browser tests
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, capture_output=True, text=True,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings.production", **env},
        timeout=120)


def test_check_deploy_is_clean():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **GOOD)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("missing", sorted(GOOD))
def test_refuses_to_start_without(missing):
    env = {k: v for k, v in GOOD.items() if k != missing}
    result = _manage("check", **env)
    assert result.returncode != 0
    assert missing in result.stderr


@pytest.mark.parametrize("key", ["dev-insecure-key-change-me", "short", "a" * 60])
def test_refuses_a_weak_secret_key(key):
    result = _manage("check", **{**GOOD, "SECRET_KEY": key})
    assert result.returncode != 0
    assert "SECRET_KEY must be a random value" in result.stderr


def test_debug_is_off_unless_asked(settings):
    # The test run itself uses base settings without DEBUG set.
    from django.conf import settings as live

    assert live.DEBUG is False


def test_wrong_verification_url_is_a_chinese_404_without_url_list(client, db):
    response = client.get("/verify/00000000-0000-0000-0000-000000000000/?c=WRONG")
    assert response.status_code == 404
    text = response.content.decode()
    assert "页面不存在" in text and "URLconf" not in text


def test_server_error_page_is_chinese(client, db, settings):
    from django.test import Client
    from django.urls import path

    def boom(request):
        raise RuntimeError("boom")

    settings.ROOT_URLCONF = type("urls", (), {"urlpatterns": [path("boom/", boom)]})
    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    assert "系统繁忙" in response.content.decode()


def test_production_never_makes_demo_signing_keys():
    """Production signs with installed keys only: SIGNING_AUTO_CREATE is off unless set."""
    probe = ("from django.conf import settings; "
             "print(settings.SIGNING_AUTO_CREATE, settings.SIGNING_DIR)")
    result = _manage("shell", "--verbosity", "0", "-c", probe, **GOOD)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "False"
