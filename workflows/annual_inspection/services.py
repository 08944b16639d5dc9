"""Writes of the annual inspection: organisations, campaigns, the spot-check draw, the
abnormal-activity directory, and the actions the diagrams call (``run_action``).

Actions run inside the engine's transaction that advances the case, after the workflow ran,
so a case step and the rows it writes here commit or roll back together.
"""
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from engine import services as engine_services
from engine.models import CaseStatus, RoleAssignment, Unit, UnitLevel

from .models import (
    AbnormalListing,
    InspectionCampaign,
    InspectionRecord,
    InspectionResult,
    OrgStatus,
    OrgType,
    SocialOrganisation,
    SpotCheckDraw,
)
from .selectors import (
    SPOT_CHECK_MINIMUM,
    SPOT_CHECK_RATIO,
    inspection_result_of,
    spot_check_population,
)

PROCEDURE_KEY = "annual_inspection"
REVOCATION_KEY = "org_revocation"
SPOT_CHECK_MESSAGE = "spot_check_draw"
COUNTY_ROLES = ("county_staff", "county_leader")
# Last year's results after which this year's report must include a rectification report.
RECTIFY_AFTER = (InspectionResult.MISSED, InspectionResult.BASIC, InspectionResult.FAIL)


def staff_county(actor, county: Unit | None) -> Unit:
    """The county the actor works for as county civil-affairs staff (PermissionDenied if none)."""
    assignments = RoleAssignment.objects.filter(user=actor, role_id__in=COUNTY_ROLES,
                                                unit__level=UnitLevel.COUNTY)
    if county is not None:
        assignments = assignments.filter(unit=county)
    assignment = assignments.select_related("unit").first()
    if assignment is None:
        raise PermissionDenied("只有县民政局工作人员可以办理社会组织年检工作")
    return assignment.unit


@transaction.atomic
def organisation_create(*, name: str, credit_code: str, org_type: str, registered_on: date,
                        village: Unit, supervising_unit: str = "",
                        account=None) -> SocialOrganisation:
    """Register a social organisation with the county bureau's records."""
    organisation = SocialOrganisation(
        name=name, credit_code=credit_code.strip().upper(), org_type=org_type,
        registered_on=registered_on, village=village,
        supervising_unit=supervising_unit.strip(), account=account)
    organisation.full_clean()
    organisation.save()
    return organisation


@transaction.atomic
def inspection_result_import(*, organisation: SocialOrganisation, year: int, result: str,
                             listed_on: date | None = None) -> InspectionRecord:
    """Record a year inspected before the system was introduced (paper records), so this
    year's campaign knows last year's result. A missed year also needs its listing date on
    the abnormal-activity directory."""
    if result == InspectionResult.PENDING:
        raise ValidationError("只能导入已有结论的年度")
    record = InspectionRecord(organisation=organisation, year=year, result=result)
    record.full_clean()
    record.save()
    if result == InspectionResult.MISSED:
        if listed_on is None:
            raise ValidationError("未参加年检的年度须填写列入活动异常名录的日期")
        listing = AbnormalListing(organisation=organisation, year_missed=year,
                                  listed_on=listed_on,
                                  reason=f"未按规定参加{year}年度年检")
        listing.full_clean()
        listing.save()
    return record


def _deadline_timer(deadline: date) -> str:
    """The moment the report deadline has passed: midnight after the deadline day, local time
    (an ISO datetime the diagram's boundary timer reads with timeDate)."""
    moment = datetime.combine(deadline + timedelta(days=1), time(0, 0),
                              tzinfo=timezone.get_current_timezone())
    return moment.isoformat()


def _is_exempt(organisation: SocialOrganisation, year: int) -> bool:
    """Registered within the last six months of the year (after 30 June): exempt that year."""
    return organisation.registered_on > date(year, 6, 30)


def _case_data(organisation: SocialOrganisation, campaign: InspectionCampaign) -> dict:
    year = campaign.year
    last_result = inspection_result_of(organisation=organisation, year=year - 1)
    village = organisation.village
    return {
        "year": year,
        "org_id": organisation.pk,
        "org_name": organisation.name,
        "credit_code": organisation.credit_code,
        "org_type": organisation.org_type,
        "org_type_label": OrgType(organisation.org_type).label,
        "registered_on": organisation.registered_on.isoformat(),
        "supervising_unit": organisation.supervising_unit,
        "has_supervisor": bool(organisation.supervising_unit),
        "report_deadline": campaign.report_deadline.isoformat(),
        "report_deadline_at": _deadline_timer(campaign.report_deadline),
        "last_year_result": last_result,
        "last_year_result_label": InspectionResult(last_result).label if last_result else "",
        "missed_last_year": last_result == InspectionResult.MISSED,
        "rectification_required": last_result in RECTIFY_AFTER,
        "village_name": village.name,
        "township_name": village.parent.name if village.parent else "",
    }


@transaction.atomic
def campaign_open(*, year: int, report_deadline: date, actor,
                  county: Unit | None = None) -> InspectionCampaign:
    """Open the county's annual inspection of ``year``: one case per registered organisation
    of the county, except those registered after 30 June of that year (exempt, recorded as
    such). Each case carries the deadline, whether the organisation has a supervising unit,
    and last year's result."""
    county = staff_county(actor, county)
    if report_deadline <= timezone.localdate():
        raise ValidationError("报送截止日期应晚于今天")
    if report_deadline.year <= year:
        raise ValidationError(f"{year}年度年检的报送截止日期应在{year + 1}年")
    if InspectionCampaign.objects.filter(county=county, year=year).exists():
        raise ValidationError(f"{year}年度年检已经开启")
    campaign = InspectionCampaign(county=county, year=year, report_deadline=report_deadline,
                                  opened_by=actor)
    campaign.full_clean()
    campaign.save()
    organisations = (SocialOrganisation.objects
                     .filter(status=OrgStatus.ACTIVE, registered_on__lte=date(year, 12, 31),
                             village__path__startswith=county.path)
                     .select_related("village__parent").order_by("name"))
    for organisation in organisations:
        if _is_exempt(organisation, year):
            InspectionRecord.objects.create(organisation=organisation, year=year,
                                            campaign=campaign, result=InspectionResult.EXEMPT)
            continue
        case = engine_services.case_start(
            procedure=PROCEDURE_KEY, title=f"{year}年度社会组织年检",
            village=organisation.village, applicant_name=organisation.name,
            applicant=organisation.account, data=_case_data(organisation, campaign),
            started_by=actor)
        InspectionRecord.objects.create(organisation=organisation, year=year,
                                        campaign=campaign, case=case)
    return campaign


@transaction.atomic
def spot_check_draw(*, year: int, seed: str, actor, county: Unit | None = None,
                    ratio: float = SPOT_CHECK_RATIO) -> SpotCheckDraw:
    """Draw at least 3% (minimum 1) of the campaign's organisations at random, reproducibly
    (``engine.services.random_draw_record`` keeps seed and population in the audit trail),
    and deliver the result to every case of the campaign: drawn organisations' cases get an
    on-site check task wherever they are, the others close their wait for the draw."""
    county = staff_county(actor, county)
    campaign = InspectionCampaign.objects.select_for_update().filter(
        county=county, year=year).first()
    if campaign is None:
        raise ValidationError(f"{year}年度年检尚未开启")
    if SpotCheckDraw.objects.filter(campaign=campaign).exists():
        raise ValidationError(f"{year}年度抽查已经抽取，不能重复抽取")
    if ratio < SPOT_CHECK_RATIO:
        raise ValidationError("县级抽查比例不得低于3%")
    seed = seed.strip()
    if not seed:
        raise ValidationError("请填写随机种子（如公开摇号的号码）")
    chosen = engine_services.random_draw_record(
        purpose=f"{county.name}{year}年度社会组织抽查",
        population=spot_check_population(year=year, county=county), ratio=ratio,
        minimum=SPOT_CHECK_MINIMUM, seed=seed, actor=actor)
    draw = SpotCheckDraw.objects.create(campaign=campaign, seed=seed, ratio=ratio,
                                        drawn_by=actor)
    draw.organisations.set(SocialOrganisation.objects.filter(credit_code__in=chosen))
    records = (InspectionRecord.objects.filter(campaign=campaign, case__isnull=False)
               .select_related("organisation", "case").order_by("pk"))
    for record in records:
        if record.case.status != CaseStatus.RUNNING:
            continue  # a case stopped by an error; the draw is in the audit trail all the same
        engine_services.case_send_message(
            case_pk=record.case_id, message=SPOT_CHECK_MESSAGE, actor=actor,
            payload={"drawn": record.organisation.credit_code in chosen, "seed": seed,
                     "year": year})
    return draw


@transaction.atomic
def abnormal_listing_remove(*, listing: AbnormalListing, reason: str, actor) -> AbnormalListing:
    """Take an organisation off the abnormal-activity directory (移出), e.g. after it filed
    the missing report."""
    staff_county(actor, None)
    listing = AbnormalListing.objects.select_for_update().get(pk=listing.pk)
    if listing.removed_on is not None:
        raise ValidationError("该组织已移出活动异常名录")
    if not reason.strip():
        raise ValidationError("请填写移出事由")
    listing.removed_on = timezone.localdate()
    listing.removal_reason = reason.strip()
    listing.full_clean()
    listing.save(update_fields=["removed_on", "removal_reason"])
    return listing


# ---------------------------------------------------------------------------------------------
# Actions the diagrams call with run_action


def _record_for(case) -> InspectionRecord:
    return InspectionRecord.objects.select_for_update().select_related("organisation").get(
        case=case)


def action_record_conclusion(*, case, params, data, actor) -> None:
    """年检结论登记: the conclusion record that the published list reads."""
    record = _record_for(case)
    record.result = data["conclusion"]
    record.problems = data.get("problems") or ""
    deadline = data.get("rectification_deadline")
    record.rectification_deadline = date.fromisoformat(deadline) if deadline else None
    record.concluded_on = timezone.localdate()
    record.full_clean()
    record.save(update_fields=["result", "problems", "rectification_deadline", "concluded_on"])


def action_list_abnormal(*, case, params, data, actor) -> None:
    """Missed deadline: the year is recorded as missed and the organisation listed on the
    abnormal-activity directory (both the year missed and the listing date are kept)."""
    record = _record_for(case)
    record.result = InspectionResult.MISSED
    record.concluded_on = timezone.localdate()
    record.save(update_fields=["result", "concluded_on"])
    AbnormalListing.objects.get_or_create(
        organisation=record.organisation, year_missed=record.year,
        defaults={"listed_on": timezone.localdate(), "case": case,
                  "reason": f"未按规定参加{record.year}年度年检"})


def action_open_revocation(*, case, params, data, actor) -> None:
    """Two consecutive years missed: open a revocation case (撤销登记) for the county."""
    organisation = _record_for(case).organisation
    year = int(data["year"])
    engine_services.case_start(
        procedure=REVOCATION_KEY, title="社会组织撤销登记", village=case.village,
        applicant_name=organisation.name, applicant=organisation.account, started_by=actor,
        data={"org_id": organisation.pk, "org_name": organisation.name,
              "credit_code": organisation.credit_code,
              "org_type_label": OrgType(organisation.org_type).label,
              "registered_on": organisation.registered_on.isoformat(),
              "years_missed": [year - 1, year], "inspection_case": case.pk,
              "village_name": data.get("village_name", ""),
              "township_name": data.get("township_name", "")})


def action_record_spot_check(*, case, params, data, actor) -> None:
    """The on-site check's findings go on the year's record."""
    record = _record_for(case)
    record.spot_checked = True
    record.spot_check_findings = data.get("findings", "")
    record.save(update_fields=["spot_checked", "spot_check_findings"])


def action_revoke(*, case, params, data, actor) -> None:
    """The county decided to revoke the registration."""
    organisation = SocialOrganisation.objects.select_for_update().get(pk=data["org_id"])
    organisation.status = OrgStatus.REVOKED
    organisation.revoked_on = timezone.localdate()
    organisation.save(update_fields=["status", "revoked_on"])
