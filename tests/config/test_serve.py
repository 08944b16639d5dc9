"""bin/serve: the production process layout — gunicorn workers with production settings,
static files served by WhiteNoise from the web process, the site answering behind a TLS proxy.
Runs the real script against the test database."""
import os
import secrets
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, **headers):
    request = urllib.request.Request(url, headers={"Host": "mz.example.gov.cn", **headers})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        return opener.open(request, timeout=10)
    except urllib.error.HTTPError as exc:
        return exc


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def served():
    db = connection.settings_dict
    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in {"DEBUG", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update({
        "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "mz.example.gov.cn",
        "DATABASE_URL": f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}"
                        f":{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": "redis://127.0.0.1:6379/15", "SECURE_PROXY_SSL_HEADER": "1",
        "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2",
    })
    process = subprocess.Popen([str(REPO / "bin" / "serve")], cwd=REPO, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.3)
    try:
        assert process.poll() is None, process.communicate()[0][-3000:]
        yield base, process
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
        print(output[-3000:])


def test_serve_runs_gunicorn_with_static_files_and_https_behind_a_proxy(served):
    base, process = served
    # Plain HTTP is sent to HTTPS; behind the proxy (X-Forwarded-Proto) the page answers.
    assert _get(f"{base}/login/").status == 301
    login = _get(f"{base}/login/", **{"X-Forwarded-Proto": "https"})
    assert login.status == 200
    page = login.read().decode()
    assert "登录" in page
    assert login.headers["Strict-Transport-Security"].startswith("max-age=")
    # A static file, under its hashed name, compressed, cached for a year.
    css = next(part.split('"')[0] for part in page.split('href="')[1:]
               if part.startswith("/static/") and ".css" in part.split('"')[0])
    assert len(Path(css).stem.rsplit(".", 1)[-1]) == 12, css  # the content hash
    static = _get(f"{base}{css}", **{"X-Forwarded-Proto": "https", "Accept-Encoding": "gzip"})
    assert static.status == 200
    assert "max-age=315360000" in static.headers["Cache-Control"]
    assert static.headers.get("Content-Encoding") == "gzip"
    # Worker processes: gunicorn's master and WEB_CONCURRENCY workers.
    children = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True,
                              text=True).stdout.split()
    assert len(children) == 2, children
