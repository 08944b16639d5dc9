"""Webhooks (api.webhooks): a department system's URL gets a signed JSON POST when a task is
offered to it — a real HTTP server on a spare loopback port receives it. Delivered after the
commit, retried when the receiver fails, handed again from the outbox when the broker was
down (the advance commits regardless), never sent to a department that cannot see the task.
"""
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from api.models import WebhookDelivery, WebhookDeliveryStatus
from api.services import api_token_create, api_token_revoke
from api.webhooks import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signature_valid,
    webhook_set,
    webhook_sweep,
)
from engine.models import TaskStatus
from tests.processes import free_port, published_to
from tests.workflows.bundles.helpers import after_death_data, department_user, file_bundle

pytestmark = [pytest.mark.django_db,
              pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")]

AFTER_DEATH = "after_death_bundle"


class Receiver:
    """A department system's endpoint: records each POST; answers ``fail_first`` times
    with 500, then 200."""

    def __init__(self, fail_first: int = 0, stall: float = 0):
        self.requests: list[dict] = []
        self.fail_first = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body,
                                          "path": self.path})
                failing = len(receiver.requests) <= receiver.fail_first
                if receiver.stall:
                    threading.Event().wait(receiver.stall)  # answers after the sender gave up
                self.send_response(500 if failing else 200)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.stall = stall
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def _hooked(department: str, url: str):
    token, _ = api_token_create(user=department_user(department), label=f"{department}系统")
    hook, secret = webhook_set(token_pk=token.pk, url=url)
    return token, hook, secret


def _file(village, applicant):
    return file_bundle(AFTER_DEATH, after_death_data(village, death_type="unnatural",
                                                     wanted_items=[]), user=applicant)


def _police_task(case):
    return case.tasks.get(status=TaskStatus.OPEN, lane="department:公安")


def test_offered_task_is_posted_signed_once_and_only_to_its_department(
        demo, applicant, village, django_capture_on_commit_callbacks):
    with Receiver() as police_rx, Receiver() as health_rx:
        _, police_hook, secret = _hooked("公安", police_rx.url)
        _hooked("卫健", health_rx.url)  # holds no task of this case
        with django_capture_on_commit_callbacks(execute=True):
            case = _file(village, applicant)
            # Nothing is sent inside the transaction that opened the task.
            assert police_rx.requests == []
        task = _police_task(case)
        [request] = police_rx.requests
        headers, body = request["headers"], request["body"]
        assert signature_valid(secret, headers[TIMESTAMP_HEADER], body,
                               headers[SIGNATURE_HEADER])
        assert not signature_valid(secret, headers[TIMESTAMP_HEADER], body + b" ",
                                   headers[SIGNATURE_HEADER])
        assert not signature_valid("another-secret", headers[TIMESTAMP_HEADER], body,
                                   headers[SIGNATURE_HEADER])
        payload = json.loads(body)
        assert payload["event"] == "task.offered" and payload["task"]["id"] == task.pk
        assert payload["task"]["role"] == "department:公安"
        assert headers[DELIVERY_HEADER] == headers["Idempotency-Key"] == payload["id"]
        assert health_rx.requests == []
        delivery = WebhookDelivery.objects.get(webhook=police_hook)
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == \
            (WebhookDeliveryStatus.SENT, 1, 200)
        # Handed again (a redelivered Celery message, a sweep): already sent, nothing sent.
        from api.tasks import webhook_deliver_task

        assert webhook_deliver_task.delay(delivery.pk).get() == "sent"
        assert len(police_rx.requests) == 1


def test_a_failing_receiver_is_retried_with_the_same_key(
        demo, applicant, village, django_capture_on_commit_callbacks):
    with Receiver(fail_first=1) as rx:
        token, hook, secret = _hooked("公安", rx.url)
        with django_capture_on_commit_callbacks(execute=True):
            _file(village, applicant)
        first, second = rx.requests
        assert first["headers"][DELIVERY_HEADER] == second["headers"][DELIVERY_HEADER]
        for request in (first, second):
            assert signature_valid(secret, request["headers"][TIMESTAMP_HEADER],
                                   request["body"], request["headers"][SIGNATURE_HEADER])
        delivery = hook.deliveries.get()
        assert (delivery.status, delivery.attempts, delivery.last_error) == \
            (WebhookDeliveryStatus.SENT, 2, "")


def test_a_receiver_that_does_not_answer_is_not_waited_for_again_in_eager_mode(
        demo, applicant, village, django_capture_on_commit_callbacks, monkeypatch):
    """Without a broker (embedded, eager) a timed-out attempt is not retried on the spot — the
    clerk's request would wait on it each time; the delivery stays pending for the sweep."""
    monkeypatch.setattr("api.webhooks.TIMEOUT", (0.5, 0.3))
    with Receiver(stall=1.0) as rx:
        _, hook, _ = _hooked("公安", rx.url)
        with django_capture_on_commit_callbacks(execute=True):
            _file(village, applicant)
        delivery = hook.deliveries.get()
        assert len(rx.requests) == 1
        assert (delivery.status, delivery.attempts) == (WebhookDeliveryStatus.PENDING, 1)
        assert "ReadTimeout" in delivery.last_error


def test_the_system_sees_its_own_hook_and_deliveries_only(
        demo, applicant, village, township_staff, django_capture_on_commit_callbacks):
    from django.test import Client

    with Receiver(fail_first=100) as rx:
        _, raw = api_token_create(user=department_user("公安"), label="公安系统")
        token = department_user("公安").api_tokens.get()
        webhook_set(token_pk=token.pk, url=rx.url)
        with django_capture_on_commit_callbacks(execute=True):
            _file(village, applicant)
    own = Client(HTTP_AUTHORIZATION=f"Token {raw}").get("/api/webhook/").json()
    assert own["url"] == rx.url
    [delivery] = own["deliveries"]
    assert delivery["status"] == "failed" and delivery["last_status_code"] == 500
    assert delivery["attempts"] == 6 and "500" in delivery["last_error"]
    # Another system's token (no hook of its own), a session: 404.
    _, health = api_token_create(user=department_user("卫健"), label="卫健系统")
    assert Client(HTTP_AUTHORIZATION=f"Token {health}").get("/api/webhook/").status_code == 404
    session = Client()
    session.force_login(township_staff)
    assert session.get("/api/webhook/").status_code == 404


def test_a_receiver_that_always_fails_is_marked_failed_with_its_error(
        demo, applicant, village, django_capture_on_commit_callbacks):
    with Receiver(fail_first=100) as rx:
        _, hook, _ = _hooked("公安", rx.url)
        with django_capture_on_commit_callbacks(execute=True):
            case = _file(village, applicant)
        delivery = hook.deliveries.get()
        assert delivery.status == WebhookDeliveryStatus.FAILED
        assert delivery.attempts == 6 == len(rx.requests)  # the first try and 5 retries
        assert delivery.last_status_code == 500 and "500" in delivery.last_error
    # The advance stands whatever the receiver did.
    assert _police_task(case).status == TaskStatus.OPEN


def test_broker_down_the_advance_commits_and_the_sweep_delivers_later(
        demo, applicant, village, django_capture_on_commit_callbacks):
    with Receiver() as rx:
        _, hook, _ = _hooked("公安", rx.url)
        with published_to(f"redis://127.0.0.1:{free_port()}/0"):
            with django_capture_on_commit_callbacks(execute=True):
                case = _file(village, applicant)  # no error for the applicant
            assert _police_task(case).status == TaskStatus.OPEN
            delivery = hook.deliveries.get()
            assert delivery.status == WebhookDeliveryStatus.PENDING and rx.requests == []
            # The sweep while the broker is still down: nothing handed, nothing lost.
            assert webhook_sweep(now=timezone.now() + timedelta(minutes=21)) == 0
        # The broker is back (here: eager again): the sweep hands it and it is delivered.
        assert webhook_sweep(now=timezone.now()) == 0  # still within the grace period
        assert webhook_sweep(now=timezone.now() + timedelta(minutes=42)) == 1
        delivery.refresh_from_db()
        assert delivery.status == WebhookDeliveryStatus.SENT
        assert json.loads(rx.requests[0]["body"])["task"]["id"] == _police_task(case).pk


def test_revoked_token_or_inactive_hook_is_not_called(
        demo, applicant, village, django_capture_on_commit_callbacks):
    with Receiver() as rx:
        token, _, _ = _hooked("公安", rx.url)
        api_token_revoke(token_pk=token.pk)
        with django_capture_on_commit_callbacks(execute=True):
            _file(village, applicant)
        assert rx.requests == [] and not WebhookDelivery.objects.exists()
        other, _ = api_token_create(user=department_user("公安"), label="公安二号")
        webhook_set(token_pk=other.pk, url=rx.url, active=False)
        with django_capture_on_commit_callbacks(execute=True):
            _file(village, applicant)
        assert rx.requests == [] and not WebhookDelivery.objects.exists()


def test_hook_url_must_be_http(demo):
    from engine.errors import ActionRefused

    token, _ = api_token_create(user=department_user("公安"), label="公安系统")
    for url in ("ftp://example.org/x", "javascript:alert(1)", "", "http://"):
        with pytest.raises(ActionRefused):
            webhook_set(token_pk=token.pk, url=url)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_retries_after_the_receiver_fails_once(applicant, village, tmp_path,
                                                             monkeypatch):
    """Through a real broker and Celery worker (not eager): the filing returns at once, the
    worker's first POST gets a 500, Celery's retry (after the backoff, 1 s here) succeeds
    with the same idempotency key and signature scheme."""
    import time

    from tests.processes import RedisServer, Worker

    monkeypatch.setenv("WEBHOOK_RETRY_BASE_SECONDS", "1")
    monkeypatch.setenv("WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8")  # the receiver's address
    redis_server = RedisServer(tmp_path)
    redis_server.start()
    worker = Worker(redis_server.url)
    output = ""
    try:
        with Receiver(fail_first=1) as rx, published_to(redis_server.url):
            _, hook, secret = _hooked("公安", rx.url)
            worker.start()
            case = _file(village, applicant)
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and not hook.deliveries.filter(
                    status=WebhookDeliveryStatus.SENT).exists():
                time.sleep(0.3)
            output = worker.stop()
            first, second = rx.requests
    finally:
        output = output or worker.stop()
        redis_server.stop()
    delivery = hook.deliveries.get()
    assert (delivery.status, delivery.attempts) == (WebhookDeliveryStatus.SENT, 2), output[-3000:]
    assert first["headers"][DELIVERY_HEADER] == second["headers"][DELIVERY_HEADER] == \
        str(delivery.key)
    assert signature_valid(secret, second["headers"][TIMESTAMP_HEADER], second["body"],
                           second["headers"][SIGNATURE_HEADER])
    assert json.loads(second["body"])["task"]["id"] == _police_task(case).pk


def test_another_countys_supervisor_cannot_touch_the_hook(demo):
    from django.http import Http404

    from api.webhooks import webhook_remove, webhook_secret_renew
    from engine.models import UnitLevel
    from engine.services import unit_create

    jindong = unit_create(name="金东区", level=UnitLevel.COUNTY, doc_prefix="金东民")
    token, hook, secret = _hooked("公安", "http://127.0.0.1:9/hook")
    for call in (lambda: webhook_set(token_pk=token.pk, url="http://evil.example/", county=jindong),
                 lambda: webhook_secret_renew(token_pk=token.pk, county=jindong),
                 lambda: webhook_remove(token_pk=token.pk, county=jindong)):
        with pytest.raises(Http404):
            call()
    hook.refresh_from_db()
    assert (hook.url, hook.secret) == ("http://127.0.0.1:9/hook", secret)


def test_a_hook_cannot_point_at_this_server_or_a_metadata_service(
        demo, applicant, village, settings, django_capture_on_commit_callbacks):
    """Loopback, link-local (the cloud's metadata service) and unresolvable hosts are refused
    on save, in Chinese; a hook whose address became one of them is not POSTed to. Private
    intranet addresses stay allowed (department systems live there)."""
    from engine.errors import ActionRefused

    token, _ = api_token_create(user=department_user("公安"), label="公安系统")
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    for url, words in [("http://127.0.0.1:8000/admin/", "本机或保留地址"),
                       ("http://169.254.169.254/latest/meta-data/", "本机或保留地址"),
                       ("http://[::1]/hook", "本机或保留地址"),
                       ("http://no-such-host.invalid/hook", "无法解析")]:
        with pytest.raises(ActionRefused, match=words):
            webhook_set(token_pk=token.pk, url=url)
    hook, _ = webhook_set(token_pk=token.pk, url="http://10.20.30.40/hook")  # intranet
    # Allowed when saved (here: loopback allowed then), refused when it is sent.
    with Receiver() as rx:
        settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
        hook, _ = webhook_set(token_pk=token.pk, url=rx.url)
        settings.WEBHOOK_ALLOWED_NETWORKS = []
        with django_capture_on_commit_callbacks(execute=True):
            _file(village, applicant)
        assert rx.requests == []
        delivery = hook.deliveries.get()
        assert "本机或保留地址" in delivery.last_error
