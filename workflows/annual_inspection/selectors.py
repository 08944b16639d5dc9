"""Reads of the annual inspection: previous results, the published conclusions list, the
abnormal-activity directory, the published spot checks. There is no preview of a draw with
a seed of one's choosing: the seed is fixed when the campaign opens."""
from engine.models import Unit

from .models import (
    CONCLUSIONS,
    AbnormalListing,
    InspectionCampaign,
    InspectionRecord,
    InspectionResult,
    SocialOrganisation,
    SupervisingUnitAccount,
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


def spot_check_published(*, county: Unit, supervising_units: list[str] | None = None
                         ) -> list[dict]:
    """The published spot checks (双随机、一公开) of the county: per year, the method (the
    seed's SHA-256 committed when the campaign opened, the seed once drawn, the population's
    size and SHA-256, the ratio) and the drawn organisations. With ``supervising_units`` only
    the organisations those units supervise are listed (what a supervising unit sees)."""
    campaigns = (InspectionCampaign.objects.filter(county=county)
                 .select_related("spot_check_draw").order_by("-year"))
    result = []
    for campaign in campaigns:
        draw = getattr(campaign, "spot_check_draw", None)
        organisations = []
        if draw is not None:
            drawn = draw.organisations.order_by("name")
            if supervising_units is not None:
                drawn = drawn.filter(supervising_unit__in=supervising_units)
            organisations = list(drawn)
        result.append({"year": campaign.year, "seed_sha256": campaign.spot_check_seed_sha256,
                       "draw": draw, "organisations": organisations})
    return result


def supervising_units_of(user) -> list[str]:
    """The supervising units (业务主管单位) the user works for."""
    return list(SupervisingUnitAccount.objects.filter(user=user)
                .values_list("supervising_unit", flat=True))
