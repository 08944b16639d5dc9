"""Demo data for elderly-home adaptation: township quotas, the item catalogue and one
eligible elderly applicant. Run after ``workflows.demo.demo_seed`` (it needs the townships)."""
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from engine.models import Quota, Unit, UnitLevel
from engine.services import quota_set

from ..common.fields import id_number_check_char
from ..demo import (
    DEMO_PASSWORD,
    DemoStage,
    demo_complete,
    demo_file,
    demo_id_number,
    demo_pdf,
    demo_photo,
    stages_seed,
)
from .models import AdaptationItem, ItemCategory
from .selectors import QUOTA_KEY

# (township, places this year) — seed: the county splits its quota 50 / 40 / 30.
QUOTAS = [("罗店镇", 50), ("安地镇", 40), ("蒋堂镇", 30)]

BASIC, OPTIONAL = ItemCategory.BASIC, ItemCategory.OPTIONAL
CATALOGUE = [
    # code, name, unit, unit price, category, description
    ("grab_bar", "如厕洗浴扶手", "个", "280", BASIC, "卫生间、淋浴区安装不锈钢安全扶手"),
    ("anti_slip_floor", "地面防滑处理", "平方米", "60", BASIC, "卫生间、厨房地面防滑处理"),
    ("ramp", "高差处理（坡道）", "处", "350", BASIC, "门槛移除或设置坡道，消除地面高差"),
    ("bed_rail", "床边护栏", "个", "260", BASIC, "防止坠床，辅助起身"),
    ("emergency_alarm", "紧急呼叫报警器", "套", "420", BASIC, "一键呼叫，联动子女及服务中心"),
    ("night_light", "感应夜灯及照明改造", "个", "80", BASIC, "卧室至卫生间通道感应照明"),
    ("shower_chair", "淋浴椅", "把", "150", BASIC, "防滑折叠淋浴椅"),
    ("toilet_seat", "蹲便改坐便", "个", "900", OPTIONAL, "含坐便器及安装"),
    ("nursing_bed", "多功能护理床", "张", "2800", OPTIONAL, "手动多功能护理床"),
    ("smoke_alarm", "独立式烟感报警器", "个", "120", OPTIONAL, "厨房、卧室烟雾报警"),
]

# The demo elderly applicant: 王秀英, 82, 特困, lives in 罗店村 (罗店镇).
APPLICANT_USERNAME = "applicant_wang"
APPLICANT_NAME = "王秀英"
APPLICANT_PHONE = "13800000082"


def demo_applicant_id_number(*, age: int = 82) -> str:
    """A checksum-valid ID number (婺城区 330702) of a woman who turns ``age`` on 15 March of
    this year."""
    first17 = f"330702{timezone.localdate().year - age}0315042"
    return first17 + id_number_check_char(first17)


def catalogue_seed() -> int:
    """Add the catalogue items that are missing; items the county edited are left alone."""
    created = 0
    for order, (code, name, unit, price, category, description) in enumerate(CATALOGUE):
        _, was_created = AdaptationItem.objects.get_or_create(code=code, defaults={
            "name": name, "unit": unit, "unit_price": Decimal(price), "category": category,
            "description": description, "sort_order": (order + 1) * 10})
        created += was_created
    return created


KEY = "elderly_home_adaptation"
# One case of 罗店镇 in each stage, filed by village staff for an elderly villager (代办).
STAGES = [
    DemoStage(KEY, "乡镇初审（刚提交）", "钱桂英", "luodian_staff", "township_review"),
    DemoStage(KEY, "退回补充材料", "孙有才", "luodian_v1_staff", "supplement"),
    DemoStage(KEY, "县民政局科室审核", "李月娥", "wucheng_county_staff", "county_review"),
    DemoStage(KEY, "县民政局审批", "赵志成", "wucheng_county_leader", "county_decide"),
    DemoStage(KEY, "需求评估（制定改造方案）", "周凤英", "wucheng_assessor", "assess"),
    DemoStage(KEY, "改造方案审核", "吴金水", "wucheng_county_staff", "plan_review"),
    DemoStage(KEY, "施工", "郑秀珍", "wucheng_provider", "works"),
    DemoStage(KEY, "竣工验收", "冯德胜", "luodian_staff", "acceptance"),
    DemoStage(KEY, "满意度评价", "陈玉兰", "luodian_v2_staff", "survey"),
    DemoStage(KEY, "归档办结（补贴发放通知已出具）", "褚福根", "luodian_staff",
              doc_type="elderly_home_payment"),
    DemoStage(KEY, "不予批准（通知书已出具）", "卫小妹", "wucheng_county_leader",
              doc_type="elderly_home_refusal"),
]
# applicant: (village, female, age, serial)
PEOPLE = {
    "钱桂英": ("罗店村", True, 84, 21), "孙有才": ("罗店村", False, 86, 22),
    "李月娥": ("后溪村", True, 81, 23), "赵志成": ("罗店村", False, 83, 24),
    "周凤英": ("西吴村", True, 88, 25), "吴金水": ("后溪村", False, 85, 26),
    "郑秀珍": ("罗店村", True, 82, 27), "冯德胜": ("西吴村", False, 87, 28),
    "陈玉兰": ("后溪村", True, 89, 29), "褚福根": ("罗店村", False, 90, 30),
    "卫小妹": ("西吴村", True, 81, 31),
}
VILLAGE_STAFF = {"罗店村": "luodian_v1_staff", "后溪村": "luodian_v2_staff",
                 "西吴村": "luodian_v3_staff"}
PLAN = {"qty_grab_bar": "2", "qty_anti_slip_floor": "8", "qty_emergency_alarm": "1",
        "qty_night_light": "3"}
ACTUAL = {"actual_qty_grab_bar": "2", "cost_grab_bar": "560",
          "actual_qty_anti_slip_floor": "8", "cost_anti_slip_floor": "480",
          "actual_qty_emergency_alarm": "1", "cost_emergency_alarm": "420",
          "actual_qty_night_light": "3", "cost_night_light": "240"}


def _file(name: str):
    village_name, female, age, serial = PEOPLE[name]
    village = Unit.objects.get(level=UnitLevel.VILLAGE, name=village_name,
                               parent__name="罗店镇")
    birth = f"{timezone.localdate().year - age - 1}0601"  # turned ``age`` last June
    return demo_file(KEY, {
        "applicant_name": name, "id_number": demo_id_number(birth=birth, serial=serial,
                                                            female=female),
        "phone": f"138000002{serial:02d}", "village": village.pk,
        "current_address": f"{village_name}{serial}号", "assistance_status": "tekun",
        "disability": "none", "residence_match": "yes", "home_right": "own",
        "demolition_planned": "no", "already_adapted": "no",
        "needs": "卫生间如厕起身困难，夜间起夜无照明", "commitment_signed": "on",
    }, username=VILLAGE_STAFF[village_name], on_behalf=True)


def _walk(name: str, until: str):
    """File ``name``'s case and walk it through the steps before ``until``."""
    case = _file(name)
    today = timezone.localdate().isoformat()
    steps = [
        ("township_review", "luodian_staff", {"review_result": "pass",
                                              "review_opinion": "经核实，符合条件"}),
        ("county_review", "wucheng_county_staff", {"county_opinion": "符合条件，建议批准"}),
        ("county_decide", "wucheng_county_leader", {"decision": "approve",
                                                    "decision_opinion": "同意"}),
        ("assess", "wucheng_assessor", {"assessment_date": today, "assessor_name": "陈评估",
                                        "findings": "卫生间无扶手，地面湿滑；卧室至卫生间无照明",
                                        "household_agreed": "on", **PLAN}),
        ("plan_review", "wucheng_county_staff", {"plan_decision": "approve",
                                                 "plan_opinion": "同意"}),
        ("works", "wucheng_provider", {
            "provider_name": "金华安居适老装修有限公司", "project_manager": "刘工",
            "start_date": today, "finish_date": today,
            "materials_list": "不锈钢扶手2个；防滑地砖8平方米；报警器1套；感应灯3个"}),
        ("acceptance", "luodian_staff", {
            "acceptance_result": "pass", "acceptors": "李验收、赵验收",
            "household_signed": "on", "invoice_number": "33012345",
            "acceptance_opinion": "按方案完成，质量合格", **ACTUAL}),
        ("survey", VILLAGE_STAFF[PEOPLE[name][0]], {"satisfaction": "very_satisfied",
                                                    "survey_comments": "施工认真，很满意"}),
    ]
    files = {"works": {"before_photos": [demo_photo("施工前-卫生间.jpg")]},
             "acceptance": {"after_photos": [demo_photo("施工后-卫生间.jpg")],
                            "invoice": [demo_pdf("发票.pdf")]}}
    for spec_name, username, data in steps:
        if spec_name == until:
            break
        demo_complete(case, username, spec_name, files=files.get(spec_name), **data)
    return case


def _returned() -> None:
    demo_complete(_file("孙有才"), "luodian_staff", "township_review",
                  review_result="return", review_opinion="材料不全",
                  missing_items="房屋产权证明；特困人员证")


def _refused() -> None:
    case = _walk("卫小妹", "county_decide")
    demo_complete(case, "wucheng_county_leader", "county_decide", decision="refuse",
                  decision_opinion="不同意", refusal_reason="住房经鉴定为C级危房，不宜改造")


MAKERS = {
    STAGES[0].applicant_name: lambda: _file("钱桂英"),
    STAGES[1].applicant_name: _returned,
    **{stage.applicant_name: (lambda stage=stage: _walk(stage.applicant_name, stage.spec_name))
       for stage in STAGES[2:9]},
    STAGES[9].applicant_name: lambda: _walk("褚福根", ""),
    STAGES[10].applicant_name: _refused,
}


@transaction.atomic
def seed(*, stages: bool = False) -> list[str]:
    """Idempotent: quotas already set for this year and catalogue items are kept as they
    are (the county may have changed them). ``stages``: also the cases of ``STAGES``."""
    lines = []
    year = timezone.localdate().year
    quotas = []
    for township_name, capacity in QUOTAS:
        township = Unit.objects.filter(level=UnitLevel.TOWNSHIP, name=township_name).first()
        if township is None:
            raise LookupError(f"请先运行基础演示数据（缺少{township_name}）")
        quotas.append(Quota.objects.filter(key=QUOTA_KEY, unit=township, year=year).first() or
                      quota_set(key=QUOTA_KEY, unit=township, year=year, capacity=capacity))
    created = catalogue_seed()
    if stages:
        stages_seed(STAGES, MAKERS)
    for quota in quotas:
        quota.refresh_from_db()
        lines.append(f"适老化改造名额：{quota.unit.name}{year}年 {quota.used}/{quota.capacity}")
    lines.append(f"适老化改造项目目录：{AdaptationItem.objects.count()}项（新增{created}项）")
    user, user_created = get_user_model().objects.get_or_create(
        username=APPLICANT_USERNAME, defaults={"first_name": APPLICANT_NAME})
    if user_created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    from portal.models import ApplicantProfile  # the profile pre-fills the application form

    profile = ApplicantProfile.objects.filter(user=user).first()
    if profile is None:
        profile = ApplicantProfile(user=user, id_number=demo_applicant_id_number(),
                                   phone=APPLICANT_PHONE)
        profile.full_clean()
        profile.save()
    lines.append(f"{APPLICANT_USERNAME}（{APPLICANT_NAME}，罗店镇罗店村，82岁特困老人，"
                 f"身份证{profile.id_number}，密码{DEMO_PASSWORD}）")
    return lines
