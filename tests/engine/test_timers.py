"""Timers fire from the periodic sweep, never from a web request."""
from datetime import timedelta

import pytest

from engine.models import AuditAction, CaseStatus
from engine.tasks import timers_fire_due_task
from tests.workflows.temporary_relief.helpers import file_application, open_task, walk_to_notice

pytestmark = pytest.mark.django_db


def _to_notice(case, village_staff, township_staff):
    walk_to_notice(case, village_staff=village_staff, township_staff=township_staff)


def test_public_notice_ends_after_seven_days_from_the_periodic_task(
        applicant, village, village_staff, township_staff, clock):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    clock.move_to(datetime(2026, 12, 3, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    case = file_application(user=applicant, village=village)
    _to_notice(case, village_staff, township_staff)
    # posted on 12-03: the period counts from 12-04 and ends at 24:00 on 12-10
    due = case.next_timer_at
    assert due == datetime(2026, 12, 11, 0, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    clock.move_to(datetime(2026, 12, 10, 23, 59, tzinfo=ZoneInfo("Asia/Shanghai")))
    assert timers_fire_due_task() == 0
    assert not case.tasks.filter(status="open").exists()
    clock.shift(timedelta(minutes=2))
    assert timers_fire_due_task() == 1
    case.refresh_from_db()
    assert open_task(case).spec_name == "township_decide"
    assert case.data["notice_held"] is True and case.data["notice_ended_on"] == "2026-12-10"
    assert case.next_timer_at is None
    assert case.audit.filter(action=AuditAction.TIMER).count() == 1
    # Firing again does nothing: the sweep is idempotent.
    assert timers_fire_due_task() == 0


def test_a_broken_case_does_not_block_the_sweep(applicant, village, village_staff,
                                               township_staff, clock):
    broken = file_application(user=applicant, village=village)
    healthy = file_application(user=applicant, village=village)
    for case in (broken, healthy):
        _to_notice(case, village_staff, township_staff)
    broken.state = broken.state.replace('"serializer_version"', '"serializer_versio"')
    broken.save(update_fields=["state"])
    clock.shift(timedelta(days=8))
    assert timers_fire_due_task() == 1
    broken.refresh_from_db()
    healthy.refresh_from_db()
    assert broken.status == CaseStatus.ERROR
    assert broken.audit.filter(action=AuditAction.ERROR).exists()
    assert open_task(healthy).spec_name == "township_decide"


def test_run_timers_command_fires_due_timers(applicant, village, village_staff, township_staff,
                                             clock):
    from django.core.management import call_command

    case = file_application(user=applicant, village=village)
    _to_notice(case, village_staff, township_staff)
    clock.shift(timedelta(days=8))
    call_command("run_timers")
    case.refresh_from_db()
    assert open_task(case).spec_name == "township_decide"


@pytest.mark.parametrize(("county_holidays", "due"), [
    ([], "2026-10-09"),             # national holiday 10-01..10-07 skipped
    (["2026-10-09"], "2026-10-10"),  # plus a county day off; 10-10 is a make-up working day
])
def test_due_dates_count_working_days_on_the_county_calendar(applicant, village, clock, demo,
                                                            county_holidays, due):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    demo.settings["holidays"] = county_holidays
    demo.save(update_fields=["settings"])
    clock.move_to(datetime(2026, 9, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    case = file_application(user=applicant, village=village)
    task = open_task(case, "accept")  # 2 working days
    assert timezone.localtime(task.due_at).date().isoformat() == due


def test_due_days_can_come_from_data_set_by_a_decision_table(demo, applicant, village, clock):
    """A supervisor can move a time limit into data (e.g. a DMN output or a county setting)
    by writing an expression as the property's value."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from django.conf import settings
    from django.utils import timezone

    from engine.services import definition_deploy

    bpmn = (settings.BPMN_DIR / "temporary_relief.bpmn").read_text(encoding="utf-8").replace(
        '<spiffworkflow:property name="due_working_days" value="2"/>',
        '<spiffworkflow:property name="due_working_days" '
        'value="county_settings.get(&quot;accept_days&quot;, 2)"/>', 1)
    dmn = (settings.BPMN_DIR / "temporary_relief_limits.dmn").read_text(encoding="utf-8")
    definition_deploy(key="temporary_relief", name="临时救助", bpmn_xml=bpmn, dmn_xmls=[dmn])
    demo.settings["accept_days"] = 5
    demo.save(update_fields=["settings"])
    clock.move_to(datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")))  # Monday
    case = file_application(user=applicant, village=village)
    task = open_task(case, "accept")
    assert timezone.localtime(task.due_at).date().isoformat() == "2026-11-30"
