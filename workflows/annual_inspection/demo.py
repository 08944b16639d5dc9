"""Demo data of the annual inspection: 40 social organisations across the demo villages, last
year's results (imported as from paper records) and this year's campaign opened.

The organisation account ``org_laonian`` (婺城区老年人协会, 罗店村, supervised by 区老龄办) has
its report to file; last year it was 基本合格, so its report needs a rectification report.
"""
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from engine.models import Unit, UnitLevel

from ..demo import DEMO_PASSWORD, TOWNSHIPS, DemoStage, demo_case, demo_complete, demo_pdf
from .models import (
    CREDIT_CODE_CHARS,
    InspectionCampaign,
    InspectionRecord,
    InspectionResult,
    OrgType,
    SocialOrganisation,
    SupervisingUnitAccount,
    credit_code_check_char,
)
from .services import (
    campaign_open,
    inspection_result_import,
    organisation_create,
    supervising_unit_link,
)

ORG_ACCOUNT = ("org_laonian", "婺城区老年人协会")
REGION_CODE = "330702"  # 金华市婺城区

# (name, type, supervising unit or "" for direct registration)
ORGANISATIONS = [
    ("婺城区老年人协会", OrgType.SOCIAL_GROUP, "婺城区老龄工作委员会办公室"),
    ("婺城区书法家协会", OrgType.SOCIAL_GROUP, "婺城区文联"),
    ("婺城区摄影家协会", OrgType.SOCIAL_GROUP, "婺城区文联"),
    ("婺城区个体劳动者协会", OrgType.SOCIAL_GROUP, ""),
    ("婺城区慈善总会", OrgType.SOCIAL_GROUP, ""),
    ("婺城区红十字志愿者协会", OrgType.SOCIAL_GROUP, "婺城区红十字会"),
    ("婺城区农村经济合作协会", OrgType.SOCIAL_GROUP, "婺城区农业农村局"),
    ("婺城区茶叶协会", OrgType.SOCIAL_GROUP, "婺城区农业农村局"),
    ("婺城区佛手产业协会", OrgType.SOCIAL_GROUP, ""),
    ("婺城区退役军人互助协会", OrgType.SOCIAL_GROUP, ""),
    ("婺城区科技工作者协会", OrgType.SOCIAL_GROUP, "婺城区科学技术协会"),
    ("婺城区围棋协会", OrgType.SOCIAL_GROUP, ""),
    ("婺城区登山户外运动协会", OrgType.SOCIAL_GROUP, ""),
    ("婺城区婺剧爱好者协会", OrgType.SOCIAL_GROUP, ""),
    ("婺城区乡贤联谊会", OrgType.SOCIAL_GROUP, ""),
    ("婺城区社会工作协会", OrgType.SOCIAL_GROUP, ""),
    ("婺城区家庭教育促进会", OrgType.SOCIAL_GROUP, "婺城区教育局"),
    ("婺城区残疾人康复协会", OrgType.SOCIAL_GROUP, "婺城区残疾人联合会"),
    ("婺城区养蜂协会", OrgType.SOCIAL_GROUP, ""),
    ("婺城区广场舞协会", OrgType.SOCIAL_GROUP, ""),
    ("婺城区阳光幼儿园", OrgType.PRIVATE_NON_ENTERPRISE, "婺城区教育局"),
    ("婺城区启明培训学校", OrgType.PRIVATE_NON_ENTERPRISE, "婺城区教育局"),
    ("婺城区康乐居家养老服务中心", OrgType.PRIVATE_NON_ENTERPRISE, ""),
    ("婺城区夕阳红养老院", OrgType.PRIVATE_NON_ENTERPRISE, ""),
    ("婺城区同心社会工作服务中心", OrgType.PRIVATE_NON_ENTERPRISE, ""),
    ("婺城区仁和中医诊所", OrgType.PRIVATE_NON_ENTERPRISE, "婺城区卫生健康局"),
    ("婺城区爱心助残服务中心", OrgType.PRIVATE_NON_ENTERPRISE, ""),
    ("婺城区青苗托育中心", OrgType.PRIVATE_NON_ENTERPRISE, ""),
    ("婺城区邻里互助服务社", OrgType.PRIVATE_NON_ENTERPRISE, ""),
    ("婺城区绿水环保公益服务中心", OrgType.PRIVATE_NON_ENTERPRISE, ""),
    ("婺城区乐龄老年大学", OrgType.PRIVATE_NON_ENTERPRISE, ""),
    ("婺城区安心调解服务中心", OrgType.PRIVATE_NON_ENTERPRISE, ""),
    ("婺城区童心艺术培训学校", OrgType.PRIVATE_NON_ENTERPRISE, "婺城区教育局"),
    ("婺城区晨光体育俱乐部", OrgType.PRIVATE_NON_ENTERPRISE, ""),
    ("婺城区德馨文化研究院", OrgType.PRIVATE_NON_ENTERPRISE, ""),
    ("婺城区康宁康复医院", OrgType.PRIVATE_NON_ENTERPRISE, "婺城区卫生健康局"),
    ("婺城区田园农业技术服务中心", OrgType.PRIVATE_NON_ENTERPRISE, ""),
    ("婺城区和美家政服务培训中心", OrgType.PRIVATE_NON_ENTERPRISE, ""),
    ("婺城区新芽青少年服务中心", OrgType.PRIVATE_NON_ENTERPRISE, ""),
    ("婺城区暖阳助老服务社", OrgType.PRIVATE_NON_ENTERPRISE, ""),
]
# Last year's results that make this year's demo interesting (others: 合格).
LAST_YEAR = {
    "婺城区老年人协会": InspectionResult.BASIC,
    "婺城区围棋协会": InspectionResult.MISSED,
    "婺城区养蜂协会": InspectionResult.MISSED,
    "婺城区青苗托育中心": InspectionResult.FAIL,
}
DEMO_SUPERVISED_BY_ACCOUNT = ("婺城区老龄工作委员会办公室", "婺城区教育局")
# Registered in the second half of the campaign year: exempt this year.
NEWLY_REGISTERED = ("婺城区新芽青少年服务中心", "婺城区暖阳助老服务社")


def demo_credit_code(index: int, org_type: str) -> str:
    """A well-formed code: 5 (civil affairs) + 1/2 (社团/民非) + region + MJ organisation code +
    check character (GB 32100)."""
    kind = "1" if org_type == OrgType.SOCIAL_GROUP else "2"
    body = f"5{kind}{REGION_CODE}MJ{index:07d}"
    assert all(char in CREDIT_CODE_CHARS for char in body)
    return body + credit_code_check_char(body)


def current_campaign(today: date) -> tuple[int, date]:
    """The campaign whose deadline has not passed: until 31 May the previous year's, then the
    current year's (reports due by 31 May of the next year)."""
    if today < date(today.year, 5, 31):
        return today.year - 1, date(today.year, 5, 31)
    return today.year, date(today.year + 1, 5, 31)


KEY = "annual_inspection"
# This year's campaign, one organisation in each stage. Organisations without an account file
# through their village's staff (the demo spreads organisations over the nine villages in
# order: 阳光幼儿园 → 西吴村, 家庭教育促进会 → 孙宅村).
STAGES = [
    DemoStage(KEY, "网上报送年检报告书", "婺城区老年人协会", "org_laonian", "file_report"),
    DemoStage(KEY, "业务主管单位初审", "婺城区阳光幼儿园", "wucheng_org_supervisor",
              "supervisor_review"),
    DemoStage(KEY, "退回补正年检报告书", "婺城区家庭教育促进会", "jiangtang_v2_staff",
              "correct_report"),
    DemoStage(KEY, "登记管理机关审查", "婺城区个体劳动者协会", "wucheng_county_staff",
              "county_review"),
    DemoStage(KEY, "作出年检结论", "婺城区慈善总会", "wucheng_county_leader", "conclude"),
    DemoStage(KEY, "合格（结论通知书已出具，待年度抽查）", "婺城区佛手产业协会",
              "wucheng_county_staff", doc_type="inspection_conclusion"),
    DemoStage(KEY, "基本合格（整改通知书已出具）", "婺城区登山户外运动协会",
              "wucheng_county_staff", doc_type="inspection_rectification"),
]
REPORT = {"activities": "开展会员活动10场，组织公益服务6次", "income": "52000",
          "expenditure": "48000.50", "net_assets": "30000", "audit": "not_required",
          "audit_report": "", "officers": "王德福 会长\n李秀英 秘书长", "changes": "",
          "rectification_report": "", "declaration_confirmed": "on"}


def _village_staff(case) -> str:
    """The username of the staff of the organisation's village (who file for it)."""
    township = case.village.parent
    slug, names = next((slug, names) for name, slug, names in TOWNSHIPS if name == township.name)
    return f"{slug}_v{names.index(case.village.name) + 1}_staff"


def _walk(stage: DemoStage) -> None:
    """Walk the campaign's case of the stage's organisation up to the stage."""
    case = demo_case(stage)
    if case is None or not case.tasks.filter(status="open", spec_name="file_report").exists():
        return  # not opened (exempt), or walked already
    supervised = case.data.get("has_supervisor")
    filer = _village_staff(case)
    demo_complete(case, filer, "file_report",
                  files={"attachments": [demo_pdf("年检报告书.pdf")]}, **REPORT)
    if stage.spec_name == "supervisor_review":
        return
    if supervised:
        if stage.spec_name == "correct_report":
            demo_complete(case, "wucheng_org_supervisor", "supervisor_review",
                          supervisor_result="return", opinion="材料不全",
                          return_reason="缺少财务会计报告；理事名单未签章")
            return
        demo_complete(case, "wucheng_org_supervisor", "supervisor_review",
                      supervisor_result="pass", opinion="同意报送", return_reason="")
    if stage.spec_name == "county_review":
        return
    basic = stage.doc_type == "inspection_rectification"
    demo_complete(case, "wucheng_county_staff", "county_review", county_result="pass",
                  site_visit="on", proposed_conclusion="basic" if basic else "pass",
                  opinion="报告内容齐全", return_reason="")
    if stage.spec_name == "conclude":
        return
    deadline = (timezone.localdate() + timedelta(days=60)).isoformat()
    demo_complete(case, "wucheng_county_leader", "conclude",
                  conclusion="basic" if basic else "pass",
                  problems="财务管理制度不健全" if basic else "",
                  rectification_deadline=deadline if basic else "",
                  conclusion_opinion="基本合格" if basic else "合格")


def seed_stages() -> None:
    """Walk this year's cases of the ``STAGES`` organisations (idempotent: a case is walked
    only while it still waits for its report)."""
    for stage in STAGES[1:]:
        _walk(stage)


@transaction.atomic
def seed(*, stages: bool = False) -> list[str]:
    """Create the demo organisations and open the current campaign (idempotent).
    ``stages``: also walk the ``STAGES`` cases."""
    user_model = get_user_model()
    account, created = user_model.objects.get_or_create(
        username=ORG_ACCOUNT[0], defaults={"first_name": ORG_ACCOUNT[1]})
    if created:
        account.set_password(DEMO_PASSWORD)
        account.save(update_fields=["password"])
    year, deadline = current_campaign(timezone.localdate())
    villages = [Unit.objects.get(level=UnitLevel.VILLAGE, name=village, parent__name=township)
                for township, _, names in TOWNSHIPS for village in names]
    for index, (name, org_type, supervisor) in enumerate(ORGANISATIONS, start=1):
        if SocialOrganisation.objects.filter(name=name).exists():
            continue
        registered_on = (date(year, 8, 1 + index % 20) if name in NEWLY_REGISTERED
                         else date(2010 + index % 12, 1 + index % 12, 1 + index % 27))
        organisation = organisation_create(
            name=name, credit_code=demo_credit_code(index, org_type), org_type=org_type,
            registered_on=registered_on, village=villages[(index - 1) % len(villages)],
            supervising_unit=supervisor, account=account if name == ORG_ACCOUNT[1] else None)
        if name not in NEWLY_REGISTERED and not InspectionRecord.objects.filter(
                organisation=organisation, year=year - 1).exists():
            result = LAST_YEAR.get(name, InspectionResult.PASS)
            inspection_result_import(
                organisation=organisation, year=year - 1, result=result,
                listed_on=date(year, 6, 15) if result == InspectionResult.MISSED else None)
    county = villages[0].county
    county_staff = user_model.objects.get(username="wucheng_county_staff")
    if not InspectionCampaign.objects.filter(county=county, year=year).exists():
        campaign_open(year=year, report_deadline=deadline, actor=county_staff, county=county)
    # The demo's one supervising-unit account works for the units with most organisations, so
    # its spot-check results page has something to show once the county draws.
    supervisor = user_model.objects.filter(username="wucheng_org_supervisor").first()
    if supervisor is not None:
        for unit in DEMO_SUPERVISED_BY_ACCOUNT:
            if not SupervisingUnitAccount.objects.filter(user=supervisor,
                                                         supervising_unit=unit).exists():
                supervising_unit_link(user=supervisor, supervising_unit=unit, actor=county_staff)
    if stages:
        seed_stages()
    return [f"{ORG_ACCOUNT[0]} / {DEMO_PASSWORD}：{ORG_ACCOUNT[1]}"
            f"（社会组织账号，待报送{year}年度年检报告书）",
            f"社会组织年检：{len(ORGANISATIONS)}个社会组织，{year}年度年检已开启，"
            f"截止{deadline.isoformat()}"]
