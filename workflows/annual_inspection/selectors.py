"""Reads of the annual inspection: previous results, the published conclusions list, the
abnormal-activity directory, the spot-check preview."""
from engine.models import Unit
from engine.services import random_draw

from .models import (
    CONCLUSIONS,
    AbnormalListing,
    InspectionRecord,
    InspectionResult,
    SocialOrganisation,
)

SPOT_CHECK_RATIO = 0.03  # 民发〔2017〕45号: at least 3% a year at county level
SPOT_CHECK_MINIMUM = 1


def inspection_result_of(*, organisation: SocialOrganisation, year: int) -> str:
    """The organisation's result for ``year`` ("" when there is no record, e.g. exempt or
    not yet registered)."""
    record = InspectionRecord.objects.filter(organisation=organisation, year=year).first()
    return record.result if record else ""


def conclusions_published(*, year: int, county: Unit | None = None) -> list[dict]:
    """The year's published conclusions (结论公告): name, credit code and conclusion of every
    organisation concluded or found not to have filed. Read-only; the portal may show it."""
    records = (InspectionRecord.objects
               .filter(year=year, result__in=[*CONCLUSIONS, InspectionResult.MISSED])
               .select_related("organisation").order_by("organisation__name"))
    if county is not None:
        records = records.filter(organisation__village__path__startswith=county.path)
    return [{"name": r.organisation.name, "credit_code": r.organisation.credit_code,
             "conclusion": r.get_result_display(), "result": r.result} for r in records]


def abnormal_directory(*, county: Unit | None = None) -> list[AbnormalListing]:
    """Organisations currently on the abnormal-activity directory (not removed)."""
    listings = (AbnormalListing.objects.filter(removed_on__isnull=True)
                .select_related("organisation").order_by("-listed_on", "organisation__name"))
    if county is not None:
        listings = listings.filter(organisation__village__path__startswith=county.path)
    return list(listings)


def spot_check_population(*, year: int, county: Unit) -> list[str]:
    """Credit codes of the campaign's organisations (those given a case: not exempt)."""
    return sorted(InspectionRecord.objects
                  .filter(campaign__county=county, campaign__year=year, case__isnull=False)
                  .values_list("organisation__credit_code", flat=True))


def spot_check_preview(*, year: int, seed: str, county: Unit,
                       ratio: float = SPOT_CHECK_RATIO) -> list[str]:
    """The credit codes a draw with ``seed`` picks, without recording anything: the same seed
    over the same campaign always gives the same organisations (anyone can re-run it)."""
    return random_draw(population=spot_check_population(year=year, county=county),
                       ratio=ratio, minimum=SPOT_CHECK_MINIMUM, seed=seed)
