"""Reads of the elderly-home adaptation programme."""
from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from engine.models import Quota, Unit, UnitLevel

from .models import AdaptationItem

QUOTA_KEY = "elderly_home_adaptation"


def catalogue_items() -> QuerySet[AdaptationItem]:
    """The items an assessor may put in a plan: the county's catalogue, in its order."""
    return AdaptationItem.objects.filter(active=True).order_by("sort_order", "pk")


def township_quota(*, village_pk) -> Quota | None:
    """This year's adaptation quota of the township the village belongs to (None if unset)."""
    village = Unit.objects.filter(pk=village_pk).first()
    township = village.ancestor_at(UnitLevel.TOWNSHIP) if village else None
    if township is None:
        return None
    return Quota.objects.filter(key=QUOTA_KEY, unit=township,
                                year=timezone.localdate().year).select_related("unit").first()


def quota_summary(*, village_pk) -> str:
    """"罗店镇2026年度名额：共50个，已用3个，剩余47个" — shown to the deciding staff."""
    quota = township_quota(village_pk=village_pk)
    if quota is None:
        return "本乡镇本年度尚未分配适老化改造名额，县局分配前不能批准"
    return (f"{quota.unit.name}{quota.year}年度名额：共{quota.capacity}个，"
            f"已用{quota.used}个，剩余{quota.remaining}个")


def birth_date_from_id(id_number: str) -> date:
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def age_on(id_number: str, day: date) -> int:
    """Full years of age on ``day`` (周岁) for a checksum-valid ID number."""
    birth = birth_date_from_id(id_number)
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def application_extra_data(cleaned_data: dict) -> dict:
    """Derived from the ID number when the application is filed: age (周岁) and sex, which
    the eligibility table (bpmn/elderly_home_adaptation_rules.dmn) reads."""
    id_number = cleaned_data["id_number"]
    return {
        "age": age_on(id_number, timezone.localdate()),
        "birth_date": birth_date_from_id(id_number).isoformat(),
        "gender": "男" if int(id_number[16]) % 2 else "女",
    }
