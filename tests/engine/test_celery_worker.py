"""A real Celery worker against the real Redis broker fires a BPMN timer.

The test process only enqueues; the worker (a separate process with its own database
connection) locks the case, fires the timer and writes the new inbox row.
"""
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings

from engine.models import HumanTask, TaskStatus
from engine.services import case_start, definition_deploy
from tests.processes import Worker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True),
              pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")]

DATA = Path(__file__).resolve().parent.parent / "data" / "short_timer"


@pytest.fixture
def worker():
    redis_url = settings.TEST_REDIS_URL
    redis.Redis.from_url(redis_url).flushdb()
    process = Worker(redis_url)
    process.start()
    yield redis_url
    print(process.stop()[-3000:])


def test_worker_fires_due_timer_sent_through_redis(demo, village, township_staff, worker):
    definition_deploy(key="short_timer", name="短定时器",
                      bpmn_xml=(DATA / "short_timer.bpmn").read_text(encoding="utf-8"),
                      dmn_xmls=[])
    case = case_start(procedure="short_timer", title="定时测试", village=village,
                      applicant_name="张建国", data={}, started_by=township_staff)
    assert case.next_timer_at is not None
    assert not case.tasks.exists()
    time.sleep(1.2)

    from config.celery import app

    with app.connection_for_write(worker) as conn:
        app.send_task("engine.tasks.timers_fire_due_task", connection=conn)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if HumanTask.objects.filter(case=case, status=TaskStatus.OPEN).exists():
            break
        time.sleep(0.3)
    task = HumanTask.objects.get(case=case, status=TaskStatus.OPEN)
    assert task.spec_name == "after_wait"
    case.refresh_from_db()
    assert case.next_timer_at is None
