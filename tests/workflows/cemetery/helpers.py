"""Walk a cemetery-approval case through its steps the way the portal does: the procedure's
form validates (uploads included), then the engine completes the task."""
from django.core.files.uploadedfile import SimpleUploadedFile

from engine.models import HumanTask, TaskStatus
from engine.selectors import task_list_for_user
from workflows.common.fields import credit_code_check_char
from workflows.registry import procedure_get
from workflows.services import application_form_uploads, application_submit, task_submit
from tests.files import PDF

PROCEDURE_KEY = "cemetery_approval"
CREDIT_CODE = "91330702MA2H00001" + credit_code_check_char("91330702MA2H00001")
DEPARTMENTS = ["自然资源", "发改", "住建", "林业", "生态环境", "民宗"]
# Demo accounts of the consulted departments (wucheng_dept_<slug>, workflows/demo.py).
DEPARTMENT_USERS = {"自然资源": "wucheng_dept_land", "发改": "wucheng_dept_drc",
                    "住建": "wucheng_dept_housing", "林业": "wucheng_dept_forestry",
                    "生态环境": "wucheng_dept_ecology", "民宗": "wucheng_dept_religion"}


def pdf(name="材料.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def public_data(village, **overrides):
    data = {
        "cemetery_type": "public_welfare", "applicant_name": "罗店村村民委员会",
        "village": village.pk, "contact_person": "王村长", "phone": "13800000002",
        "cemetery_name": "罗店村公益性公墓", "location": "村北后山（东至山脊，南至林道，"
        "西至溪沟，北至村界）", "area_mu": "12.5", "graves": "800", "plot_size_limit": "0.8",
        "funding": "120", "funding_source": "村集体经济和乡镇补助", "land_status": "集体所有荒山",
        "resolution_date": "2026-10-08", "resolution_confirmed": "on", "villagers_only": "on",
        "not_clan_cemetery": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def public_files():
    return {"resolution_files": [pdf("村民会议决议.pdf")],
            "feasibility_report": [pdf("可行性研究报告.pdf")],
            "planning_scheme": [pdf("规划设计方案.pdf")],
            "management_rules": [pdf("墓地管理制度.pdf")]}


def operating_data(village, **overrides):
    data = {
        "cemetery_type": "operating", "applicant_name": "婺城安息园陵园有限公司",
        "village": village.pk, "contact_person": "陈经理", "phone": "0579-82345678",
        "cemetery_name": "安息园", "location": "安地镇岩头村东侧山坡", "area_mu": "80",
        "graves": "12000", "plot_size_limit": "1", "funding": "6000",
        "funding_source": "企业自有资金", "land_status": "国有建设用地（出让）",
        "credit_code": CREDIT_CODE, "legal_representative": "陈安", "total_investment": "6000",
        "funds_in_hand": "3500",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def operating_files():
    return {"land_assessment": [pdf("土地预审意见.pdf")],
            "planning_assessment": [pdf("规划选址意见.pdf")],
            "environmental_assessment": [pdf("环评批复.pdf")],
            "stability_assessment": [pdf("社会稳定风险评估.pdf")]}


def application_form(data, files=None, **kwargs):
    from django.utils.datastructures import MultiValueDict

    return procedure_get(PROCEDURE_KEY).application_form(
        data=data, files=MultiValueDict(files or {}), **kwargs)


def file_application(*, user, data, files, on_behalf=False):
    form = application_form(data, files)
    assert form.is_valid(), form.errors
    return application_submit(procedure=procedure_get(PROCEDURE_KEY),
                              cleaned_data=form.cleaned_data, user=user, on_behalf=on_behalf,
                              uploads=application_form_uploads(form))


def open_tasks(case, spec_name=None) -> list[HumanTask]:
    tasks = case.tasks.filter(status=TaskStatus.OPEN)
    if spec_name:
        tasks = tasks.filter(spec_name=spec_name)
    return list(tasks)


def open_task(case, spec_name=None) -> HumanTask:
    tasks = open_tasks(case)
    assert len(tasks) == 1, [t.spec_name for t in tasks]
    if spec_name:
        assert tasks[0].spec_name == spec_name, tasks[0].spec_name
    return tasks[0]


def task_form(case, spec_name, data):
    case.refresh_from_db()
    form_class = procedure_get(PROCEDURE_KEY).task_form_class(spec_name)
    return form_class(data=data, case_data=case.data)


def submit(case, task, user, **data):
    """Complete ``task`` as ``user`` through its form."""
    assert task in task_list_for_user(user=user), f"{user} cannot see {task.spec_name}"
    form = task_form(case, task.spec_name, data)
    assert form.is_valid(), form.errors
    task_submit(task=task, form=form, user=user)
    case.refresh_from_db()
    return task


def complete(case, user, spec_name, **data):
    """Complete the case's only open task ``spec_name`` as ``user`` through its form."""
    return submit(case, open_task(case, spec_name), user, **data)
