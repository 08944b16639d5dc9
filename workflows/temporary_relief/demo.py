"""Demo data for temporary relief: two cases in 罗店镇 whose public notice (公示) a newcomer can
look at right away — one in progress, one whose period has ended and which waits for the
township leader's decision.

Both cases are filed and walked through acceptance, investigation and review by the demo
staff through the same services the portal uses. Only the notice's start date is set by the
seed (``engine.notices.notice_backdate_for_demo``), and the notice says so on the public page;
the ended one is then closed by the ordinary timer sweep. No clock is faked.
Run after ``workflows.demo.demo_seed`` and the deployment of every procedure.
"""
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from engine.models import Case, PublicNotice, TaskStatus, Unit, UnitLevel
from engine.notices import notice_backdate_for_demo
from engine.services import case_fire_timers

from ..common.fields import id_number_check_char
from ..demo import DEMO_PASSWORD
from ..registry import procedure_get
from ..services import application_submit, task_submit
from .procedure import PROCEDURE

# (applicant, first 17 ID digits, village, amount, days since the notice was posted)
DEMO_CASES = [
    ("李秀兰", "33070219680412062", "后溪村", "2000", 3),   # in progress: 5 of 7 days left
    ("王建华", "33070219720918081", "罗店村", "2800", 9),   # ended: ready for decision
]
SEED_NOTE = "演示数据：本公示的张贴日期由演示数据设定为{date}，以便查看{what}的公示。"


def _user(username: str):
    return get_user_model().objects.get(username=username)


def _complete(case: Case, username: str, spec_name: str, **data) -> None:
    task = case.tasks.get(status=TaskStatus.OPEN, spec_name=spec_name)
    form = PROCEDURE.task_form_class(spec_name)(data=data, case_data=case.data)
    if not form.is_valid():
        raise ValueError(f"演示数据表单无效（{spec_name}）：{form.errors.as_text()}")
    task_submit(task=task, form=form, user=_user(username))
    case.refresh_from_db()


def _file(name: str, first17: str, village: Unit, amount: str) -> Case:
    village_staff = _user("luodian_v1_staff" if village.name == "罗店村" else "luodian_v2_staff")
    form = PROCEDURE.application_form(data={
        "applicant_name": name, "gender": "女" if name == "李秀兰" else "男",
        "id_number": first17 + id_number_check_char(first17), "phone": "13800000123",
        "village": village.pk, "current_address": f"{village.name}8号", "members_text": "",
        "hardship_type": "illness" if name == "李秀兰" else "accident",
        "description": "户主突发疾病住院，自付医疗费用较高" if name == "李秀兰"
        else "房屋失火，生活用品损毁",
        "monthly_income": "900", "previous_grants_count": "0", "previous_grants_total": "0",
        "requested_amount": amount, "bank_account": "6217000000000123",
        "authorization_signed": "on",
    })
    if not form.is_valid():
        raise ValueError(f"演示申请表无效：{form.errors.as_text()}")
    case = application_submit(procedure=procedure_get(PROCEDURE.key),
                              cleaned_data=form.cleaned_data, user=village_staff,
                              on_behalf=True)
    _complete(case, "luodian_staff", "accept", acceptance="accept")
    _complete(case, village_staff.username, "investigate",
              visit_date=timezone.localdate().isoformat(), investigator_1="王芳",
              investigator_2="李强", household_findings="入户核实，情况属实",
              proposed_amount=amount, village_opinion="同意上报")
    _complete(case, "luodian_staff", "township_review", economic_check="eligible",
              amount=amount, recommendation="grant", review_opinion="经核对符合临时救助条件")
    return case


@transaction.atomic
def seed() -> list[str]:
    """File the two demo cases once (skipped when seeded notices exist); return notes."""
    if not PublicNotice.objects.exclude(seed_note="").exists():
        township = Unit.objects.get(level=UnitLevel.TOWNSHIP, name="罗店镇")
        now = timezone.now()
        for name, first17, village_name, amount, days_ago in DEMO_CASES:
            village = Unit.objects.get(parent=township, name=village_name)
            case = _file(name, first17, village, amount)
            notice = case.public_notices.get()
            starts_at = now - timedelta(days=days_ago)
            notice_backdate_for_demo(
                notice=notice, starts_at=starts_at,
                seed_note=SEED_NOTE.format(
                    date=timezone.localtime(starts_at).strftime("%Y-%m-%d"),
                    what="公示期已满" if days_ago > notice.days else "正在进行中"))
            # The ordinary sweep for this one case: a notice past its period ends now.
            case_fire_timers(case_pk=case.pk)
    lines = [f"临时救助公示（公开页面，无需登录）：{settings.SITE_URL}/public/notices/"]
    for notice in PublicNotice.objects.exclude(seed_note="").select_related("case", "unit"):
        state = notice.get_status_display()
        lines.append(f"  {notice.unit.name} {notice.case.applicant_name}：{state}，"
                     f"/public/notices/{notice.uuid}/")
    lines += [
        "  公示中的案件：可在公示页面提交异议（公示暂停计时），luodian_staff 在待办中“异议核查”",
        "  公示期满的案件：luodian_leader 在待办中“乡镇审批”作出决定"
        f"（工作人员账号密码 {DEMO_PASSWORD}）",
    ]
    return lines
