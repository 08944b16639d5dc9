"""Demo data for the bundles: one 身后一件事 application by 张建国 for his father, past the death
proof, so the department accounts (wucheng_dept_*) find their tasks in the inbox at once. Run
after ``workflows.demo.demo_seed`` (it needs the organisation, departments and 张建国)."""
from django.contrib.auth import get_user_model
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from engine.models import Case, Unit, UnitLevel
from engine.selectors import task_list_for_user

from ..demo import (
    DEMO_PASSWORD,
    DEPARTMENT_SLUGS,
    DemoStage,
    demo_complete,
    demo_file,
    demo_id_number,
    stages_seed,
)
from ..registry import procedure_get
from ..services import application_submit, procedure_deploy_from_files, task_submit
from .procedure import AFTER_DEATH, MARRIAGE_BIRTH

DEMO_DECEASED = "张老汉"
AD, MB = AFTER_DEATH.key, MARRIAGE_BIRTH.key
STAGES = [
    DemoStage(AD, "部门联办（死亡证明已办结，公安、医保等办理中）", "张建国",
              "wucheng_dept_police", "department_handle"),
    DemoStage(AD, "部门退回，待补充材料", "李国平", "luodian_v1_staff", "department_supplement"),
    DemoStage(AD, "办结（办结通知书已出具）", "王志刚", "luodian_v2_staff",
              doc_type="after_death_notice"),
    DemoStage(MB, "结婚登记（待婚姻登记机关办理）", "赵明", "wucheng_dept_marriage",
              "department_handle"),
    DemoStage(MB, "办结（办结通知书已出具）", "钱伟", "luodian_v1_staff",
              doc_type="marriage_birth_notice"),
]
VILLAGE_STAFF = {"罗店村": "luodian_v1_staff", "后溪村": "luodian_v2_staff"}


def _demo_application(village: Unit) -> dict:
    return {
        "applicant_name": "张建国", "id_number": "330702198001011232", "phone": "13800000001",
        "relation": "子女", "village": village.pk, "deceased_name": DEMO_DECEASED,
        "deceased_id_number": "330702194501010019", "death_date": "2026-01-05",
        "death_place": "金华市中心医院", "death_type": "natural",
        "wanted_items": [code for code, _ in AFTER_DEATH.application_form.ITEM_CHOICES],
    }


def _departments_finish(case, *, returning: str = "") -> None:
    """Each open department task is done by its department's account, in filing order,
    until none is left (``returning``: that department returns its item instead)."""
    from engine.models import TaskStatus

    while True:
        task = case.tasks.filter(status=TaskStatus.OPEN,
                                 spec_name="department_handle").order_by("pk").first()
        if task is None:
            return
        department = task.lane.removeprefix("department:")
        username = f"wucheng_dept_{DEPARTMENT_SLUGS[department]}"
        if department == returning:
            demo_complete(case, username, "department_handle", lane=task.lane,
                          department_result="returned", missing_items="请补充逝者社保卡复印件")
            return
        demo_complete(case, username, "department_handle", lane=task.lane,
                      department_result="done", reference_number=f"{department}2026-{task.pk}")


def _after_death(name: str, serial: int, village: str, *, returning: str = "") -> None:
    unit = Unit.objects.get(level=UnitLevel.VILLAGE, name=village, parent__name="罗店镇")
    case = demo_file(AD, {
        "applicant_name": name, "phone": f"138000004{serial:02d}", "relation": "子女",
        "id_number": demo_id_number(birth="19750101", serial=serial, female=False),
        "village": unit.pk, "deceased_name": name[0] + "老太",
        "deceased_id_number": demo_id_number(birth="19400202", serial=serial, female=True),
        "death_date": timezone.localdate().isoformat(), "death_place": "金华市中心医院",
        "death_type": "natural", "wanted_items": ["medical_insurance", "civil_benefits"],
    }, username=VILLAGE_STAFF[village], on_behalf=True)
    _departments_finish(case, returning=returning)


def _marriage(name: str, spouse: str, serial: int):
    unit = Unit.objects.get(level=UnitLevel.VILLAGE, name="罗店村", parent__name="罗店镇")
    case = demo_file(MB, {
        "applicant_name": name, "phone": f"138000005{serial:02d}",
        "id_number": demo_id_number(birth="19950505", serial=serial, female=False),
        "village": unit.pk, "spouse_name": spouse,
        "spouse_id_number": demo_id_number(birth="19970707", serial=serial, female=True),
        "registration_date": (timezone.localdate() + timedelta(days=7)).isoformat(),
        "wanted_items": ["hukou", "birth_registration"],
    }, username="luodian_v1_staff", on_behalf=True)
    return case


MAKERS = {
    STAGES[1].applicant_name: lambda: _after_death("李国平", 41, "罗店村", returning="医保"),
    STAGES[2].applicant_name: lambda: _after_death("王志刚", 42, "后溪村"),
    STAGES[3].applicant_name: lambda: _marriage("赵明", "孙丽", 43),
    STAGES[4].applicant_name: lambda: _departments_finish(_marriage("钱伟", "周敏", 44)),
}


@transaction.atomic
def seed(*, stages: bool = False) -> list[str]:
    """Deploy both bundles (no-op when unchanged) and file the demo case once; ``stages``:
    also the ``STAGES`` cases."""
    for procedure in (AFTER_DEATH, MARRIAGE_BIRTH):
        procedure_deploy_from_files(procedure=procedure)
    lines = [f"一件事：部门账号 wucheng_dept_<部门>（密码 {DEMO_PASSWORD}），如 "
             + "、".join(f"wucheng_dept_{DEPARTMENT_SLUGS[d]}（{d}）"
                        for d in ("卫健", "公安", "医保", "殡仪馆", "人社", "婚姻登记"))]
    users = get_user_model().objects
    applicant = users.filter(username="applicant_zhang").first()
    village = Unit.objects.filter(level=UnitLevel.VILLAGE, name="罗店村").first()
    if applicant is None or village is None:
        return lines
    if stages:
        stages_seed(STAGES[1:], MAKERS)
    if Case.objects.filter(procedure=AFTER_DEATH.key, applicant=applicant,
                           data__deceased_name=DEMO_DECEASED).exists():
        return lines
    form = AFTER_DEATH.application_form(data=_demo_application(village))
    if not form.is_valid():
        raise ValueError(f"演示申请数据无效：{form.errors.as_text()}")
    case = application_submit(procedure=AFTER_DEATH, cleaned_data=form.cleaned_data,
                              user=applicant, on_behalf=False, uploads={})
    health = users.get(username=f"wucheng_dept_{DEPARTMENT_SLUGS['卫健']}")
    proof = task_list_for_user(user=health).get(case=case)
    form_class = procedure_get(AFTER_DEATH.key).task_form_class(proof.spec_name)
    proof_form = form_class(data={"department_result": "done",
                                  "reference_number": "死证2026-0001"}, case_data=case.data)
    if not proof_form.is_valid():
        raise ValueError(f"演示办理数据无效：{proof_form.errors.as_text()}")
    task_submit(task=proof, form=proof_form, user=health)
    lines.append(f"身后一件事演示案件 {case.pk}（申请人 applicant_zhang）：死亡证明已由卫健办结，"
                 f"公安、医保、民政、残联、殡仪馆待办")
    return lines
