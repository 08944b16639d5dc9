"""Demo data for temporary relief: one case of 罗店镇 in each stage (``STAGES``), among them two
whose public notice (公示) a newcomer can look at right away — one in progress, one whose
period has ended and which waits for the township leader's decision.

Every case is filed and walked by the demo staff through the same services the portal uses.
Only a notice's start date is set by the seed (``engine.notices.notice_backdate_for_demo``),
and the notice says so on the public page; a notice whose period has then passed is closed by
the ordinary timer sweep (``case_fire_timers``). No clock is faked.
Run after ``workflows.demo.demo_seed`` and the deployment of every procedure.
"""
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from engine.models import Case, PublicNotice, Unit, UnitLevel
from engine.notices import notice_backdate_for_demo
from engine.services import case_fire_timers

from ..demo import DEMO_PASSWORD, DemoStage, demo_complete, demo_file, demo_id_number, stages_seed
from .procedure import PROCEDURE

KEY = PROCEDURE.key
SEED_NOTE = "演示数据：本公示的张贴日期由演示数据设定为{date}，以便查看{what}的公示。"
NOTICE_RUNNING_DAYS_AGO = 3  # the 7-day notice then has 5 days left
NOTICE_ENDED_DAYS_AGO = 9

STAGES = [
    DemoStage(KEY, "受理审查（刚提交）", "孙桂芳", "luodian_staff", "accept"),
    DemoStage(KEY, "退回补正（待补正材料）", "周永福", "luodian_v1_staff", "supplement"),
    DemoStage(KEY, "入户调查", "吴丽娟", "luodian_v2_staff", "investigate"),
    DemoStage(KEY, "乡镇审核", "郑国强", "luodian_staff", "township_review"),
    DemoStage(KEY, "村（居）公示中（可提交异议）", "李秀兰", "luodian_staff"),
    DemoStage(KEY, "公示期满，待乡镇审批", "王建华", "luodian_leader", "township_decide"),
    DemoStage(KEY, "超出乡镇权限，县民政局科室审核", "陈美玲", "wucheng_county_staff",
              "county_review"),
    DemoStage(KEY, "已批准（救助决定书已出具）", "刘德明", "luodian_leader",
              doc_type="relief_decision"),
    DemoStage(KEY, "不予救助（告知书已出具）", "黄小红", "luodian_leader",
              doc_type="relief_refusal"),
]

# applicant: (village, female, birth, serial, amount, hardship, description)
PEOPLE = {
    "孙桂芳": ("罗店村", True, "19650302", 11, "1500", "illness", "丈夫重病住院，自付医疗费用较高"),
    "周永福": ("罗店村", False, "19580714", 12, "2000", "accident", "务工受伤，暂时失去收入"),
    "吴丽娟": ("后溪村", True, "19790521", 13, "1800", "illness", "子女突发疾病住院"),
    "郑国强": ("罗店村", False, "19701109", 14, "2500", "accident", "车祸致残，家庭收入骤减"),
    "李秀兰": ("后溪村", True, "19680412", 15, "2000", "illness", "户主突发疾病住院，自付医疗费用较高"),
    "王建华": ("罗店村", False, "19720918", 16, "2800", "accident", "房屋失火，生活用品损毁"),
    "陈美玲": ("西吴村", True, "19750203", 17, "8000", "illness", "罹患重病，自付医疗费用超过家庭承受能力"),
    "刘德明": ("后溪村", False, "19630826", 18, "2200", "accident", "房屋因暴雨部分倒塌"),
    "黄小红": ("罗店村", True, "19820117", 19, "1200", "illness", "家庭成员患病"),
}
VILLAGE_STAFF = {"罗店村": "luodian_v1_staff", "后溪村": "luodian_v2_staff",
                 "西吴村": "luodian_v3_staff"}


def _file(name: str) -> Case:
    village_name, female, birth, serial, amount, hardship, description = PEOPLE[name]
    village = Unit.objects.get(level=UnitLevel.VILLAGE, name=village_name,
                               parent__name="罗店镇")
    return demo_file(KEY, {
        "applicant_name": name, "gender": "女" if female else "男",
        "id_number": demo_id_number(birth=birth, serial=serial, female=female),
        "phone": f"138000001{serial:02d}", "village": village.pk,
        "current_address": f"{village.name}{serial}号", "members_text": "",
        "hardship_type": hardship, "description": description, "monthly_income": "900",
        "previous_grants_count": "0", "previous_grants_total": "0",
        "requested_amount": amount, "bank_account": f"62170000000001{serial:02d}",
        "authorization_signed": "on",
    }, username=VILLAGE_STAFF[village_name], on_behalf=True)


def _accept(case: Case) -> None:
    demo_complete(case, "luodian_staff", "accept", acceptance="accept")


def _investigate(case: Case, *, eligible: bool = True) -> None:
    amount = PEOPLE[case.applicant_name][4]
    demo_complete(case, VILLAGE_STAFF[case.data["village_name"]], "investigate",
                  visit_date=timezone.localdate().isoformat(), investigator_1="王芳",
                  investigator_2="李强",
                  household_findings="入户核实，情况属实" if eligible else "家庭有稳定工资收入",
                  proposed_amount=amount, village_opinion="同意上报" if eligible else "不同意")


def _review(case: Case) -> None:
    amount = PEOPLE[case.applicant_name][4]
    demo_complete(case, "luodian_staff", "township_review", economic_check="eligible",
                  amount=amount, recommendation="grant", review_opinion="经核对符合临时救助条件")


def _to_notice(name: str) -> Case:
    case = _file(name)
    _accept(case)
    _investigate(case)
    _review(case)
    return case


def _backdate_notice(case: Case, days_ago: int) -> None:
    """Post the case's notice ``days_ago`` days ago (marked as demo data), then run the
    ordinary sweep for the case: a notice past its period ends now, the real way."""
    notice = case.public_notices.get()
    starts_at = timezone.now() - timedelta(days=days_ago)
    notice_backdate_for_demo(
        notice=notice, starts_at=starts_at,
        seed_note=SEED_NOTE.format(
            date=timezone.localtime(starts_at).strftime("%Y-%m-%d"),
            what="公示期已满" if days_ago > notice.days else "正在进行中"))
    case_fire_timers(case_pk=case.pk)
    case.refresh_from_db()


def _past_notice(name: str) -> Case:
    case = _to_notice(name)
    _backdate_notice(case, NOTICE_ENDED_DAYS_AGO)
    return case


def _approved() -> None:
    case = _past_notice("刘德明")
    demo_complete(case, "luodian_leader", "township_decide", decision="approve",
                  approved_amount=PEOPLE["刘德明"][4], payment_method="bank",
                  decision_opinion="同意救助")


def _refused() -> None:
    case = _file("黄小红")
    _accept(case)
    _investigate(case, eligible=False)
    demo_complete(case, "luodian_staff", "township_review", economic_check="ineligible",
                  amount=PEOPLE["黄小红"][4], recommendation="refuse", review_opinion="不符合",
                  refusal_reason="经家庭经济状况核对，家庭月人均收入高于当地低保标准")
    demo_complete(case, "luodian_leader", "township_decide", decision="refuse",
                  decision_opinion="不同意救助",
                  refusal_reason="经家庭经济状况核对，家庭月人均收入高于当地低保标准")


def _running_notice() -> None:
    _backdate_notice(_to_notice("李秀兰"), NOTICE_RUNNING_DAYS_AGO)


def _returned() -> None:
    demo_complete(_file("周永福"), "luodian_staff", "accept", acceptance="return",
                  missing_items="医院诊断证明；务工单位出具的受伤证明")


def _investigation() -> None:
    _accept(_file("吴丽娟"))


def _township_review() -> None:
    case = _file("郑国强")
    _accept(case)
    _investigate(case)


MAKERS = {
    STAGES[0].applicant_name: lambda: _file("孙桂芳"),
    STAGES[1].applicant_name: _returned,
    STAGES[2].applicant_name: _investigation,
    STAGES[3].applicant_name: _township_review,
    STAGES[4].applicant_name: _running_notice,
    STAGES[5].applicant_name: lambda: _past_notice("王建华"),
    STAGES[6].applicant_name: lambda: _past_notice("陈美玲"),
    STAGES[7].applicant_name: _approved,
    STAGES[8].applicant_name: _refused,
}


@transaction.atomic
def seed(*, stages: bool = False) -> list[str]:
    """``stages``: file the stage cases that are missing (one per stage, by applicant).
    Returns the notes to print."""
    if stages:
        stages_seed(STAGES, MAKERS)
    lines = [f"临时救助公示（公开页面，无需登录）：{settings.SITE_URL}/public/notices/"]
    for notice in (PublicNotice.objects.exclude(seed_note="").select_related("case", "unit")
                   .order_by("pk")):
        state = notice.get_status_display()
        lines.append(f"  {notice.unit.name} {notice.case.applicant_name}：{state}，"
                     f"/public/notices/{notice.uuid}/")
    lines += [
        "  公示中的案件：可在公示页面提交异议（公示暂停计时），luodian_staff 在待办中“异议核查”",
        "  公示期满的案件：luodian_leader 在待办中“乡镇审批”作出决定"
        f"（工作人员账号密码 {DEMO_PASSWORD}）",
    ]
    return lines
