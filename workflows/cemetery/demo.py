"""Demo data for cemetery approval: the procedure needs no data of its own (the departments
it consults are the DMN table bpmn/cemetery_approval_departments.dmn); the seed says which
demo accounts walk each path and, with ``stages``, files one case in each stage
(``STAGES``): village committees' public-welfare cemeteries, filed by their village's staff,
and one operating cemetery filed by 张建国 for his company."""
from django.db import transaction
from django.utils import timezone

from engine.models import Unit, UnitLevel

from ..demo import (
    DEMO_PASSWORD,
    DEPARTMENT_SLUGS,
    TOWNSHIPS,
    DemoStage,
    demo_complete,
    demo_file,
    demo_pdf,
    stages_seed,
)
from .forms import credit_code_check_char

# A well-formed unified social credit code for trying the operating-cemetery path.
DEMO_CREDIT_CODE = "91330702MA2H00001" + credit_code_check_char("91330702MA2H00001")
KEY = "cemetery_approval"
# The departments the DMN table consults, in its order.
DEPARTMENTS = ("自然资源", "发改", "住建", "林业", "生态环境", "民宗")
OPERATOR = "婺城安息园陵园有限公司"

STAGES = [
    DemoStage(KEY, "乡镇审核（选址核查）", "西吴村村民委员会", "luodian_staff", "township_review"),
    DemoStage(KEY, "退回补正材料", "后溪村村民委员会", "luodian_v2_staff", "supplement"),
    DemoStage(KEY, "乡镇人民政府审核同意", "罗店村村民委员会", "luodian_leader", "township_decide"),
    DemoStage(KEY, "部门意见征询（六个部门各一项待办）", "安地村村民委员会",
              "wucheng_dept_land", "department_opinion"),
    DemoStage(KEY, "县民政局科室汇总审查", "岩头村村民委员会", "wucheng_county_staff",
              "county_summary"),
    DemoStage(KEY, "县民政局审批", "喻斯村村民委员会", "wucheng_county_leader", "county_decide"),
    DemoStage(KEY, "准予建设（批复已出具）", "蒋堂村村民委员会", "wucheng_county_leader",
              doc_type="cemetery_approval"),
    DemoStage(KEY, "乡镇不同意建设（意见书已出具）", "孙宅村村民委员会", "jiangtang_leader",
              doc_type="cemetery_township_opinion"),
    DemoStage(KEY, "经营性公墓：待登记省级审批结果", OPERATOR, "wucheng_county_staff",
              "record_provincial_result"),
]
# The order a public-welfare case goes through, up to the stage's step.
PUBLIC_STEPS = ("township_review", "township_decide", "department_opinion", "county_summary",
                "county_decide")


def _village(committee: str) -> tuple[Unit, str, str]:
    """The committee's village, its staff's username and its township's slug."""
    name = committee.removesuffix("村民委员会")
    for _township, slug, villages in TOWNSHIPS:
        if name in villages:
            village = Unit.objects.get(level=UnitLevel.VILLAGE, name=name)
            return village, f"{slug}_v{villages.index(name) + 1}_staff", slug
    raise LookupError(name)


def _file_public(committee: str):
    village, staff, _slug = _village(committee)
    today = timezone.localdate().isoformat()
    return demo_file(KEY, {
        "cemetery_type": "public_welfare", "applicant_name": committee, "village": village.pk,
        "contact_person": "王村长", "phone": "13800000302",
        "cemetery_name": f"{village.name}公益性公墓", "location": f"{village.name}北后山",
        "area_mu": "12.5", "graves": "800", "plot_size_limit": "0.8", "funding": "120",
        "funding_source": "村集体经济和乡镇补助", "land_status": "集体所有荒山",
        "resolution_date": today, "resolution_confirmed": "on", "villagers_only": "on",
        "not_clan_cemetery": "on",
    }, files={"resolution_files": [demo_pdf("村民会议决议.pdf")],
              "feasibility_report": [demo_pdf("可行性研究报告.pdf")],
              "planning_scheme": [demo_pdf("规划设计方案.pdf")],
              "management_rules": [demo_pdf("墓地管理制度.pdf")]},
        username=staff, on_behalf=True)


def _walk_public(committee: str, until: str):
    """File the committee's case and complete every step before ``until`` ("" = all)."""
    case = _file_public(committee)
    _village_unit, _staff, slug = _village(committee)
    for step in PUBLIC_STEPS:
        if step == until:
            break
        if step == "township_review":
            demo_complete(case, f"{slug}_staff", step, township_review_result="forward",
                          township_review_opinion="村民会议决议真实有效，材料齐全，选址经现场核查符合要求")
        elif step == "township_decide":
            demo_complete(case, f"{slug}_leader", step, township_decision="agree",
                          township_opinion="同意建设，报县民政局审批")
        elif step == "department_opinion":
            for department in DEPARTMENTS:
                demo_complete(case, f"wucheng_dept_{DEPARTMENT_SLUGS[department]}", step,
                              lane=f"department:{department}", dept_agree="agree",
                              dept_opinion="无意见")
        elif step == "county_summary":
            demo_complete(case, "wucheng_county_staff", step,
                          summary_opinion="各部门均同意，建议批准", recommendation="approve",
                          approved_area_mu="12", approved_graves="760",
                          approved_plot_limit="0.8",
                          land_conditions="须依法办理集体土地使用审批和乡村建设规划许可手续后方可开工建设")
        elif step == "county_decide":
            demo_complete(case, "wucheng_county_leader", step, decision="approve",
                          decision_opinion="同意建设")
    return case


def _returned() -> None:
    demo_complete(_file_public("后溪村村民委员会"), "luodian_staff", "township_review",
                  township_review_result="return", township_review_opinion="材料不全",
                  missing_items="村民会议签到表；墓地平面图")


def _township_refused() -> None:
    case = _walk_public("孙宅村村民委员会", "township_decide")
    demo_complete(case, "jiangtang_leader", "township_decide", township_decision="refuse",
                  township_opinion="不同意",
                  refusal_reason="本镇殡葬设施规划已在邻村布点，不再新建")


def _operating() -> None:
    village = Unit.objects.get(level=UnitLevel.VILLAGE, name="岩头村")
    case = demo_file(KEY, {
        "cemetery_type": "operating", "applicant_name": OPERATOR, "village": village.pk,
        "contact_person": "陈经理", "phone": "0579-82345678", "cemetery_name": "安息园",
        "location": "安地镇岩头村东侧山坡", "area_mu": "80", "graves": "12000",
        "plot_size_limit": "1", "funding": "6000", "funding_source": "企业自有资金",
        "land_status": "国有建设用地（出让）", "credit_code": DEMO_CREDIT_CODE,
        "legal_representative": "陈安", "total_investment": "6000", "funds_in_hand": "3500",
    }, files={"land_assessment": [demo_pdf("土地预审意见.pdf")],
              "planning_assessment": [demo_pdf("规划选址意见.pdf")],
              "environmental_assessment": [demo_pdf("环评批复.pdf")],
              "stability_assessment": [demo_pdf("社会稳定风险评估.pdf")]},
        username="applicant_zhang", on_behalf=False)
    demo_complete(case, "wucheng_county_staff", "county_review", county_review_result="forward",
                  funds_verified="on", county_review_opinion="申办材料齐全，资金到位，选址符合要求")
    demo_complete(case, "wucheng_county_leader", "county_forward_decide", decision="forward",
                  decision_opinion="同意转报省民政厅")


MAKERS = {
    **{stage.applicant_name: (lambda stage=stage: _walk_public(stage.applicant_name,
                                                               stage.spec_name))
       for stage in STAGES if stage.spec_name in PUBLIC_STEPS},
    STAGES[1].applicant_name: _returned,
    STAGES[6].applicant_name: lambda: _walk_public("蒋堂村村民委员会", ""),
    STAGES[7].applicant_name: _township_refused,
    STAGES[8].applicant_name: _operating,
}


@transaction.atomic
def seed(*, stages: bool = False) -> list[str]:
    """Return the notes to print; ``stages``: also file the ``STAGES`` cases."""
    if stages:
        stages_seed(STAGES, MAKERS)
    departments = "、".join(f"wucheng_dept_{DEPARTMENT_SLUGS[d]}（{d}）" for d in DEPARTMENTS)
    return [
        f"公墓审批（密码 {DEMO_PASSWORD}）：",
        "  农村公益性墓地：luodian_v1_staff 代罗店村村民委员会申请 → luodian_staff 审核"
        "（选址核查） → luodian_leader 同意 → 各部门会签 → wucheng_county_staff 汇总"
        " → wucheng_county_leader 批复",
        f"  会签部门账号：{departments}",
        "  经营性公墓：applicant_zhang 以企业名义申请（统一社会信用代码可填 "
        f"{DEMO_CREDIT_CODE}）→ wucheng_county_staff 审查 → wucheng_county_leader 转报"
        " → wucheng_county_staff 登记省级审批结果",
    ]
