"""The bundles' demo seed: idempotent, and it leaves tasks in the department inboxes."""
import pytest
from django.core.exceptions import PermissionDenied

from engine.models import Case
from engine.selectors import task_list_for_user
from engine.services import task_complete
from workflows.bundles.demo import seed

from .helpers import department_user, open_lanes

pytestmark = pytest.mark.django_db


def test_seed_files_one_case_past_the_death_proof(demo, applicant, outsider):
    lines = seed()
    seed()  # idempotent
    case = Case.objects.get(procedure="after_death_bundle")
    assert any(str(case.pk) in line for line in lines)
    assert open_lanes(case) == sorted(
        f"department:{d}" for d in ("公安", "医保", "民政", "残联", "殡仪馆"))
    police_tasks = task_list_for_user(user=department_user("公安")).filter(case=case)
    assert police_tasks.count() == 1
    task = police_tasks.get()
    # Another department, an outsider township and the applicant can neither see nor act.
    for intruder in (department_user("人社"), outsider, applicant):
        assert not task_list_for_user(user=intruder).filter(pk=task.pk).exists()
        with pytest.raises(PermissionDenied):
            task_complete(user=intruder, task_pk=task.pk,
                          form_data={"department_result": "done", "reference_number": "x",
                                     "result_note": ""})
