"""The embedded demo on SQLite: the timer loop and several clients completing tasks at once
never meet "database is locked" (IMMEDIATE transactions, WAL, a busy timeout)."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

WORKER = textwrap.dedent("""
    import os, sys
    import django
    django.setup()
    from engine.models import Unit
    from tests.workflows.temporary_relief.helpers import complete, file_application
    from django.contrib.auth import get_user_model
    users = get_user_model().objects
    village = Unit.objects.get(name="罗店村")
    for _ in range(int(sys.argv[1])):
        case = file_application(user=users.get(username="applicant_zhang"), village=village)
        complete(case, users.get(username="luodian_staff"), "accept", acceptance="accept")
    print("ok")
""")


@pytest.fixture
def sqlite_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
               DJANGO_SETTINGS_MODULE="config.settings.base", PYTHONPATH=str(REPO))
    # The staged demo cases are left out: this test is about locking, and they are tested
    # on their own (tests/workflows/test_demo_stages.py).
    for command in (["migrate", "--noinput"], ["seed_demo", "--no-stages"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=REPO, env=env, check=True,
                       capture_output=True, timeout=300)
    return env


def _investigations(env) -> int:
    """Cases that reached 入户调查 (the demo seed may have some of its own)."""
    check = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from engine.models import Case;"
         " print(Case.objects.filter(tasks__spec_name='investigate').distinct().count())"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=True)
    return int(check.stdout.split()[-1])


def test_timer_loop_and_parallel_completions_on_sqlite(sqlite_env):
    before = _investigations(sqlite_env)
    loop = subprocess.Popen([sys.executable, "manage.py", "run_timers", "--loop",
                             "--interval", "0.05"], cwd=REPO, env=sqlite_env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        workers = [subprocess.Popen([sys.executable, "-c", WORKER, "4"], cwd=REPO,
                                    env=sqlite_env, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True) for _ in range(3)]
        results = [worker.communicate(timeout=300) for worker in workers]
    finally:
        loop.terminate()
        _, loop_err = loop.communicate(timeout=30)
    for worker, (out, err) in zip(workers, results, strict=True):
        assert worker.returncode == 0 and out.strip().endswith("ok"), err[-3000:]
        assert "database is locked" not in err
    assert "database is locked" not in loop_err
    assert _investigations(sqlite_env) == before + 12
