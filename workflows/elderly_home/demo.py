"""Demo data for elderly-home adaptation: township quotas, the item catalogue and one
eligible elderly applicant. Run after ``workflows.demo.demo_seed`` (it needs the townships)."""
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from engine.models import Quota, Unit, UnitLevel
from engine.services import quota_set

from ..common.fields import id_number_check_char
from ..demo import DEMO_PASSWORD
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


@transaction.atomic
def seed() -> list[str]:
    """Idempotent: quotas already set for this year and catalogue items are kept as they
    are (the county may have changed them)."""
    lines = []
    year = timezone.localdate().year
    for township_name, capacity in QUOTAS:
        township = Unit.objects.filter(level=UnitLevel.TOWNSHIP, name=township_name).first()
        if township is None:
            raise LookupError(f"请先运行基础演示数据（缺少{township_name}）")
        quota = Quota.objects.filter(key=QUOTA_KEY, unit=township, year=year).first() or \
            quota_set(key=QUOTA_KEY, unit=township, year=year, capacity=capacity)
        lines.append(f"适老化改造名额：{township_name}{year}年 {quota.used}/{quota.capacity}")
    created = catalogue_seed()
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
