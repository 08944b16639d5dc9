"""Shared fixtures: the demo organisation and named personas.

Personas follow the demo seed: applicant 张建国 lives in 罗店村 (罗店镇); the outsider is the
township staff of 安地镇, who must never see 罗店镇's cases.
"""
import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.utils import timezone

from engine.models import Unit
from workflows.demo import demo_seed
from workflows.services import procedures_deploy_all


def _demo_seeded() -> bool:
    from engine.models import ProcessDefinition

    return Unit.objects.filter(name="婺城区").exists() and ProcessDefinition.objects.exists()


@pytest.fixture(scope="session", autouse=True)
def signing_dir(tmp_path_factory):
    """One demo CA for the whole session (RSA keys cost ~0.1 s each): documents are signed
    with unit certificates created under it on first use, in a temporary SIGNING_DIR (also
    exported, so a worker or server a test starts signs with the same CA)."""
    import os

    from django.conf import settings

    path = tmp_path_factory.mktemp("signing")
    old, old_env = settings.SIGNING_DIR, os.environ.get("SIGNING_DIR")
    settings.SIGNING_DIR = path
    os.environ["SIGNING_DIR"] = str(path)
    yield path
    settings.SIGNING_DIR = old
    if old_env is None:
        os.environ.pop("SIGNING_DIR", None)
    else:
        os.environ["SIGNING_DIR"] = old_env


@pytest.fixture(scope="session")
def foreign_signing_dir(tmp_path_factory):
    """Another installation's SIGNING_DIR (use with override_settings): its own demo CA,
    not trusted by this one."""
    return tmp_path_factory.mktemp("foreign-signing")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database, with the demo organisation and the shipped definitions seeded once
    for the session (they cost ~0.3 s per test otherwise). Each test runs in a transaction
    that is rolled back, so the seed stays as it was; pytest-django runs the transactional
    tests last, and after their first flush the ``demo`` fixture seeds again."""
    with django_db_blocker.unblock():
        demo_seed()
        procedures_deploy_all()


@pytest.fixture
def no_demo(db):
    """A fresh installation: the session's demo seed removed, inside the test's transaction
    (so it is back for the next test)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE engine_unit, auth_user, engine_processdefinition CASCADE")


@pytest.fixture
def demo(db):
    if not _demo_seeded():
        demo_seed()
        procedures_deploy_all()
    return Unit.objects.get(name="婺城区")


def _user(username):
    return get_user_model().objects.get(username=username)


@pytest.fixture
def applicant(demo):
    return _user("applicant_zhang")


@pytest.fixture
def other_applicant(demo):
    user = get_user_model().objects.create_user("applicant_li", password="x", first_name="李四")
    return user


@pytest.fixture
def village(demo):
    return Unit.objects.get(name="罗店村")


@pytest.fixture
def village_staff(demo):
    return _user("luodian_v1_staff")


@pytest.fixture
def other_village_staff(demo):
    """Staff of 后溪村, same township, different village."""
    return _user("luodian_v2_staff")


@pytest.fixture
def township_staff(demo):
    return _user("luodian_staff")


@pytest.fixture
def township_leader(demo):
    return _user("luodian_leader")


@pytest.fixture
def outsider(demo):
    """Township staff of 安地镇: another jurisdiction."""
    return _user("andi_staff")


@pytest.fixture
def outsider_leader(demo):
    return _user("andi_leader")


@pytest.fixture
def county_staff(demo):
    return _user("wucheng_county_staff")


@pytest.fixture
def county_leader(demo):
    return _user("wucheng_county_leader")


@pytest.fixture
def supervisor(demo):
    return _user("wucheng_supervisor")


@pytest.fixture
def clock():
    """A controllable clock that only moves forward, like a real one: ``clock.shift(delta)``.

    Time must not go backwards inside a case: SpiffWorkflow orders task data by state-change
    time."""
    with time_machine.travel(timezone.now(), tick=True) as traveller:
        yield traveller
