"""The happy path of each shipped procedure, as ``bench_engine.py`` walks it through the engine.

Each scenario files the application through the procedure's form and
``workflows.services.application_submit`` and completes every step through the procedure's
task form and ``workflows.services.task_submit``, as the portal (and the tests' helpers under
``tests/workflows/``) do; timers are fired by ``engine.services.timers_fire_due(now=...)``.
The data are those of the tests' helpers. Every case is another household / organisation, as
in real life (another valid ID number or credit code).

The annual inspection is not filed by an applicant: the county opens a campaign (one case per
organisation, ``campaign_open``) and the year's spot-check draw (``spot_check_draw``) closes
the cases; ``AnnualInspection`` walks a campaign of N organisations.

Imported after ``django.setup()``.
"""
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import time_machine
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from engine.models import Case, CaseStatus, Document, TaskStatus, Unit, UnitLevel
from engine.services import quota_set, timers_fire_due
from workflows.common.fields import id_number_check_char
from workflows.demo import DEPARTMENT_SLUGS
from workflows.registry import procedure_get
from workflows.services import application_form_uploads, application_submit, task_submit

TIMER = "(timer)"
START = "start"
_serial = itertools.count(1)  # households / organisations, unique across the whole run


class BenchError(RuntimeError):
    """A run did not follow the expected path; the figures would be meaningless."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise BenchError(message)


def add_time(steps: dict, label: str, started: float) -> None:
    """Accumulate (seconds, count) of ``label`` since ``started``."""
    total, count = steps.get(label, (0.0, 0))
    steps[label] = (total + time.perf_counter() - started, count + 1)


@lru_cache(maxsize=None)
def unit_pk(name: str) -> int:
    # Looked up once: in the portal the village's id arrives in the POST.
    return Unit.objects.get(name=name).pk


def user(username: str):
    # Every step loads its user afresh, as a request's authentication would.
    return get_user_model().objects.get(username=username)


def id_number(first6: str, household: int, *, born: date, female: bool = False) -> str:
    birth = born + timedelta(days=household % 3000)
    sequence = (household % 500) * 2 + (0 if female else 1)  # odd: male, even: female
    first17 = f"{first6}{birth:%Y%m%d}{sequence:03d}"
    return first17 + id_number_check_char(first17)


def pdf(name: str) -> SimpleUploadedFile:
    # Real files: uploads are checked by content (engine/files.py), fakes are refused.
    from tests.files import pdf_upload

    return pdf_upload(name)


def jpeg(name: str) -> SimpleUploadedFile:
    from tests.files import jpeg_upload

    return jpeg_upload(name)


@dataclass(frozen=True)
class Step:
    """A user task (completed as ``username`` with ``post`` and ``files``) or TIMER."""

    spec_name: str
    username: str | None = None
    post: dict | None = None
    lane: str | None = None  # parallel tasks of one spec (departments): pick by lane
    files: Callable[[], dict] | None = None  # fresh uploads for each case


@dataclass(frozen=True)
class Scenario:
    key: str  # --procedures name
    procedure: str
    path: str  # one line for the report
    applicant: str  # username filing the application
    on_behalf: bool
    application: Callable[[int], dict]  # household number -> POSTed application
    steps: list[Step]
    application_files: Callable[[], dict] | None = None
    timer_wait: timedelta | None = None  # how far the clock moves before the sweep
    setup: Callable[[], None] | None = None  # untimed, once
    batch = False

    def engine_instance(self, steps: dict) -> int:
        """One case through the portal's services; returns the case's pk."""
        procedure = procedure_get(self.procedure)
        started = time.perf_counter()
        files = MultiValueDict(self.application_files()) if self.application_files else None
        form = procedure.application_form(data=self.application(next(_serial)), files=files)
        check(form.is_valid(), f"{self.key}: application form invalid: {form.errors}")
        case = application_submit(procedure=procedure, cleaned_data=form.cleaned_data,
                                  user=user(self.applicant), on_behalf=self.on_behalf,
                                  uploads=application_form_uploads(form))
        add_time(steps, START, started)
        for step in self.steps:
            started = time.perf_counter()
            if step.spec_name == TIMER:
                with time_machine.travel(timezone.now() + self.timer_wait, tick=True):
                    fired = timers_fire_due(now=timezone.now())
                check(fired == 1, f"{self.key}: the sweep fired {fired} cases, expected 1")
            else:
                task_walk(case, step)
            add_time(steps, step.spec_name, started)
        return case.pk


def task_walk(case: Case, step: Step) -> None:
    """Complete the case's open task ``step.spec_name`` (of ``step.lane``) through its form."""
    procedure = procedure_get(case.procedure)
    tasks = case.tasks.filter(status=TaskStatus.OPEN, spec_name=step.spec_name)
    if step.lane:
        tasks = tasks.filter(lane=step.lane)
    task = tasks.order_by("pk").first()
    if task is None:
        open_tasks = list(case.tasks.filter(status=TaskStatus.OPEN)
                          .values_list("spec_name", "lane"))
        raise BenchError(f"{case.procedure}: no open {step.spec_name} {step.lane or ''}; "
                         f"open: {open_tasks}")
    case.refresh_from_db(fields=["data"])
    files = MultiValueDict(step.files()) if step.files else None
    form = procedure.task_form_class(step.spec_name)(data=step.post, files=files,
                                                     case_data=case.data)
    check(form.is_valid(), f"{case.procedure} {step.spec_name} form invalid: {form.errors}")
    task_submit(task=task, form=form, user=user(step.username))


def cases_check(key: str, case_pks: list[int], doc_types: list[str]) -> None:
    """After the timed loop: every case finished with the documents of the recorded case."""
    finished = Case.objects.filter(pk__in=case_pks, status=CaseStatus.COMPLETED).count()
    check(finished == len(case_pks), f"{key}: {finished} of {len(case_pks)} cases finished")
    for case_pk in case_pks:
        found = sorted(Document.objects.filter(case=case_pk).values_list("doc_type", flat=True))
        check(found == doc_types, f"{key}: case {case_pk} issued {found}, expected {doc_types}")


# ---------------------------------------------------------------------------------------------
# 临时救助 (tests/workflows/temporary_relief/helpers.py)


def relief_application(household: int) -> dict:
    return {
        "applicant_name": "张建国", "gender": "男",
        "id_number": id_number("330702", household, born=date(1960, 1, 1)),
        "phone": "13800000001", "village": str(unit_pk("罗店村")),
        "current_address": "罗店村12号", "members_text": "", "hardship_type": "illness",
        "description": "户主突发脑梗住院", "monthly_income": "800", "previous_grants_count": "0",
        "previous_grants_total": "0", "requested_amount": "2500",
        "bank_account": "6217000000000001", "authorization_signed": "on",
    }


TEMPORARY_RELIEF = Scenario(
    key="temporary_relief", procedure="temporary_relief",
    path="临时救助: application → accept → investigate → township_review (2500 元, within the "
         "township's DMN limit) → 7-day public notice (the engine's notice clock, ended by the "
         "timer sweep: message notice_ended) → township_decide (approve) → decision",
    applicant="applicant_zhang", on_behalf=False, application=relief_application,
    timer_wait=timedelta(days=8),  # past the 7-day notice whatever the time of day
    steps=[
        Step("accept", "luodian_staff", {"acceptance": "accept"}),
        Step("investigate", "luodian_v1_staff", {
            "visit_date": "2026-03-02", "investigator_1": "王芳", "investigator_2": "李强",
            "household_findings": "户主住院，家庭无其他收入来源", "proposed_amount": "2500",
            "village_opinion": "情况属实，同意上报"}),
        Step("township_review", "luodian_staff", {
            "economic_check": "eligible", "amount": "2500", "recommendation": "grant",
            "review_opinion": "经核对符合临时救助条件"}),
        Step(TIMER),
        Step("township_decide", "luodian_leader", {
            "decision": "approve", "approved_amount": "2500", "payment_method": "bank",
            "decision_opinion": "同意救助"}),
    ],
)

# ---------------------------------------------------------------------------------------------
# 居家适老化改造 (tests/workflows/elderly_home/helpers.py, test_paths.py full path)


def elderly_setup() -> None:
    """The procedure's demo seed (quotas, catalogue, applicant_wang), and room in 罗店镇's
    yearly quota for every case of the run (the seed gives it 50 places)."""
    from workflows.elderly_home.demo import seed
    from workflows.elderly_home.selectors import QUOTA_KEY

    seed()
    quota_set(key=QUOTA_KEY, unit=Unit.objects.get(name="罗店镇"),
              year=timezone.localdate().year, capacity=1_000_000)


def elderly_application(household: int) -> dict:
    year = timezone.localdate().year
    return {
        "applicant_name": "王秀英",
        # 82 to 90 years old whatever the household number: 80+ and 特困 is eligible.
        "id_number": id_number("330702", household, born=date(year - 90, 1, 1), female=True),
        "phone": "13800000082", "village": str(unit_pk("罗店村")),
        "current_address": "罗店村8号", "assistance_status": "tekun", "disability": "none",
        "residence_match": "yes", "home_right": "own", "demolition_planned": "no",
        "already_adapted": "no", "needs": "卫生间如厕起身困难，夜间起夜无照明",
        "commitment_signed": "on",
    }


ELDERLY_HOME = Scenario(
    key="elderly_home", procedure="elderly_home_adaptation",
    path="居家适老化改造: application (82, 特困; DMN eligibility) → township_review → "
         "county_review → county_decide (approve, quota reserved) → assess (5 items; DMN cap) "
         "→ plan_review (plan) → works (photo) → acceptance (photos, invoice; acceptance + "
         "payment) → survey",
    applicant="applicant_wang", on_behalf=False, application=elderly_application,
    setup=elderly_setup,
    steps=[
        Step("township_review", "luodian_staff", {"review_result": "pass",
                                                  "review_opinion": "经核实，符合条件"}),
        Step("county_review", "wucheng_county_staff", {"county_opinion": "符合条件，建议批准"}),
        Step("county_decide", "wucheng_county_leader", {"decision": "approve",
                                                        "decision_opinion": "同意"}),
        Step("assess", "wucheng_assessor", {
            "assessment_date": "2026-11-20", "assessor_name": "陈评估",
            "findings": "卫生间无扶手，地面湿滑；卧室至卫生间无照明", "household_agreed": "on",
            "qty_grab_bar": "2", "qty_anti_slip_floor": "10", "qty_emergency_alarm": "1",
            "qty_night_light": "3", "qty_nursing_bed": "1"}),
        Step("plan_review", "wucheng_county_staff", {"plan_decision": "approve",
                                                     "plan_opinion": "同意"}),
        Step("works", "wucheng_provider", {
            "provider_name": "金华安居适老装修有限公司", "project_manager": "刘工",
            "start_date": "2026-11-21", "finish_date": "2026-11-24",
            "materials_list": "不锈钢扶手2个；防滑地砖10平方米；报警器1套；感应灯3个；护理床1张"},
            files=lambda: {"before_photos": [jpeg("施工前-卫生间.jpg")]}),
        Step("acceptance", "luodian_staff", {
            "acceptance_result": "pass", "acceptors": "李验收、赵验收", "household_signed": "on",
            "invoice_number": "33012345", "acceptance_opinion": "按方案完成，质量合格",
            "actual_qty_grab_bar": "2", "cost_grab_bar": "560",
            "actual_qty_anti_slip_floor": "12", "cost_anti_slip_floor": "720",
            "actual_qty_emergency_alarm": "1", "cost_emergency_alarm": "420",
            "actual_qty_night_light": "3", "cost_night_light": "240",
            "actual_qty_nursing_bed": "1", "cost_nursing_bed": "2800"},
            files=lambda: {"after_photos": [jpeg("施工后-卫生间.jpg")],
                           "invoice": [pdf("invoice.pdf")]}),
        Step("survey", "applicant_wang", {"satisfaction": "very_satisfied",
                                          "survey_comments": "很好"}),
    ],
)

# ---------------------------------------------------------------------------------------------
# 公墓审批, public-welfare path (tests/workflows/cemetery/helpers.py, test_paths.py)

CEMETERY_DEPARTMENTS = ["自然资源", "发改", "住建", "林业", "生态环境", "民宗"]


def cemetery_application(household: int) -> dict:
    return {
        "cemetery_type": "public_welfare", "applicant_name": "罗店村村民委员会",
        "village": str(unit_pk("罗店村")), "contact_person": "王村长", "phone": "13800000002",
        "cemetery_name": f"罗店村公益性公墓（{household}）",
        "location": "村北后山（东至山脊，南至林道，西至溪沟，北至村界）", "area_mu": "12.5",
        "graves": "800", "plot_size_limit": "0.8", "funding": "120",
        "funding_source": "村集体经济和乡镇补助", "land_status": "集体所有荒山",
        "resolution_date": "2026-10-08", "resolution_confirmed": "on", "villagers_only": "on",
        "not_clan_cemetery": "on",
    }


CEMETERY = Scenario(
    key="cemetery", procedure="cemetery_approval",
    path="公墓审批 (public welfare, filed by village staff for the village committee, 4 "
         "uploads): township_review → township_decide → 6 department_opinion (parallel "
         "multi-instance, departments from the DMN table) → county_summary → county_decide "
         "(approve) → approval",
    applicant="luodian_v1_staff", on_behalf=True, application=cemetery_application,
    application_files=lambda: {"resolution_files": [pdf("村民会议决议.pdf")],
                               "feasibility_report": [pdf("可行性研究报告.pdf")],
                               "planning_scheme": [pdf("规划设计方案.pdf")],
                               "management_rules": [pdf("墓地管理制度.pdf")]},
    steps=[
        Step("township_review", "luodian_staff", {
            "township_review_result": "forward",
            "township_review_opinion": "村民会议决议真实有效，材料齐全，选址经现场核查符合要求"}),
        Step("township_decide", "luodian_leader", {"township_decision": "agree",
                                                   "township_opinion": "同意建设，报县民政局审批"}),
        *[Step("department_opinion", f"wucheng_dept_{DEPARTMENT_SLUGS[d]}",
               {"dept_agree": "agree", "dept_opinion": "无意见"}, lane=f"department:{d}")
          for d in reversed(CEMETERY_DEPARTMENTS)],
        Step("county_summary", "wucheng_county_staff", {
            "summary_opinion": "各部门均同意，建议批准", "recommendation": "approve",
            "approved_area_mu": "12", "approved_graves": "760", "approved_plot_limit": "0.8",
            "land_conditions": "须依法办理集体土地使用审批和乡村建设规划许可手续后方可开工建设"}),
        Step("county_decide", "wucheng_county_leader", {"decision": "approve",
                                                        "decision_opinion": "同意建设"}),
    ],
)

# ---------------------------------------------------------------------------------------------
# 身后一件事 and 婚育户一件事 (tests/workflows/bundles/helpers.py, test_after_death.py,
# test_marriage_birth.py)


def _department(department: str, reference: str, result: str = "done", note: str = "") -> Step:
    return Step("department_handle", f"wucheng_dept_{DEPARTMENT_SLUGS[department]}",
                {"department_result": result, "reference_number": reference,
                 "result_note": note}, lane=f"department:{department}")


def after_death_application(household: int) -> dict:
    return {
        "applicant_name": "张建国", "id_number": "330702198001011232", "phone": "13800000001",
        "relation": "子女", "village": str(unit_pk("罗店村")), "deceased_name": "张老汉",
        "deceased_id_number": id_number("330702", household, born=date(1935, 1, 1)),
        "death_date": "2026-01-05", "death_place": "金华市中心医院", "death_type": "natural",
        "wanted_items": ["medical_insurance", "civil_benefits", "disability_benefits",
                         "pension", "housing_fund", "driving_licence"],
    }


AFTER_DEATH = Scenario(
    key="after_death", procedure="after_death_bundle",
    path="身后一件事 (natural death, 6 items wanted): 卫健 death proof → 殡仪馆 cremation, "
         "then 医保, 民政, 残联, 公安 hukou (parallel) and after cremation 公安 licence, 人社, "
         "公积金中心 (not applicable) — 9 department tasks in call activities → notice",
    applicant="applicant_zhang", on_behalf=False, application=after_death_application,
    steps=[
        _department("卫健", "死证2026-0001"),
        _department("殡仪馆", "火化证2026-0088"),
        _department("医保", "医保-001"),
        _department("民政", "民政-001"),
        _department("残联", "残联-001"),
        _department("公安", "公安-001"),
        _department("公安", "公安-002"),
        _department("人社", "人社丧葬2026-12"),
        _department("公积金中心", "", result="not_applicable", note="逝者无住房公积金账户"),
    ],
)


def marriage_birth_application(household: int) -> dict:
    return {
        "applicant_name": "张建国",
        "id_number": id_number("330702", household, born=date(1985, 1, 1)),
        "phone": "13800000001", "village": str(unit_pk("罗店村")), "spouse_name": "李梅",
        "spouse_id_number": id_number("330702", household, born=date(1990, 1, 1), female=True),
        "registration_date": (timezone.localdate() + timedelta(days=30)).isoformat(),
        "wanted_items": ["hukou", "birth_registration"],
    }


MARRIAGE_BIRTH = Scenario(
    key="marriage_birth", procedure="marriage_birth_bundle",
    path="婚育户一件事: 婚姻登记 marriage registration → 公安 hukou and 卫健 birth "
         "registration (parallel) → notice",
    applicant="applicant_zhang", on_behalf=False, application=marriage_birth_application,
    steps=[
        _department("婚姻登记", "J330702-2026-000123"),
        _department("公安", "户迁2026-456"),
        _department("卫健", "生育登记2026-789"),
    ],
)

# ---------------------------------------------------------------------------------------------
# 社会组织年检 (tests/workflows/annual_inspection/helpers.py + conftest.py,
# test_paths.py test_supervised_organisation_passes, test_spot_check.py)

SPOT_CHECK_MESSAGE = "spot_check_draw"


def _report_files() -> dict:
    return {"attachments": [pdf("年检报告书.pdf")]}


INSPECTION_STEPS = [
    # No account: the organisation's report is filed through its village's staff.
    Step("file_report", "luodian_v1_staff", {
        "activities": "开展老年人文体活动12场，走访慰问高龄老人86人次", "income": "52000",
        "expenditure": "48000.50", "net_assets": "30000", "audit": "not_required",
        "audit_report": "", "officers": "王德福 会长\n李秀英 秘书长", "changes": "",
        "rectification_report": "", "declaration_confirmed": "on"}, files=_report_files),
    Step("supervisor_review", "wucheng_org_supervisor", {
        "supervisor_result": "pass", "opinion": "同意报送", "return_reason": ""}),
    Step("county_review", "wucheng_county_staff", {
        "county_result": "pass", "site_visit": "on", "proposed_conclusion": "pass",
        "opinion": "报告内容齐全", "return_reason": ""}),
    Step("conclude", "wucheng_county_leader", {
        "conclusion": "pass", "problems": "", "rectification_deadline": "",
        "conclusion_opinion": "同意"}),
]
SPOT_CHECK_STEP = Step("spot_check", "wucheng_county_staff", {
    "notice_date": "2026-07-01", "check_date": "2026-07-08", "inspector_1": "王芳",
    "inspector_2": "李强", "findings": "账实相符，活动正常", "spot_result": "ok"})


def _counting(queries: list | None):
    """A context-manager factory adding each block's SQL query count to ``queries``, or doing
    nothing when ``queries`` is None."""
    from contextlib import contextmanager, nullcontext

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if queries is None:
        return nullcontext

    @contextmanager
    def count():
        with CaptureQueriesContext(connection) as captured:
            yield
        queries.append(len(captured))

    return count


@dataclass
class AnnualInspection:
    """A campaign of N organisations (supervised, no account) of 罗店村: ``campaign_open``
    starts the N cases at once, each walks file_report → supervisor_review → county_review →
    conclude (pass; conclusion notice), then ``spot_check_draw`` delivers the draw to all N
    (at least 3 %, minimum 1, are drawn and get an on-site check, the others close)."""

    key: str = "annual_inspection"
    procedure: str = "annual_inspection"
    path: str = ("社会组织年检 (campaign of N organisations, supervised, report filed by village "
                 "staff with an upload): campaign_open → file_report → supervisor_review → "
                 "county_review → conclude (pass; conclusion notice) → spot_check_draw message "
                 "to every case → spot_check on-site task for the drawn ≥3 % only")
    steps: list[Step] = field(default_factory=lambda: INSPECTION_STEPS)
    batch = True
    setup = None
    record_key = "credit_code"  # tells the recorded cases of one campaign apart

    def _organisations(self, count: int, registered_on: date) -> list:
        from workflows.annual_inspection.demo import demo_credit_code
        from workflows.annual_inspection.models import OrgType
        from workflows.annual_inspection.services import organisation_create

        village = Unit.objects.get(name="罗店村", level=UnitLevel.VILLAGE)
        organisations = []
        for _ in range(count):
            index = next(_serial)
            organisations.append(organisation_create(
                name=f"婺城区老年人协会（{index}）",
                credit_code=demo_credit_code(100_000 + index, OrgType.SOCIAL_GROUP),
                org_type=OrgType.SOCIAL_GROUP, registered_on=registered_on, village=village,
                supervising_unit="婺城区老龄工作委员会办公室"))
        return organisations

    def _seed_drawing(self, campaign, wanted: Callable[[list[str]], bool]) -> None:
        """The bench needs a known draw: it replaces the seed committed at opening with one
        that gives it (production code never does; the draw takes no seed)."""
        from engine.services import random_draw, random_draw_seed_hash
        from workflows.annual_inspection.models import InspectionCampaign
        from workflows.annual_inspection.selectors import (
            SPOT_CHECK_MINIMUM,
            SPOT_CHECK_RATIO,
            spot_check_population,
        )

        population = spot_check_population(year=campaign.year, county=campaign.county)
        for n in range(10_000):
            seed = f"bench-{n}"
            if wanted(random_draw(population=population, ratio=SPOT_CHECK_RATIO,
                                  minimum=SPOT_CHECK_MINIMUM, seed=seed)):
                InspectionCampaign.objects.filter(pk=campaign.pk).update(
                    spot_check_seed=seed, spot_check_seed_sha256=random_draw_seed_hash(seed))
                return
        raise BenchError("annual_inspection: no spot-check seed gives the wanted draw")

    def campaign(self, *, organisations: int, year: int, registered_on: date,
                 steps: dict, wanted_draw: Callable[[list[str], list], bool] | None = None,
                 queries: list | None = None, between: Callable[[], None] | None = None):
        """Register the organisations (not timed), open a campaign, walk every case, draw,
        do the drawn cases' spot checks. Time each part into ``steps``; the seed search is
        not timed. ``between`` is called after each case's walk, outside the timed parts
        (the raw instances are interleaved there). With ``queries`` (a list), the SQL
        queries of the timed parts are counted into it (only for an untimed campaign:
        capturing them costs time). Returns (cases, drawn codes, elapsed seconds of the
        timed parts)."""
        from workflows.annual_inspection.models import InspectionRecord
        from workflows.annual_inspection.services import campaign_open, spot_check_draw

        orgs = self._organisations(organisations, registered_on)
        elapsed = 0.0
        counting = _counting(queries)
        started = time.perf_counter()
        with counting():
            campaign = campaign_open(year=year, report_deadline=timezone.localdate()
                                     + timedelta(days=30), actor=user("wucheng_county_staff"))
        total = time.perf_counter() - started
        elapsed += total
        # One campaign starts every case: its time is shared out among them.
        steps[START] = (total, organisations)
        cases = [record.case for record in InspectionRecord.objects.filter(
            campaign=campaign, case__isnull=False).select_related("case").order_by("pk")]
        check(len(cases) == organisations,
              f"annual_inspection: the campaign opened {len(cases)} cases for {len(orgs)}")
        for case in cases:
            for step in self.steps:
                started = time.perf_counter()
                with counting():
                    task_walk(case, step)
                add_time(steps, step.spec_name, started)
                elapsed += time.perf_counter() - started
            if between is not None:
                between()
        codes = [org.credit_code for org in orgs]
        self._seed_drawing(campaign, lambda drawn: wanted_draw is None or
                           wanted_draw(drawn, codes))
        started = time.perf_counter()
        with counting():
            draw = spot_check_draw(year=year, actor=user("wucheng_county_staff"))
        total = time.perf_counter() - started
        elapsed += total
        steps[f"message {SPOT_CHECK_MESSAGE}"] = (total, organisations)
        drawn = set(draw.organisations.values_list("credit_code", flat=True))
        for case in cases:
            if case.data["credit_code"] in drawn:
                started = time.perf_counter()
                with counting():
                    task_walk(case, SPOT_CHECK_STEP)
                add_time(steps, SPOT_CHECK_STEP.spec_name, started)
                elapsed += time.perf_counter() - started
        return cases, drawn, elapsed
