"""Spot checks (双随机抽查): reproducible draw, audit trail, and the added check task."""
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from engine.models import AuditAction, AuditEntry, CaseStatus
from engine.selectors import task_list_for_user
from workflows.annual_inspection.models import InspectionRecord, SpotCheckDraw
from workflows.annual_inspection.selectors import spot_check_population, spot_check_preview
from workflows.annual_inspection.services import spot_check_draw

from .helpers import case_of, complete, file_report, open_specs, open_task

pytestmark = pytest.mark.django_db


def test_same_seed_draws_the_same_organisations(campaign, register, year):
    county = campaign.county
    population = spot_check_population(year=year, county=county)
    assert len(population) == 3  # the exempt organisation is not in the campaign
    first = spot_check_preview(year=year, seed="2026-07-01 摇号 0815", county=county)
    assert first == spot_check_preview(year=year, seed="2026-07-01 摇号 0815", county=county)
    assert len(first) == 1  # 3% of 3, at least one
    draws = {tuple(spot_check_preview(year=year, seed=f"s{n}", county=county))
             for n in range(30)}
    assert len(draws) > 1  # the seed decides


def test_draw_is_recorded_and_adds_the_check_task_wherever_the_case_is(
        campaign, register, year, county_staff, direct_account, outsider, county_leader):
    county = campaign.county
    chess = case_of(register["chess"], year)
    file_report(chess, direct_account)  # chess is at county review now
    seed = next(f"s{n}" for n in range(100)
                if spot_check_preview(year=year, seed=f"s{n}", county=county)
                == [register["chess"].credit_code])
    draw = spot_check_draw(year=year, seed=seed, actor=county_staff)
    assert [o.name for o in draw.organisations.all()] == ["婺城区围棋协会"]
    entry = AuditEntry.objects.get(action=AuditAction.DRAW)
    assert entry.data["seed"] == seed and entry.data["chosen"] == [register["chess"].credit_code]
    chess.refresh_from_db()
    assert open_specs(chess) == {"county_review", "spot_check"}
    task = open_task(chess, "spot_check")
    assert task in task_list_for_user(user=county_staff)
    assert task not in task_list_for_user(user=outsider)
    # Organisations not drawn keep only their own steps.
    assert open_specs(case_of(register["laonian"], year)) == {"file_report"}
    from .helpers import form_for

    form = form_for(chess, "spot_check", {
        "notice_date": "2026-07-01", "check_date": "2026-06-30", "inspector_1": "王芳",
        "inspector_2": "王芳", "findings": "x", "spot_result": "ok"})
    assert form.errors["inspector_2"] == ["实地检查须由两名检查人员进行，两人不能相同"]
    assert form.errors["check_date"] == ["实地检查应在书面通知之后进行"]
    complete(chess, county_staff, "spot_check", notice_date="2026-07-01",
             check_date="2026-07-08", inspector_1="王芳", inspector_2="李强",
             findings="账实相符，活动正常", spot_result="ok")
    record = InspectionRecord.objects.get(case=chess)
    assert record.spot_checked and record.spot_check_findings == "账实相符，活动正常"
    complete(chess, county_staff, "county_review", county_result="pass",
             proposed_conclusion="pass", opinion="同意", return_reason="")
    complete(chess, county_leader, "conclude", conclusion="pass", problems="",
             rectification_deadline="", conclusion_opinion="合格")
    chess.refresh_from_db()
    assert chess.status == CaseStatus.COMPLETED


def test_one_draw_per_year_by_county_staff_only(campaign, year, county_staff, applicant):
    with pytest.raises(PermissionDenied):
        spot_check_draw(year=year, seed="x", actor=applicant)
    spot_check_draw(year=year, seed="x", actor=county_staff)
    with pytest.raises(ValidationError, match="不能重复抽取"):
        spot_check_draw(year=year, seed="y", actor=county_staff)
    assert SpotCheckDraw.objects.count() == 1

