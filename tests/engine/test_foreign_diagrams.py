"""Diagrams drawn in bpmn.io or Camunda Modeler with supported elements deploy and run."""
from pathlib import Path

import pytest

from engine.models import CaseStatus, TaskStatus
from engine.selectors import task_list_for_user
from engine.services import case_start, definition_deploy, task_complete

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parent.parent / "data" / "modeler"


def _run_all(case, users_by_lane, answers, clock):
    from datetime import timedelta

    from engine.services import timers_fire_due

    for _ in range(10):
        case.refresh_from_db()
        task = case.tasks.filter(status=TaskStatus.OPEN).first()
        if task is None and case.next_timer_at is not None:
            clock.shift(timedelta(days=30))
            assert timers_fire_due() == 1
            continue
        if task is None:
            return
        user = users_by_lane[task.lane]
        assert task in task_list_for_user(user=user)
        task_complete(user=user, task_pk=task.pk, form_data=answers[task.form_key])


def test_bpmn_io_diagram_with_generic_forms_runs(village, township_staff, township_leader,
                                                 clock):
    definition_deploy(key="condolence", name="困难群众慰问金",
                      bpmn_xml=(DATA / "bpmnjs_generic.bpmn").read_text(encoding="utf-8"),
                      dmn_xmls=[])
    case = case_start(procedure="condolence", title="慰问金", village=village,
                      applicant_name="张建国", data={}, started_by=township_staff)
    _run_all(case, {"township_staff": township_staff, "township_leader": township_leader},
             {"generic:opinion": {"opinion": "情况属实"},
              "generic:decision": {"decision": "approve", "opinion": "同意"}}, clock)
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED


def test_camunda_modeler_diagram_runs(village, county_staff, clock):
    definition_deploy(key="disability_review", name="残疾人两项补贴复核",
                      bpmn_xml=(DATA / "camunda_review.bpmn").read_text(encoding="utf-8"),
                      dmn_xmls=[])
    case = case_start(procedure="disability_review", title="复核", village=village,
                      applicant_name="张建国", data={}, started_by=county_staff)
    _run_all(case, {"county_staff": county_staff},
             {"generic:decision": {"decision": "approve", "opinion": "同意"}}, clock)
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED
