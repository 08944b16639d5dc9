"""Reads of the elderly-home adaptation programme."""
from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from engine.models import Case, CaseStatus, Quota, QuotaWaiting, Unit, UnitLevel, WaitingStatus
from engine.persons import case_person_ids, earlier_cases_for

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


def quota_waiting_count(quota: Quota) -> int:
    return QuotaWaiting.objects.filter(quota=quota, status=WaitingStatus.WAITING).count()


def quota_summary(*, village_pk) -> str:
    """"罗店镇2026年度名额：共50个，已用3个，剩余47个" — shown to the deciding staff; with
    the waiting list (候补) when the places are used up."""
    quota = township_quota(village_pk=village_pk)
    if quota is None:
        return "本乡镇本年度尚未分配适老化改造名额，县局分配前不能批准"
    text = (f"{quota.unit.name}{quota.year}年度名额：共{quota.capacity}个，"
            f"已用{quota.used}个，剩余{quota.remaining}个")
    if quota.remaining <= 0:
        text += f"，候补{quota_waiting_count(quota)}户"
    return text


# ---------------------------------------------------------------------------------------------
# One adaptation per person and household (PROCEDURES.md §2: "Excluded: already adapted")


def _still_counts(case: Case) -> bool:
    """An earlier case that keeps the household from another adaptation: one still open
    (filed, approved, on the waiting list, under works), or finished with the works accepted.
    A refused or withdrawn application (finished without acceptance) does not count."""
    if case.status == CaseStatus.COMPLETED:
        return case.data.get("acceptance_result") == "pass"
    return True


def _case_state(case: Case) -> str:
    if case.status == CaseStatus.COMPLETED:
        return "已改造（竣工验收合格）"
    if case.quota_reservations.filter(released_at__isnull=True).exists():
        return "已批准，正在改造"
    if case.quota_waiting.filter(status=WaitingStatus.WAITING).exists():
        return "已批准，候补中"
    return "申请办理中"


def adaptations_on_record(*, id_numbers, county=None, filed_before: Case | None = None,
                          exclude_case: Case | None = None) -> list[dict]:
    """Earlier adaptation cases naming any of the persons (the elderly applicant or a member
    of the household, as applicant or member there): [{"case_id", "filed_on", "state",
    "matched"}], oldest first. Filed before ``filed_before`` only, so of two applications of
    one household the later one is stopped, not both."""
    found = earlier_cases_for(procedure=QUOTA_KEY, id_numbers=id_numbers,
                              filed_before=filed_before, exclude_case=exclude_case,
                              within=county, keep=_still_counts)
    return [{"case_id": entry.case.pk,
             "filed_on": timezone.localtime(entry.case.created_at).date().isoformat(),
             "state": _case_state(entry.case), "matched": entry.matched_names}
            for entry in found]


def adaptations_of_case(case: Case) -> list[dict]:
    """``adaptations_on_record`` for a case's own persons, live."""
    return adaptations_on_record(id_numbers=case_person_ids(case), county=case.village.county,
                                 filed_before=case, exclude_case=case)


def adaptation_matches_text(matches: list[dict]) -> str:
    """"案件编号 12（2026-03-02申请，王秀英（申请人），已批准，正在改造）"."""
    return "；".join(f"案件编号 {m['case_id']}（{m['filed_on']}申请，{m['matched']}，{m['state']}）"
                    for m in matches)


def adaptation_refusal_sentence(matches: list[dict]) -> str:
    return (f"该户已有居家适老化改造记录：{adaptation_matches_text(matches)}。同一户只能享受一次"
            f"政府补贴的居家适老化改造")


def birth_date_from_id(id_number: str) -> date:
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def age_on(id_number: str, day: date) -> int:
    """Full years of age on ``day`` (周岁) for a checksum-valid ID number."""
    birth = birth_date_from_id(id_number)
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def application_extra_data(cleaned_data: dict) -> dict:
    """Derived from the ID number when the application is filed: age (周岁) and sex, which
    the eligibility table (bpmn/elderly_home_adaptation_rules.dmn) reads; and the household's
    adaptations already on record (``adaptation_matches``: anyone of the household, as
    applicant or household member of an earlier case)."""
    id_number = cleaned_data["id_number"]
    members = cleaned_data.get("household_members") or []
    return {
        "age": age_on(id_number, timezone.localdate()),
        "birth_date": birth_date_from_id(id_number).isoformat(),
        "gender": "男" if int(id_number[16]) % 2 else "女",
        "adaptation_matches": adaptations_on_record(
            id_numbers=[id_number, *(m["id_number"] for m in members)],
            county=cleaned_data["village"].county),
    }
