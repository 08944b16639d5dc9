"""Deadlines: a reminder before a task's due time and an escalation after it, each sent once,
fired by the periodic sweep under a controllable clock."""
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from engine.models import AuditAction, HumanTask, Notification, NotificationKind
from engine.notifications import deadline_sweep, task_spec_properties
from engine.services import case_start, definition_deploy
from engine.tasks import deadline_sweep_task
from tests.workflows.temporary_relief.helpers import complete, file_application, open_task

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent.parent / "data" / "deadlines"


def _shift_to(clock, moment):
    clock.shift(moment - timezone.now())


def _recipients(kind, task) -> set[str]:
    return set(Notification.objects.filter(kind=kind, title__contains=task.title)
               .values_list("user__username", flat=True))


@pytest.fixture
def case(applicant, village):
    return file_application(user=applicant, village=village)


def test_reminder_before_the_deadline_then_escalation_to_the_townships_leader(
        case, township_staff, township_leader, clock):
    task = open_task(case, "accept")  # 2 working days, no window declared: 24 hours
    assert task.due_at - timezone.now() > timedelta(hours=24)
    assert deadline_sweep_task() == {"reminded": 0, "escalated": 0}

    _shift_to(clock, task.due_at - timedelta(hours=12))
    assert deadline_sweep_task() == {"reminded": 1, "escalated": 0}
    assert _recipients(NotificationKind.REMINDER, task) == {township_staff.username}
    assert deadline_sweep_task() == {"reminded": 0, "escalated": 0}  # sent once

    _shift_to(clock, task.due_at + timedelta(hours=1))
    assert deadline_sweep_task() == {"reminded": 0, "escalated": 1}
    assert _recipients(NotificationKind.ESCALATION, task) == {township_leader.username}
    assert deadline_sweep_task() == {"reminded": 0, "escalated": 0}  # sent once

    task.refresh_from_db()
    assert task.reminded_at is not None and task.escalated_at is not None
    assert case.audit.filter(action=AuditAction.REMINDED, task=task).count() == 1
    escalated = case.audit.get(action=AuditAction.ESCALATED, task=task)
    assert escalated.data["role"] == "township_leader"
    assert escalated.data["recipients"] == [township_leader.pk]


def test_a_task_done_in_time_is_neither_reminded_nor_escalated(case, township_staff, clock):
    task = open_task(case, "accept")
    complete(case, township_staff, "accept", acceptance="accept")
    _shift_to(clock, task.due_at + timedelta(hours=1))
    deadline_sweep()
    task.refresh_from_db()
    assert task.reminded_at is None and task.escalated_at is None
    assert not case.audit.filter(task=task, action__in=[AuditAction.REMINDED,
                                                        AuditAction.ESCALATED]).exists()


@pytest.fixture
def deadline_case(demo, village, village_staff):
    definition = definition_deploy(
        key="deadlines_test", name="时限测试",
        bpmn_xml=(DATA / "deadlines.bpmn").read_text(encoding="utf-8"), dmn_xmls=[])
    case = case_start(procedure="deadlines_test", title="时限测试", village=village,
                      applicant_name="张建国", data={}, started_by=village_staff)
    assert task_spec_properties(definition, "village_next") == {
        "due_hours": "48", "remind_before_hours": "6", "escalate_to": "next_level"}
    return case


def _task(case, spec_name) -> HumanTask:
    return case.tasks.get(spec_name=spec_name)


def test_the_diagram_declares_the_reminder_window(deadline_case, clock):
    due = _task(deadline_case, "village_next").due_at
    _shift_to(clock, due - timedelta(hours=8))
    assert deadline_sweep() == {"reminded": 3, "escalated": 0}  # 24 hours, not 6
    assert _task(deadline_case, "village_next").reminded_at is None
    _shift_to(clock, due - timedelta(hours=5))
    assert deadline_sweep() == {"reminded": 1, "escalated": 0}
    assert _task(deadline_case, "village_next").reminded_at is not None


def test_the_diagram_declares_whom_to_escalate_to(deadline_case, township_staff, county_staff,
                                                  county_leader, supervisor, clock):
    _shift_to(clock, _task(deadline_case, "village_next").due_at + timedelta(minutes=5))
    assert deadline_sweep()["escalated"] == 4
    expected = {
        # next_level: village staff → the township's staff.
        "village_next": ("township_staff", {township_staff}),
        # Default: a village has no leader, so the next level up.
        "village_default": ("township_staff", {township_staff}),
        # next_level: township staff → the county's staff.
        "township_next": ("county_staff", {county_staff}),
        # A named role: everyone holding it over the case.
        "township_to_county_leader": ("county_leader", {county_leader, supervisor}),
    }
    for spec_name, (role, users) in expected.items():
        task = _task(deadline_case, spec_name)
        entry = deadline_case.audit.get(action=AuditAction.ESCALATED, task=task)
        assert entry.data["role"] == role, spec_name
        assert set(entry.data["recipients"]) == {u.pk for u in users}, spec_name
        assert _recipients(NotificationKind.ESCALATION, task) == {u.username for u in users}


def test_a_leaders_own_overdue_step_goes_up_a_level(applicant, village, township_staff,
                                                    county_leader, supervisor, clock):
    urgent = file_application(user=applicant, village=village, urgent="on",
                              requested_amount="1000")
    complete(urgent, township_staff, "urgent_review", urgent_facts="住院属实", amount="1000")
    task = open_task(urgent, "urgent_township_decide")
    assert task.lane == "township_leader" and task.due_at is not None
    _shift_to(clock, task.due_at + timedelta(hours=1))
    assert deadline_sweep()["escalated"] == 1
    entry = urgent.audit.get(action=AuditAction.ESCALATED, task=task)
    assert entry.data["role"] == "county_leader"
    assert set(entry.data["recipients"]) == {county_leader.pk, supervisor.pk}


def test_run_timers_command_sweeps_deadlines_too(case, township_leader, clock):
    task = open_task(case, "accept")
    _shift_to(clock, task.due_at + timedelta(hours=1))
    call_command("run_timers")
    assert case.audit.filter(action=AuditAction.ESCALATED, task=task).exists()
    call_command("run_timers", no_deadlines=True)
    assert case.audit.filter(action=AuditAction.ESCALATED).count() == 1


def test_one_failing_task_does_not_block_the_sweep(case, applicant, village, clock,
                                                   monkeypatch):
    from engine import notifications

    other = file_application(user=applicant, village=village)
    broken = open_task(case, "accept")
    real = notifications.escalation_targets

    def failing(task, properties):
        if task.pk == broken.pk:
            raise RuntimeError("boom")
        return real(task, properties)

    monkeypatch.setattr(notifications, "escalation_targets", failing)
    _shift_to(clock, broken.due_at + timedelta(hours=1))
    assert deadline_sweep()["escalated"] == 1
    assert open_task(other).escalated_at is not None
    broken.refresh_from_db()
    # Rolled back with its transaction: the next sweep tries again.
    assert broken.escalated_at is None
