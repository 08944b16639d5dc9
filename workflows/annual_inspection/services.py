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
from engine.models import (
    AuditAction,
    AuditEntry,
    CaseStatus,
    Document,
    RoleAssignment,
    TaskStatus,
    Unit,
    UnitLevel,
)
from engine.services import ActionRefused

from .models import (
    AbnormalListing,
    InspectionCampaign,
    InspectionRecord,
    InspectionResult,
    OrgStatus,
    OrgType,
    SocialOrganisation,
    SpotCheckDraw,
    SupervisingUnitAccount,
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
# 补报: after the deadline the organisation can still file for half a year.
LATE_FILING_DAYS = 183


class PenaltyRefused(ActionRefused):
    """A penalty decision that due process forbids (no prior notice, statement period still
    running, hearing requested but not held, heavier than notified)."""


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
        "late_report_closes_at": _deadline_timer(
            campaign.report_deadline + timedelta(days=LATE_FILING_DAYS)),
        "late_report_until": (campaign.report_deadline
                              + timedelta(days=LATE_FILING_DAYS)).isoformat(),
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
    # The spot check's seed is fixed now, before a single report is filed: its SHA-256 is
    # published on the campaign page, the seed itself only when the draw is made.
    seed, seed_sha256 = engine_services.random_draw_seed_commit(
        purpose=f"{county.name}{year}年度社会组织抽查", actor=actor)
    campaign = InspectionCampaign(county=county, year=year, report_deadline=report_deadline,
                                  opened_by=actor, spot_check_seed=seed,
                                  spot_check_seed_sha256=seed_sha256)
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
def spot_check_draw(*, year: int, actor, county: Unit | None = None) -> SpotCheckDraw:
    """Draw at least 3% (minimum 1) of the campaign's organisations at random with the seed
    committed when the campaign opened (no other seed can be used, so nobody can try seeds
    until the result suits them), record seed, hash, population digest and result
    (``engine.services.random_draw_record``), and deliver the result to every case of the
    campaign: drawn organisations' cases get an on-site check task wherever they are, the
    others close their wait for the draw."""
    county = staff_county(actor, county)
    campaign = InspectionCampaign.objects.select_for_update().filter(
        county=county, year=year).first()
    if campaign is None:
        raise ValidationError(f"{year}年度年检尚未开启")
    if SpotCheckDraw.objects.filter(campaign=campaign).exists():
        raise ValidationError(f"{year}年度抽查已经抽取，不能重复抽取")
    # The ratio is fixed too: trying ratios would be trying results.
    ratio = SPOT_CHECK_RATIO
    if not campaign.spot_check_seed:
        raise ActionRefused(f"{year}年度年检开启时未生成抽查随机种子，不能抽取")
    seed = campaign.spot_check_seed
    population = spot_check_population(year=year, county=county)
    chosen = engine_services.random_draw_record(
        purpose=f"{county.name}{year}年度社会组织抽查", population=population, ratio=ratio,
        minimum=SPOT_CHECK_MINIMUM, seed=seed, seed_sha256=campaign.spot_check_seed_sha256,
        actor=actor)
    draw = SpotCheckDraw.objects.create(
        campaign=campaign, seed=seed, seed_sha256=campaign.spot_check_seed_sha256,
        population_sha256=engine_services.random_draw_population_hash(population),
        population_size=len(set(population)), ratio=ratio, drawn_by=actor)
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
def supervising_unit_link(*, user, supervising_unit: str, actor) -> None:
    """Record that ``user`` (role org_supervisor) works for ``supervising_unit`` (the name
    organisations carry), so it sees the spot-check results of the organisations it
    supervises."""
    staff_county(actor, None)
    name = supervising_unit.strip()
    if not name:
        raise ValidationError("请填写业务主管单位名称")
    link = SupervisingUnitAccount(user=user, supervising_unit=name)
    link.full_clean()
    link.save()


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
    """A decision (after due process) to list the organisation for the missed deadline: the
    year is recorded as missed and the organisation listed on the abnormal-activity
    directory (both the year missed and the listing date are kept)."""
    record = _record_for(case)
    if record.result == InspectionResult.PENDING:
        # A late report concluded first (补报) keeps its conclusion; the listing stays, for
        # the deadline was missed, until the county removes it.
        record.result = InspectionResult.MISSED
        record.concluded_on = timezone.localdate()
        record.save(update_fields=["result", "concluded_on"])
    AbnormalListing.objects.get_or_create(
        organisation=record.organisation, year_missed=record.year,
        defaults={"listed_on": timezone.localdate(), "case": case,
                  "reason": f"未按规定参加{record.year}年度年检"})


def action_open_revocation(*, case, params, data, actor) -> None:
    """Two consecutive years missed: open a revocation case (撤销登记) for the county —
    unless the organisation has filed this year's report late in the meantime (补报)."""
    record = _record_for(case)
    organisation = record.organisation
    year = int(data["year"])
    if record.filed_late_on is not None:
        AuditEntry.objects.create(case=case, actor=actor, action=AuditAction.DECISION,
                                  summary="已补报年检报告书，不启动撤销登记程序",
                                  data={"filed_late_on": record.filed_late_on.isoformat()})
        return
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


def action_record_late_filing(*, case, params, data, actor) -> None:
    """补报: the report came after the deadline; it is reviewed like any other, and the
    sanction branch's decider sees that it came."""
    record = _record_for(case)
    record.filed_late_on = timezone.localdate()
    record.save(update_fields=["filed_late_on"])


def action_record_not_filed(*, case, params, data, actor) -> None:
    """The late-filing window closed without a report: the year is recorded as missed (a
    fact next year's campaign counts; any sanction is the decision branch's business)."""
    record = _record_for(case)
    if record.result == InspectionResult.PENDING:
        record.result = InspectionResult.MISSED
        record.concluded_on = timezone.localdate()
        record.save(update_fields=["result", "concluded_on"])


def _notice_of(case, doc_type: str) -> Document | None:
    return Document.objects.filter(case=case, doc_type=doc_type).order_by("-pk").first()


def action_penalty_decision_check(*, case, params, data, actor) -> None:
    """Due process of an administrative penalty, checked against what the case recorded
    (documents and task rows, not form data a client could send): a penalty needs a
    行政处罚事先告知书; the statement period must have passed or been answered; a hearing the
    party asked for must have been held; and the decision may not be heavier than the
    notice proposed (《行政处罚法》 arts. 44-45, 63-64). Runs right after the decision task,
    in the same transaction, so a refusal leaves the task open and nothing saved."""
    from .forms import PENALTY_LABELS, PENALTY_SEVERITY

    decision = data.get("decision")
    if decision not in PENALTY_SEVERITY:
        raise PenaltyRefused("处理决定无效")
    if PENALTY_SEVERITY[decision] == 0:
        return  # no penalty: nothing to notify
    notice = _notice_of(case, params["notice"])
    if notice is None:
        raise PenaltyRefused(
            f"未向当事人送达行政处罚事先告知书，不能作出“{PENALTY_LABELS[decision]}”的决定"
            f"（《行政处罚法》第四十四条）")
    proposed = (notice.context or {}).get("proposed_penalty", "none")
    if PENALTY_SEVERITY[decision] > PENALTY_SEVERITY.get(proposed, 0):
        raise PenaltyRefused(
            f"处理决定“{PENALTY_LABELS[decision]}”重于事先告知的“"
            f"{PENALTY_LABELS.get(proposed, proposed)}”；不得因当事人陈述、申辩而加重处罚，"
            f"如需加重须重新告知（《行政处罚法》第四十五条）")
    statements = case.tasks.filter(spec_name=params["statement_task"],
                                   created_at__gte=notice.created_at)
    if not statements.exists() or statements.filter(status=TaskStatus.OPEN).exists():
        raise PenaltyRefused("陈述、申辩期限尚未届满且当事人尚未答复，不能作出处罚决定")
    answered = statements.filter(status=TaskStatus.COMPLETED).order_by("-pk").first()
    hearing_task = params.get("hearing_task")
    if hearing_task and answered is not None and answered.form_data.get("answer") == "hearing":
        if not case.tasks.filter(spec_name=hearing_task, status=TaskStatus.COMPLETED,
                                 created_at__gte=answered.completed_at).exists():
            raise PenaltyRefused("当事人已申请听证，须举行听证并制作听证笔录后才能作出决定"
                                 "（《行政处罚法》第六十三条）")


def action_penalty_hearing_schedule_check(*, case, params, data, actor) -> None:
    """The hearing notice goes out today; the hearing may not be sooner than seven days."""
    from .forms import HEARING_NOTICE_DAYS

    try:
        scheduled = date.fromisoformat(str(data.get("hearing_date")))
    except ValueError:
        raise PenaltyRefused("听证日期无效") from None
    earliest = timezone.localdate() + timedelta(days=HEARING_NOTICE_DAYS)
    if scheduled < earliest:
        raise PenaltyRefused(f"应当在举行听证的七日前通知当事人，听证日期不得早于"
                             f"{earliest.isoformat()}（《行政处罚法》第六十四条）")


def action_penalty_hearing_check(*, case, params, data, actor) -> None:
    """A hearing record is only accepted for a hearing held on or after the date the hearing
    notice gave, seven days or more after that notice was issued."""
    from .forms import HEARING_NOTICE_DAYS

    notice = _notice_of(case, "org_revocation_hearing_notice")
    if notice is None:
        raise PenaltyRefused("未发出听证通知书，不能制作听证笔录")
    try:
        scheduled = date.fromisoformat(str((notice.context or {}).get("hearing_date")))
        held = date.fromisoformat(str(data.get("hearing_held_on")))
    except ValueError:
        raise PenaltyRefused("听证日期无效") from None
    if scheduled < notice.issued_on + timedelta(days=HEARING_NOTICE_DAYS):
        raise PenaltyRefused("听证通知书应在举行听证七日前送达")
    if held < scheduled or held > timezone.localdate():
        raise PenaltyRefused(f"听证应于{scheduled.isoformat()}举行，尚未举行的不能制作听证笔录")


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
