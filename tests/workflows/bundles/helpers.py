"""Walk a bundle case the way the portal does: the procedure's form validates, then the engine
completes the task. Department tasks are found by their department (the task's role)."""
import subprocess
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from engine.documents import document_render
from engine.models import HumanTask, TaskStatus
from engine.selectors import task_list_for_user
from workflows.demo import DEPARTMENT_SLUGS
from workflows.registry import procedure_get
from workflows.services import application_submit, task_submit

APPLICANT_ID = "330702198001011232"  # 张建国, male, born 1980
DECEASED_ID = "330702194501010019"
SPOUSE_ID = "330702199203040028"  # female, born 1992


def department_user(department: str):
    return get_user_model().objects.get(username=f"wucheng_dept_{DEPARTMENT_SLUGS[department]}")


def after_death_data(village, **overrides):
    data = {
        "applicant_name": "张建国", "id_number": APPLICANT_ID, "phone": "13800000001",
        "relation": "子女", "village": village.pk, "deceased_name": "张老汉",
        "deceased_id_number": DECEASED_ID, "death_date": "2026-01-05",
        "death_place": "金华市中心医院", "death_type": "natural",
        "wanted_items": ["medical_insurance", "civil_benefits", "disability_benefits",
                         "pension", "housing_fund", "driving_licence"],
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def marriage_birth_data(village, **overrides):
    data = {
        "applicant_name": "张建国", "id_number": APPLICANT_ID, "phone": "13800000001",
        "village": village.pk, "spouse_name": "李梅", "spouse_id_number": SPOUSE_ID,
        "registration_date": (timezone.localdate() + timedelta(days=30)).isoformat(),
        "wanted_items": ["hukou", "birth_registration"],
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def pdf_text(document) -> str:
    """The rendered document's text in content order (a wrapped table cell stays together)."""
    document = document_render(document_pk=document.pk)
    result = subprocess.run(["pdftotext", "-raw", "-", "-"],  # noqa: S607 - poppler-utils
                            input=bytes(document.pdf), capture_output=True, check=True)
    return "".join(result.stdout.decode("utf-8").split())


def file_bundle(key, data, *, user, on_behalf=False):
    procedure = procedure_get(key)
    form = procedure.application_form(data=data)
    assert form.is_valid(), form.errors
    return application_submit(procedure=procedure, cleaned_data=form.cleaned_data, user=user,
                              on_behalf=on_behalf, uploads={})


def open_tasks(case) -> list[HumanTask]:
    return list(case.tasks.filter(status=TaskStatus.OPEN).order_by("pk"))


def open_lanes(case) -> list[str]:
    return sorted(task.lane for task in open_tasks(case))


def department_task(case, department: str) -> HumanTask:
    tasks = [t for t in open_tasks(case) if t.lane == f"department:{department}"]
    assert len(tasks) == 1, (department, open_lanes(case))
    assert tasks[0].spec_name == "department_handle"
    return tasks[0]


def submit(case, task, user, **data):
    """Complete ``task`` as ``user`` through the procedure's form for it."""
    assert task in task_list_for_user(user=user), f"{user} cannot see {task.spec_name}"
    case.refresh_from_db()
    form_class = procedure_get(case.procedure).task_form_class(task.spec_name)
    form = form_class(data=data, case_data=case.data)
    assert form.is_valid(), form.errors
    task_submit(task=task, form=form, user=user)
    case.refresh_from_db()


def department_done(case, department: str, reference: str = "", note: str = ""):
    task = department_task(case, department)
    submit(case, task, department_user(department), department_result="done",
           reference_number=reference or f"{department}-001", result_note=note)


def department_return(case, department: str, missing: str):
    task = department_task(case, department)
    submit(case, task, department_user(department), department_result="returned",
           missing_items=missing)
