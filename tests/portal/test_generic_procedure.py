"""A diagram deployed in the modeler with no procedure code: its tasks use the generic forms
the diagram declares, through the ordinary task page."""
from pathlib import Path

import pytest
from django.urls import reverse

from engine.models import CaseStatus, TaskStatus
from engine.services import case_start, definition_deploy

pytestmark = pytest.mark.django_db
BPMN = (Path(__file__).resolve().parent.parent / "data" / "modeler" / "camunda_review.bpmn"
        ).read_text(encoding="utf-8")


def test_generic_decision_form_on_the_task_page(client, village, county_staff):
    definition_deploy(key="disability_review", name="残疾人两项补贴复核", bpmn_xml=BPMN,
                      dmn_xmls=[])
    case = case_start(procedure="disability_review", title="复核", village=village,
                      applicant_name="张建国", data={}, started_by=county_staff)
    task = case.tasks.get(status=TaskStatus.OPEN)
    client.force_login(county_staff)
    page = client.get(reverse("portal:task", args=[task.pk])).content.decode()
    assert "同意" in page and 'name="opinion"' in page
    bad = client.post(reverse("portal:task", args=[task.pk]), {"decision": "approve"})
    assert bad.status_code == 200  # opinion missing: the form comes back
    client.post(reverse("portal:task", args=[task.pk]),
                {"decision": "approve", "opinion": "复核通过"})
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED
