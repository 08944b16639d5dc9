"""Reads specific to temporary relief."""
from django.db.models import Q
from django.utils import timezone

from engine.models import Case, CaseStatus


def relief_grants_this_year(*, id_number: str) -> dict:
    """Grants already decided this calendar year for a household head (rule: one grant per
    household per year for the same cause unless the county approves more). Shown to staff
    on every step of a new application."""
    year_start = timezone.localtime().replace(month=1, day=1, hour=0, minute=0, second=0,
                                              microsecond=0)
    granted = Case.objects.filter(
        Q(status=CaseStatus.COMPLETED) | Q(status=CaseStatus.RUNNING),
        procedure="temporary_relief", applicant_id_number=id_number,
        created_at__gte=year_start, data__decision="approve",
    )
    amounts = [case.data.get("approved_amount") or 0 for case in granted]
    return {"count": len(amounts), "total": sum(amounts),
            "hardship_types": sorted({case.data.get("hardship_type", "") for case in granted})}


def application_extra_data(cleaned_data: dict) -> dict:
    """Data the engine adds to a new application: the grants it already has on record."""
    return {"recorded_grants": relief_grants_this_year(id_number=cleaned_data["id_number"])}
