"""Demo data for the bundles: one 身后一件事 application by 张建国 for his father, past the death
proof, so the department accounts (wucheng_dept_*) find their tasks in the inbox at once. Run
after ``workflows.demo.demo_seed`` (it needs the organisation, departments and 张建国)."""
from django.contrib.auth import get_user_model
from django.db import transaction

from engine.models import Case, Unit, UnitLevel
from engine.selectors import task_list_for_user

from ..demo import DEMO_PASSWORD, DEPARTMENT_SLUGS
from ..registry import procedure_get
from ..services import application_submit, procedure_deploy_from_files, task_submit
from .procedure import AFTER_DEATH, MARRIAGE_BIRTH

DEMO_DECEASED = "张老汉"


def _demo_application(village: Unit) -> dict:
    return {
        "applicant_name": "张建国", "id_number": "330702198001011232", "phone": "13800000001",
        "relation": "子女", "village": village.pk, "deceased_name": DEMO_DECEASED,
        "deceased_id_number": "330702194501010019", "death_date": "2026-01-05",
        "death_place": "金华市中心医院", "death_type": "natural",
        "wanted_items": [code for code, _ in AFTER_DEATH.application_form.ITEM_CHOICES],
    }


@transaction.atomic
def seed() -> list[str]:
    """Deploy both bundles (no-op when unchanged) and file the demo case once."""
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
