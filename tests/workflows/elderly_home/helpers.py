"""Walk an elderly-home adaptation case through its steps the way the portal does: the
procedure's form validates, then the engine completes the task."""
import shutil
import subprocess

from django.core.files.uploadedfile import SimpleUploadedFile

from engine.documents import document_render
from engine.models import HumanTask, TaskStatus
from engine.selectors import task_list_for_user
from workflows.elderly_home.demo import demo_applicant_id_number
from workflows.registry import procedure_get
from workflows.services import application_form_uploads, application_submit, task_submit
from tests.files import JPEG, PDF

PROCEDURE_KEY = "elderly_home_adaptation"


def procedure():
    return procedure_get(PROCEDURE_KEY)


def application_data(village, /, **overrides):
    data = {
        "applicant_name": "王秀英", "id_number": demo_applicant_id_number(),
        "phone": "13800000082", "village": village.pk, "current_address": "罗店村8号",
        "assistance_status": "tekun", "disability": "none", "residence_match": "yes",
        "home_right": "own", "demolition_planned": "no", "already_adapted": "no",
        "needs": "卫生间如厕起身困难，夜间起夜无照明", "commitment_signed": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def elderly_id(n: int) -> str:
    """A checksum-valid ID number of another eligible elderly person (n = 1, 2, ...): one
    application per person and household, so tests filing several cases use several people."""
    return demo_applicant_id_number(age=82 + n)


def file_application(*, user, village, on_behalf=False, files=None, **overrides):
    form = procedure().application_form(data=application_data(village, **overrides),
                                        files=files or {})
    assert form.is_valid(), form.errors
    return application_submit(procedure=procedure(), cleaned_data=form.cleaned_data, user=user,
                              on_behalf=on_behalf, uploads=application_form_uploads(form))


def open_task(case, spec_name=None) -> HumanTask:
    tasks = list(case.tasks.filter(status=TaskStatus.OPEN))
    assert len(tasks) == 1, [t.spec_name for t in tasks]
    if spec_name:
        assert tasks[0].spec_name == spec_name, tasks[0].spec_name
    return tasks[0]


def task_form(case, spec_name, data=None, files=None):
    case.refresh_from_db()
    form_class = procedure().task_form_class(spec_name)
    if data is None:
        return form_class(case_data=case.data)
    return form_class(data=data, files=files or {}, case_data=case.data)


def complete(case, user, spec_name, files=None, **data):
    """Complete the case's open task ``spec_name`` as ``user`` through its form."""
    task = open_task(case, spec_name)
    assert task in task_list_for_user(user=user), f"{user} cannot see {spec_name}"
    form = task_form(case, spec_name, data, files)
    assert form.is_valid(), form.errors
    task_submit(task=task, form=form, user=user)
    case.refresh_from_db()
    return task


def photo(name="photo.jpg"):
    return SimpleUploadedFile(name, JPEG, "image/jpeg")


def invoice(name="invoice.pdf"):
    return SimpleUploadedFile(name, PDF, "application/pdf")


# --- the steps, with data a real case would carry ------------------------------------------

def approve_to_assessment(case, *, township_staff, county_staff, county_leader):
    complete(case, township_staff, "township_review", review_result="pass",
             review_opinion="经核实，符合条件")
    complete(case, county_staff, "county_review", county_opinion="符合条件，建议批准")
    complete(case, county_leader, "county_decide", decision="approve", decision_opinion="同意")


PLAN = {"qty_grab_bar": "2", "qty_anti_slip_floor": "10", "qty_emergency_alarm": "1",
        "qty_night_light": "3", "qty_nursing_bed": "1"}
# grab bars 2×280 + floor 10×60 + alarm 420 + lights 3×80 = 1820 basic; bed 2800 optional


def assess(case, assessor, **quantities):
    complete(case, assessor, "assess", assessment_date="2026-11-20", assessor_name="陈评估",
             findings="卫生间无扶手，地面湿滑；卧室至卫生间无照明", household_agreed="on",
             **(quantities or PLAN))


def works(case, provider, with_photos=True, **extra):
    files = {"before_photos": [photo("施工前-卫生间.jpg")]} if with_photos else None
    data = {"provider_name": "金华安居适老装修有限公司", "project_manager": "刘工",
            "start_date": "2026-11-21", "finish_date": "2026-11-24",
            "materials_list": "不锈钢扶手2个；防滑地砖10平方米；报警器1套；感应灯3个；护理床1张"}
    data.update(extra)
    complete(case, provider, "works", files=files, **data)


ACTUAL = {"actual_qty_grab_bar": "2", "cost_grab_bar": "560",
          "actual_qty_anti_slip_floor": "12", "cost_anti_slip_floor": "720",
          "actual_qty_emergency_alarm": "1", "cost_emergency_alarm": "420",
          "actual_qty_night_light": "3", "cost_night_light": "240",
          "actual_qty_nursing_bed": "1", "cost_nursing_bed": "2800"}
# basic actual 1940 (below the 2,000 cap) + optional 2800 = 4740


def accept(case, township_staff, **overrides):
    data = {"acceptance_result": "pass", "acceptors": "李验收、赵验收", "household_signed": "on",
            "invoice_number": "33012345", "acceptance_opinion": "按方案完成，质量合格", **ACTUAL}
    data.update(overrides)
    complete(case, township_staff, "acceptance",
             files={"after_photos": [photo("施工后-卫生间.jpg")], "invoice": [invoice()]},
             **data)


def pdf_text(document) -> str:
    """The rendered PDF's text without whitespace (pdftotext breaks lines anywhere)."""
    assert shutil.which("pdftotext"), "poppler-utils is required"
    document = document_render(document_pk=document.pk, force=True)
    result = subprocess.run(["pdftotext", "-", "-"], input=bytes(document.pdf),  # noqa: S607
                            capture_output=True, check=True)
    return "".join(result.stdout.decode("utf-8").split())
