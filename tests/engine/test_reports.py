"""engine.reports: open cases and overdue steps per township and procedure, and average
handling time per step, counted in the database and scoped to one county."""
from dataclasses import replace
from datetime import timedelta

import pytest
from django.utils import timezone

from engine.actions import case_suspend, case_void
from engine.models import TaskStatus, Unit, UnitLevel
from engine.reports import open_cases_by_township, overdue_tasks_by_township, step_durations
from engine.services import unit_create
from tests.workflows.temporary_relief.helpers import (
    application_data,
    complete,
    file_application,
    open_task,
)
from workflows import registry
from workflows.services import application_submit, procedure_deploy_from_files

pytestmark = pytest.mark.django_db

RELIEF = "temporary_relief"
# Close enough for durations measured under a ticking clock.
SLACK = timedelta(minutes=1)


@pytest.fixture
def units(demo):
    return {name: Unit.objects.get(name=name) for name in ("罗店镇", "安地镇", "罗店村", "后溪村",
                                                           "安地村")}


@pytest.fixture
def second_procedure(demo, monkeypatch):
    """Another procedure (temporary relief's diagram under its own key), deployed and
    registered for the test."""
    procedure = replace(registry.procedure_get(RELIEF), key="relief_copy", name="救助副本")
    monkeypatch.setitem(registry._PROCEDURES, procedure.key, procedure)
    procedure_deploy_from_files(procedure=procedure)
    return procedure


def file_with(procedure, *, user, village, **overrides):
    form = procedure.application_form(data=application_data(village, **overrides))
    assert form.is_valid(), form.errors
    return application_submit(procedure=procedure, cleaned_data=form.cleaned_data, user=user,
                              on_behalf=False)


@pytest.fixture
def other_county(demo, applicant):
    """金东区, a second county with one running case of its own."""
    county = unit_create(name="金东区", level=UnitLevel.COUNTY, doc_prefix="金东民")
    township = unit_create(name="多湖街道", level=UnitLevel.TOWNSHIP, parent=county)
    village = unit_create(name="东关村", level=UnitLevel.VILLAGE, parent=township)
    case = file_application(user=applicant, village=village, urgent="on",
                            requested_amount="1000")
    return {"county": county, "township": township, "village": village, "case": case}


def test_open_cases_are_counted_per_township_and_procedure(demo, units, applicant, supervisor,
                                                           second_procedure):
    # given: 罗店镇 has two relief cases (two villages) and one of the other procedure,
    # 安地镇 one relief case; a voided case no longer counts, a suspended one still does
    file_application(user=applicant, village=units["罗店村"])
    file_application(user=applicant, village=units["后溪村"])
    file_with(second_procedure, user=applicant, village=units["罗店村"])
    suspended = file_application(user=applicant, village=units["安地村"])
    case_suspend(user=supervisor, case_pk=suspended.pk, reason="核查户籍")
    voided = file_application(user=applicant, village=units["安地村"])
    case_void(user=supervisor, case_pk=voided.pk, reason="重复申请")

    counts = open_cases_by_township(county=demo)

    luodian, andi = units["罗店镇"].pk, units["安地镇"].pk
    assert counts == {(luodian, RELIEF): 2, (luodian, "relief_copy"): 1, (andi, RELIEF): 1}


def test_overdue_counts_open_steps_past_their_deadline(demo, units, applicant, supervisor,
                                                       township_staff, clock):
    # given: an urgent case (急难型核实 due in 12 hours) and an ordinary one (受理审查 due in
    # 2 working days) in 罗店镇, and an urgent case in 安地镇 that a supervisor suspended
    urgent = file_application(user=applicant, village=units["罗店村"], urgent="on",
                              requested_amount="1000")
    file_application(user=applicant, village=units["后溪村"])
    suspended = file_application(user=applicant, village=units["安地村"], urgent="on",
                                 requested_amount="1000")
    case_suspend(user=supervisor, case_pk=suspended.pk, reason="核查户籍")
    assert overdue_tasks_by_township(county=demo, now=timezone.now()) == {}

    # when: 13 hours pass
    clock.shift(timedelta(hours=13))

    # then: only the running urgent case's step is late
    assert overdue_tasks_by_township(county=demo, now=timezone.now()) == {
        (units["罗店镇"].pk, RELIEF): 1}
    # and once handled it is no longer open; the next step has a fresh 12 hours (the same
    # applicant filed the other cases here too: the review gives its duplicate reason)
    complete(urgent, township_staff, "urgent_review", urgent_facts="住院属实", amount="1000",
             duplicate_reason="测试数据，同一申请人的其他申请")
    assert overdue_tasks_by_township(county=demo, now=timezone.now()) == {}


def test_average_handling_time_per_step(demo, units, applicant, supervisor, township_staff,
                                        village_staff, clock):
    # given: 受理审查 handled after 2 hours in one case and after 4 hours in another
    first = file_application(user=applicant, village=units["罗店村"])
    clock.shift(timedelta(hours=2))
    complete(first, township_staff, "accept", acceptance="accept")
    second = file_application(user=applicant, village=units["罗店村"])
    clock.shift(timedelta(hours=4))
    complete(second, township_staff, "accept", acceptance="accept")
    # and 入户调查 handled a day after it reached the village (at hour 2)
    clock.shift(timedelta(hours=20))
    complete(first, village_staff, "investigate", visit_date="2026-11-20", investigator_1="王芳",
             investigator_2="李强", household_findings="属实", proposed_amount="2500",
             village_opinion="同意")
    # and a case voided before anyone accepted it: its cancelled step was never handled
    voided = file_application(user=applicant, village=units["罗店村"])
    clock.shift(timedelta(hours=30))
    case_void(user=supervisor, case_pk=voided.pk, reason="重复申请")
    assert voided.tasks.get(spec_name="accept").status == TaskStatus.CANCELLED

    steps = step_durations(county=demo)

    # then: one row per step, slowest first
    assert [(s.procedure, s.spec_name, s.title, s.completed) for s in steps] == [
        (RELIEF, "investigate", "入户调查", 1), (RELIEF, "accept", "受理审查", 2)]
    investigate, accept = steps
    assert abs(investigate.average - timedelta(hours=24)) < SLACK
    assert abs(accept.average - timedelta(hours=3)) < SLACK


def test_other_counties_never_leak(demo, units, applicant, township_staff, other_county, clock):
    # given: 金东区's urgent case goes overdue and has a handled step, as does one in 婺城区
    mine = file_application(user=applicant, village=units["罗店村"], urgent="on",
                            requested_amount="1000")
    clock.shift(timedelta(hours=13))
    complete(mine, township_staff, "urgent_review", urgent_facts="住院属实", amount="1000")
    theirs = other_county["case"]
    task = open_task(theirs, "urgent_review")
    assert task.due_at < timezone.now()
    township_pk = other_county["township"].pk

    # then: each county sees only its own
    now = timezone.now()
    assert township_pk not in {t for t, _ in open_cases_by_township(county=demo)}
    assert township_pk not in {t for t, _ in overdue_tasks_by_township(county=demo, now=now)}
    assert [s.completed for s in step_durations(county=demo)
            if s.spec_name == "urgent_review"] == [1]
    assert open_cases_by_township(county=other_county["county"]) == {(township_pk, RELIEF): 1}
    assert overdue_tasks_by_township(county=other_county["county"], now=now) == {
        (township_pk, RELIEF): 1}
    assert step_durations(county=other_county["county"]) == []


def test_a_unit_without_a_path_is_refused():
    with pytest.raises(ValueError):
        open_cases_by_township(county=Unit(name="未保存", level=UnitLevel.COUNTY))


@pytest.mark.parametrize("username", ["wucheng_supervisor", "wucheng_county_staff",
                                      "luodian_leader", "andi_leader", "wucheng_dept_police",
                                      "applicant_zhang"])
def test_counts_for_a_reader_equal_the_visibility_rule_row_by_row(demo, applicant, village,
                                                                  username):
    """The counts skip the rule for the definitions a procedure role covers over the whole
    county and apply it to the others (engine.reports._within): the same figures as the
    rule tested on every row."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count

    from engine.models import Case, HumanTask
    from engine.reports import LATE_CASE_STATUSES, OPEN_CASE_STATUSES
    from engine.selectors import case_visible_q
    from tests.workflows.bundles.helpers import after_death_data, file_bundle

    file_application(user=applicant, village=village)
    file_bundle("after_death_bundle", after_death_data(village), user=applicant)
    reader = get_user_model().objects.get(username=username)
    later = timezone.now() + timedelta(days=400)  # every open step with a deadline is late

    def by_township(rows, name):
        parents = dict(Unit.objects.values_list("pk", "parent_id"))
        counts = {}
        for row in rows:
            key = (parents[row["village_id"]], row["procedure"])
            counts[key] = counts.get(key, 0) + row[name]
        return counts

    visible = Case.objects.filter(case_visible_q(reader))
    expected_open = by_township(
        visible.filter(status__in=OPEN_CASE_STATUSES).values("village_id", "procedure")
        .annotate(n=Count("pk")), "n")
    expected_late = by_township(
        HumanTask.objects.filter(status=TaskStatus.OPEN, due_at__lt=later,
                                 case__status__in=LATE_CASE_STATUSES, case__in=visible)
        .values("village_id", "procedure").annotate(n=Count("pk")), "n")
    assert open_cases_by_township(county=demo, viewer=reader) == expected_open
    assert overdue_tasks_by_township(county=demo, now=later, viewer=reader) == expected_late
    if username == "wucheng_supervisor":
        assert sum(expected_open.values()) == 2 and expected_late
