"""A real Celery worker against the real Redis broker fires a BPMN timer.

The test process only enqueues; the worker (a separate process with its own database
connection) locks the case, fires the timer and writes the new inbox row.
"""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from engine.models import HumanTask, TaskStatus
from engine.services import case_start, definition_deploy

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True),
              pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")]

DATA = Path(__file__).resolve().parent.parent / "data" / "short_timer"


@pytest.fixture
def worker():
    redis_url = settings.TEST_REDIS_URL
    redis.Redis.from_url(redis_url).flushdb()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
                        f"{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": redis_url,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo",
         "--loglevel=INFO", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)
    yield redis_url
    process.terminate()
    try:
        output, _ = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    print(output[-3000:])


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
