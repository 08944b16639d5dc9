"""No issued decision is ever lost (engine.outbox): the decision commits whether or not the
broker is up, and pending renders are handed again by the sweep and at worker start.

The fault tests run their own redis-server on a spare port and their own Celery worker
processes (real PostgreSQL through the test database), and stop them.
"""
import time
from datetime import timedelta

import pytest

from engine.models import Document, DocumentStatus
from engine.outbox import outbox_sweep
from tests.processes import RedisServer, Worker, free_port, published_to
from tests.workflows.temporary_relief.helpers import complete, file_application

pytestmark = [pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")]


def _refuse_acceptance(case, township_staff):
    """受理审查 → 不予受理: the step that issues a document at once (不予临时救助告知书)."""
    complete(case, township_staff, "accept", acceptance="reject",
             refusal_reason="申请人户籍不在本镇")
    return Document.objects.get(case=case)


def _wait_ready(documents, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        statuses = set(Document.objects.filter(pk__in=[d.pk for d in documents])
                       .values_list("status", flat=True))
        if statuses == {DocumentStatus.READY}:
            return True
        time.sleep(0.3)
    return False


@pytest.mark.django_db(transaction=True)
def test_a_decision_commits_while_the_broker_is_down(applicant, village, township_staff,
                                                      tmp_path):
    """Nothing listens on the broker's port: the clerk's decision still commits (no error),
    the document waits as pending, and a sweep with the broker still down only logs."""
    with published_to(f"redis://127.0.0.1:{free_port()}/0"):
        case = file_application(user=applicant, village=village)
        document = _refuse_acceptance(case, township_staff)
        assert document.status == DocumentStatus.PENDING and document.number
        case.refresh_from_db()
        assert case.status == "completed"
        assert outbox_sweep(now=document.created_at + timedelta(minutes=5)) == \
            {"documents": 0, "deliveries": 0}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_broker_stopped_then_started_the_pdf_appears(applicant, village, township_staff,
                                                     tmp_path):
    redis_server = RedisServer(tmp_path)
    redis_server.start()
    worker = Worker(redis_server.url)
    try:
        with published_to(redis_server.url):
            worker.start()
            redis_server.stop()
            case = file_application(user=applicant, village=village)
            document = _refuse_acceptance(case, township_staff)  # no error for the clerk
            assert document.status == DocumentStatus.PENDING
            redis_server.start()  # the same port: the worker reconnects
            handed = outbox_sweep(now=document.created_at + timedelta(minutes=5))
            assert handed["documents"] == 1
            assert _wait_ready([document]), worker.stop()[-3000:]
    finally:
        output = worker.stop()
        redis_server.stop()
    document.refresh_from_db()
    assert bytes(document.pdf).startswith(b"%PDF") and document.number.endswith("1号"), output


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_render_every_document_rendered_once(applicant, village,
                                                               township_staff, tmp_path):
    redis_server = RedisServer(tmp_path)
    redis_server.start()
    first, second = Worker(redis_server.url), Worker(redis_server.url)
    documents = []
    try:
        with published_to(redis_server.url):
            for _ in range(10):
                case = file_application(user=applicant, village=village)
                documents.append(_refuse_acceptance(case, township_staff))
            first.start()
            deadline = time.monotonic() + 60  # until the worker is busy rendering
            while time.monotonic() < deadline and not Document.objects.filter(
                    pk__in=[d.pk for d in documents], status=DocumentStatus.READY).exists():
                time.sleep(0.1)
            first.kill()  # kill -9: its unacknowledged messages stay in Redis
            numbers_before = dict(Document.objects.filter(
                pk__in=[d.pk for d in documents]).values_list("pk", "number"))
            assert Document.objects.filter(pk__in=numbers_before,
                                           status=DocumentStatus.PENDING).exists(), \
                "the worker finished before it was killed; nothing to recover"
            second.start()  # its start-up sweep hands every pending document again
            assert _wait_ready(documents), second.stop()[-3000:]
    finally:
        second.stop()
        redis_server.stop()
    rendered = Document.objects.filter(pk__in=numbers_before)
    assert rendered.count() == 10  # no second document, no new number
    assert dict(rendered.values_list("pk", "number")) == numbers_before
    assert len(set(numbers_before.values())) == 10
    for document in rendered:
        assert bytes(document.pdf).startswith(b"%PDF")
