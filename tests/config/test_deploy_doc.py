"""docs/DEPLOY.md tells the truth: every environment variable the settings and scripts read is
documented and nothing documented is made up; the nginx example passes what the settings rely
on (and ``nginx -t`` where nginx is installed); the backup and restore commands, run as
written, bring back a database whose audit trail verifies and stays append-only; the upgrade
step ``deploy_procedures`` deploys nothing that did not change."""
import os
import re
import shutil
import subprocess
import sys
import uuid
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from engine.files import MAX_UPLOAD_BYTES

REPO = Path(__file__).resolve().parents[2]
DEPLOY = (REPO / "docs" / "DEPLOY.md").read_text(encoding="utf-8")

_PY_READS = [
    r"os\.environ(?:\.get|\.setdefault)?\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']",
    r"os\.environ\[\s*[\"']([A-Z][A-Z0-9_]*)[\"']\s*\]",
    r"_flag\(\s*\"([A-Z][A-Z0-9_]*)\"",  # config/settings/production.py
]
_SH_READS = r"\$\{([A-Z][A-Z0-9_]*):-"


def _read_variables() -> set[str]:
    names = set()
    for path in [*sorted((REPO / "config" / "settings").glob("*.py")), REPO / "manage.py",
                 REPO / "config" / "celery.py"]:
        text = path.read_text(encoding="utf-8")
        for pattern in _PY_READS:
            names |= set(re.findall(pattern, text))
        if "dj_database_url.config(" in text:
            names.add("DATABASE_URL")
    for script in ("serve", "demo"):
        names |= set(re.findall(_SH_READS, (REPO / "bin" / script).read_text()))
    return names


def _documented_variables() -> set[str]:
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", DEPLOY, re.M))


def test_every_environment_variable_is_documented_and_no_other():
    read, documented = _read_variables(), _documented_variables()
    assert {"SECRET_KEY", "DATABASE_URL", "WEB_CONCURRENCY", "SECURE_SSL_REDIRECT"} <= read
    assert read - documented == set(), "read but not in docs/DEPLOY.md"
    assert documented - read == set(), "in docs/DEPLOY.md but read nowhere"


def test_readme_links_the_deployment_page():
    assert "docs/DEPLOY.md" in (REPO / "README.md").read_text(encoding="utf-8")


def _nginx_example() -> str:
    return re.search(r"```nginx\n(.*?)```", DEPLOY, re.S).group(1)


def test_nginx_example_passes_what_the_settings_rely_on():
    conf = _nginx_example()
    for directive in ("proxy_set_header Host $host;",
                      "proxy_set_header X-Forwarded-Proto $scheme;",
                      "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
                      "ssl_certificate ", "listen 443 ssl", "return 301 https://"):
        assert directive in conf, directive
    size = re.search(r"client_max_body_size (\d+)m;", conf)
    assert size and int(size.group(1)) * 1024 * 1024 >= 4 * MAX_UPLOAD_BYTES
    # the upstream is where bin/serve listens by default
    assert "server 127.0.0.1:8000;" in conf
    assert "127.0.0.1:8000" in (REPO / "bin" / "serve").read_text()
    assert "location /static/" not in conf  # WhiteNoise serves them


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
def test_nginx_accepts_the_example(tmp_path):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",  # noqa: S607
                    "-days", "1", "-subj", "/CN=mz.example.gov.cn",
                    "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                   check=True, capture_output=True)
    block = (_nginx_example()
             .replace("/etc/ssl/minzheng/fullchain.pem", str(tmp_path / "cert.pem"))
             .replace("/etc/ssl/minzheng/privkey.pem", str(tmp_path / "key.pem")))
    temp = " ".join(f"{kind}_temp_path {tmp_path / kind};"
                    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'error.log'};\nevents {{}}\n"
        f"http {{\naccess_log off;\n{temp}\n{block}\n}}\n", encoding="utf-8")
    result = subprocess.run([shutil.which("nginx"), "-t", "-p", str(tmp_path), "-c",  # noqa: S603
                             str(tmp_path / "nginx.conf")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def _db_args() -> list[str]:
    db = connection.settings_dict
    return ["--host", db["HOST"] or "127.0.0.1", "--port", str(db["PORT"] or 5432),
            "--username", db["USER"] or "postgres"]


def _documented(command: str) -> list[str]:
    """The flags of the documented ``command`` (pg_dump, pg_restore) line, minus paths and
    the database name (each test supplies its own)."""
    line = next(line for line in DEPLOY.splitlines() if re.search(rf"\b{command} --", line))
    words = line.split(command, 1)[1].replace("\\", " ").split()
    return [word for word in words
            if (word.startswith("--") and "=" not in word)
            or word.startswith(("--format=", "--role="))]


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_as_documented(tmp_path, demo, applicant, village, township_staff):
    """pg_dump as the cron line runs it, pg_restore as the restore steps say, into a new
    database: the cases and the audit trail come back, audit_verify passes there, and the
    append-only trigger still refuses an UPDATE."""
    from engine.models import AuditEntry, Case
    from tests.workflows.temporary_relief.helpers import complete, file_application

    case = file_application(user=applicant, village=village)
    complete(case, township_staff, "accept", acceptance="accept")
    cases, entries = Case.objects.count(), AuditEntry.objects.count()
    dump_flags = _documented("pg_dump")
    assert "--format=custom" in dump_flags
    dump = tmp_path / "minzheng.dump"
    subprocess.run(["pg_dump", *dump_flags, *_db_args(), f"--file={dump}",  # noqa: S607
                    connection.settings_dict["NAME"]], check=True, capture_output=True)
    restored = f"test_restore_{uuid.uuid4().hex[:8]}"
    subprocess.run(["createdb", *_db_args(), restored],  # noqa: S607
                   check=True, capture_output=True)
    try:
        restore_flags = [flag for flag in _documented("pg_restore")
                         if not flag.startswith("--role=")]  # the test has no minzheng role
        assert {"--no-owner", "--exit-on-error"} <= set(restore_flags)
        subprocess.run(["pg_restore", *restore_flags, *_db_args(),  # noqa: S607
                        f"--dbname={restored}", str(dump)], check=True, capture_output=True)
        db = connection.settings_dict
        env = {**{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
               "DJANGO_SETTINGS_MODULE": "config.settings.base",
               "DATABASE_URL": f"postgres://{db['USER'] or 'postgres'}@"
                               f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{restored}"}
        for command in (["migrate", "--check"], ["audit_verify"]):
            result = subprocess.run([sys.executable, "manage.py", *command],  # noqa: S603
                                    cwd=REPO, env=env, capture_output=True, text=True,
                                    timeout=300)
            assert result.returncode == 0, (command, result.stdout, result.stderr)
        assert "审计记录完整" in result.stdout and f"{entries} 条记录" in result.stdout

        def psql(sql):
            return subprocess.run(["psql", *_db_args(), "-d", restored, "-Atc", sql],  # noqa: S607
                                  capture_output=True, text=True)

        assert psql("SELECT count(*) FROM engine_case").stdout.strip() == str(cases)
        update = psql("UPDATE engine_auditentry SET summary = 'x'")
        assert update.returncode != 0 and "append-only" in update.stderr
    finally:
        subprocess.run(["dropdb", *_db_args(), "--if-exists", restored],  # noqa: S607
                       capture_output=True)


def test_deploy_procedures_deploys_only_what_changed(demo):
    from engine.models import ProcessDefinition

    before = ProcessDefinition.objects.count()
    out = StringIO()
    call_command("deploy_procedures", stdout=out)
    assert ProcessDefinition.objects.count() == before  # nothing changed since the seed
    assert "temporary_relief：临时救助" in out.getvalue()
