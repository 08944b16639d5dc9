"""Drive annual-inspection cases the way the portal does: the procedure's form validates,
then the engine completes the task."""
from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.datastructures import MultiValueDict

from engine.models import Case, HumanTask, TaskStatus
from engine.selectors import task_list_for_user
from workflows.annual_inspection.demo import demo_credit_code
from workflows.annual_inspection.models import InspectionRecord, OrgType
from workflows.annual_inspection.services import organisation_create
from workflows.registry import procedure_get
from workflows.services import task_submit
from tests.files import PDF


def make_org(index, *, name, village, supervisor="", account=None,
             org_type=OrgType.SOCIAL_GROUP, registered_on=date(2015, 3, 1)):
    return organisation_create(name=name, credit_code=demo_credit_code(index, org_type),
                               org_type=org_type, registered_on=registered_on,
                               village=village, supervising_unit=supervisor, account=account)


def case_of(organisation, year) -> Case:
    return InspectionRecord.objects.get(organisation=organisation, year=year).case


def open_task(case, spec_name) -> HumanTask:
    tasks = list(case.tasks.filter(status=TaskStatus.OPEN, spec_name=spec_name))
    assert len(tasks) == 1, list(case.tasks.filter(status=TaskStatus.OPEN)
                                 .values_list("spec_name", flat=True))
    return tasks[0]


def open_specs(case) -> set[str]:
    return set(case.tasks.filter(status=TaskStatus.OPEN).values_list("spec_name", flat=True))


def report_files():
    return MultiValueDict({"attachments": [
        SimpleUploadedFile("年检报告书.pdf", PDF, content_type="application/pdf")]})


def report_data(**overrides):
    data = {"activities": "开展老年人文体活动12场，走访慰问高龄老人86人次", "income": "52000",
            "expenditure": "48000.50", "net_assets": "30000", "audit": "not_required",
            "audit_report": "", "officers": "王德福 会长\n李秀英 秘书长", "changes": "",
            "rectification_report": "", "declaration_confirmed": "on"}
    data.update(overrides)
    return data


def form_for(case, spec_name, data, files=None):
    case.refresh_from_db()
    form_class = procedure_get(case.procedure).task_form_class(spec_name)
    return form_class(data=data, files=files, case_data=case.data)


def complete(case, user, spec_name, files=None, **data):
    """Complete the case's open task ``spec_name`` as ``user`` through its form."""
    task = open_task(case, spec_name)
    assert task in task_list_for_user(user=user), f"{user} cannot see {spec_name}"
    form = form_for(case, spec_name, data, files)
    assert form.is_valid(), form.errors
    task_submit(task=task, form=form, user=user)
    case.refresh_from_db()
    return task


def file_report(case, user, spec_name="file_report", **overrides):
    return complete(case, user, spec_name, files=report_files(), **report_data(**overrides))


def engine_complete(case, user, spec_name, **form_data):
    """Complete a task through the engine alone, as an API client could, without the form's
    checks: what the services must refuse on their own."""
    from engine.services import task_complete

    task = open_task(case, spec_name)
    task_complete(user=user, task_pk=task.pk, form_data=form_data)
    case.refresh_from_db()


def village_staff_of(village_name):
    from django.contrib.auth import get_user_model

    return {"安地村": get_user_model().objects.get(username="andi_v1_staff")}[village_name]


def propose(case, county_staff, penalty="warning", reasons="逾期未报送年检报告书，经催告仍未报送"):
    complete(case, county_staff, "overdue_review",
             penalty_facts=f"你单位未在{case.data['report_deadline']}前报送年检报告书。",
             proposed_penalty=penalty, penalty_reasons=reasons,
             legal_basis="《社会团体登记管理条例》第二十八条、第三十条")


def draw_and_close(case, county_staff, year):
    """Make the year's draw (with the seed committed at opening) and do the on-site check
    if this case was drawn, so the draw branch of the case ends."""
    from workflows.annual_inspection.models import SpotCheckDraw
    from workflows.annual_inspection.services import spot_check_draw

    if not SpotCheckDraw.objects.filter(campaign__year=year).exists():
        spot_check_draw(year=year, actor=county_staff)
    case.refresh_from_db()
    if "spot_check" in open_specs(case):
        complete(case, county_staff, "spot_check", notice_date="2026-07-01",
                 check_date="2026-07-08", inspector_1="王芳", inspector_2="李强",
                 findings="账实相符", spot_result="ok")
