"""Reads specific to temporary relief."""
from datetime import timedelta

from django.utils import timezone

from engine.models import Case, CaseStatus
from engine.persons import case_person_ids, earlier_cases_for

PROCEDURE_KEY = "temporary_relief"
# County setting (``Unit.settings``): the duplicate check looks back this many days instead
# of the calendar year (rule: one grant per household per year for the same cause).
SETTING_DUPLICATE_DAYS = "relief_duplicate_days"
OPEN_STATUSES = (CaseStatus.RUNNING, CaseStatus.SUSPENDED, CaseStatus.ERROR)


def duplicate_period_start(county):
    """Start of the period a household's other applications are looked for in: the county's
    ``relief_duplicate_days`` back from now, else 1 January of this year."""
    days = (county.settings or {}).get(SETTING_DUPLICATE_DAYS) if county else None
    now = timezone.localtime()
    try:
        if days not in (None, "") and int(days) > 0:
            return now - timedelta(days=int(days))
    except (TypeError, ValueError):
        pass
    return now.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)


def _standing(case: Case) -> bool:
    """A grant (an approval, urgent grants included) or an application still open; a
    refused, not accepted or withdrawn application is not a duplicate."""
    return case.data.get("decision") == "approve" or case.status in OPEN_STATUSES


def household_cases(*, id_numbers, county, exclude_case=None) -> list[dict]:
    """Other relief cases of the period naming anyone of the household (head or member,
    there or here): [{"case_id", "filed_on", "state", "amount", "hardship_type", "matched",
    "granted"}], oldest first. Later applications count too: two open applications of one
    household are each told about the other."""
    found = earlier_cases_for(procedure=PROCEDURE_KEY, id_numbers=id_numbers,
                              since=duplicate_period_start(county), exclude_case=exclude_case,
                              within=county, keep=_standing)
    rows = []
    for entry in found:
        data = entry.case.data
        granted = data.get("decision") == "approve"
        rows.append({
            "case_id": entry.case.pk,
            "filed_on": timezone.localtime(entry.case.created_at).date().isoformat(),
            "granted": granted,
            "amount": data.get("approved_amount") if granted else None,
            "hardship_type": data.get("hardship_type", ""),
            "state": "已批准救助" if granted else "申请办理中",
            "matched": entry.matched_names,
        })
    return rows


def household_cases_of_case(case: Case) -> list[dict]:
    return household_cases(id_numbers=case_person_ids(case), county=case.village.county,
                           exclude_case=case)


def household_cases_text(rows: list[dict]) -> str:
    """"案件编号 12（2026-03-02申请，李梅（家庭成员），已批准救助2500元）；…"."""
    parts = []
    for row in rows:
        state = f"{row['state']}{row['amount']}元" if row["granted"] else row["state"]
        parts.append(f"案件编号 {row['case_id']}（{row['filed_on']}申请，{row['matched']}，"
                     f"{state}）")
    return "；".join(parts)


def _id_numbers(cleaned_data: dict) -> list[str]:
    return [cleaned_data["id_number"],
            *(m["id_number"] for m in cleaned_data.get("members_text") or [])]


def application_extra_data(cleaned_data: dict) -> dict:
    """Data the engine adds to a new application: the household's other applications and
    grants on record (anyone of the household, as head or member)."""
    county = cleaned_data["village"].county
    rows = household_cases(id_numbers=_id_numbers(cleaned_data), county=county)
    granted = [row for row in rows if row["granted"]]
    return {"household_cases": rows,
            "recorded_grants": {"count": len(granted),
                                "total": sum(row["amount"] or 0 for row in granted),
                                "hardship_types": sorted({row["hardship_type"]
                                                          for row in granted})}}
