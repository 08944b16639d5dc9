"""Every path of the elderly-home adaptation diagram, walked through the forms and the
engine; who sees each task (and who does not) is checked on the way."""
import pytest
from django.utils import timezone

from engine.models import AuditAction, CaseStatus, Quota, TaskStatus
from engine.selectors import task_list_for_user
from engine.services import QuotaExceeded, quota_set, task_complete

from .helpers import (
    PLAN,
    accept,
    approve_to_assessment,
    assess,
    complete,
    elderly_id,
    file_application,
    open_task,
    task_form,
    works,
)

pytestmark = pytest.mark.django_db

QUOTA_KEY = "elderly_home_adaptation"


def _quota(village):
    return Quota.objects.get(key=QUOTA_KEY, unit=village.parent,
                             year=timezone.localdate().year)


def _sees(user, case):
    return case.tasks.filter(status=TaskStatus.OPEN, pk__in=task_list_for_user(user=user)
                             .values("pk")).exists()


def test_full_path_from_application_to_archive(wang, village, township_staff, county_staff,
                                               county_leader, assessor, provider, outsider,
                                               township_leader, village_staff):
    case = file_application(user=wang, village=village)
    assert case.data["age"] >= 81 and case.data["eligible"] is True
    assert case.data["gender"] == "女"
    # Township first review: only 罗店镇's staff, with the remaining quota shown.
    task = open_task(case, "township_review")
    assert task.lane == "township_staff" and task.due_at is not None
    for user in (outsider, township_leader, county_staff, assessor, provider, village_staff):
        assert not _sees(user, case), user
    assert "罗店镇" in task_form(case, "township_review").fields["review_result"].help_text
    assert "剩余50个" in task_form(case, "township_review").fields["review_result"].help_text
    complete(case, township_staff, "township_review", review_result="pass",
             review_opinion="经核实，符合条件")
    assert not _sees(county_leader, case) and not _sees(township_staff, case)
    complete(case, county_staff, "county_review", county_opinion="建议批准")
    assert not _sees(county_staff, case)
    complete(case, county_leader, "county_decide", decision="approve", decision_opinion="同意")
    assert _quota(village).used == 1
    assert case.audit.filter(action=AuditAction.QUOTA).exists()
    # Needs assessment by the contracted assessor only.
    assert open_task(case, "assess").lane == "assessor"
    for user in (outsider, township_staff, provider, county_staff):
        assert not _sees(user, case), user
    assess(case, assessor)
    assert case.data["basic_cost"] == 1820 and case.data["optional_cost"] == 2800
    assert case.data["subsidy_cap"] == 2000 and case.data["estimated_subsidy"] == 1820
    assert case.data["estimated_household_share"] == 2800
    assert [i["code"] for i in case.data["plan_items"]] == [
        "grab_bar", "anti_slip_floor", "emergency_alarm", "night_light", "nursing_bed"]
    complete(case, county_staff, "plan_review", plan_decision="approve", plan_opinion="同意")
    assert case.documents.get().doc_type == "elderly_home_plan"
    assert open_task(case, "works").lane == "provider"
    assert not _sees(assessor, case)
    works(case, provider)
    assert case.data["before_photo_refs"][0].startswith("施工前-卫生间.jpg（SHA256:")
    assert not _sees(outsider, case)
    accept(case, township_staff)
    assert case.data["basic_actual_cost"] == 1940 and case.data["actual_total"] == 4740
    assert case.data["subsidy"] == 1940  # actual cost below the cap is paid in full
    assert case.data["household_share"] == 2800
    assert sorted(case.documents.values_list("doc_type", flat=True)) == [
        "elderly_home_acceptance", "elderly_home_payment", "elderly_home_plan"]
    # The household's satisfaction survey, then archive.
    survey = open_task(case, "survey")
    assert survey.assignee == wang and _sees(wang, case) and not _sees(township_staff, case)
    complete(case, wang, "survey", satisfaction="very_satisfied", survey_comments="很好")
    assert case.status == CaseStatus.COMPLETED
    assert _quota(village).used == 1  # a completed adaptation keeps its place
    assert set(case.attachments.values_list("field", flat=True)) == {
        "before_photos", "after_photos", "invoice"}


def test_subsidy_is_capped_and_the_household_pays_the_excess(wang, village, township_staff,
                                                             county_staff, county_leader,
                                                             assessor, provider):
    case = file_application(user=wang, village=village)
    approve_to_assessment(case, township_staff=township_staff, county_staff=county_staff,
                          county_leader=county_leader)
    assess(case, assessor, qty_grab_bar="4", qty_ramp="2", qty_emergency_alarm="1")
    assert case.data["basic_cost"] == 2240 and case.data["estimated_subsidy"] == 2000
    complete(case, county_staff, "plan_review", plan_decision="approve", plan_opinion="同意")
    works(case, provider)
    accept(case, township_staff, **{
        "actual_qty_grab_bar": "4", "cost_grab_bar": "1120", "actual_qty_ramp": "2",
        "cost_ramp": "700", "actual_qty_emergency_alarm": "1", "cost_emergency_alarm": "450.5"})
    assert case.data["basic_actual_cost"] == 2270.5
    assert case.data["subsidy"] == 2000
    assert case.data["household_share"] == 270.5


def test_county_leader_refuses_with_reasons(wang, village, township_staff, county_staff,
                                            county_leader):
    case = file_application(user=wang, village=village)
    complete(case, township_staff, "township_review", review_result="pass",
             review_opinion="符合")
    complete(case, county_staff, "county_review", county_opinion="经核查其住房为危房")
    form = task_form(case, "county_decide", {"decision": "refuse", "decision_opinion": "不同意"})
    assert not form.is_valid()
    assert "理由" in form.errors["refusal_reason"][0]
    complete(case, county_leader, "county_decide", decision="refuse", decision_opinion="不同意",
             refusal_reason="住房经鉴定为C级危房，不宜改造")
    assert case.status == CaseStatus.COMPLETED
    document = case.documents.get()
    assert document.doc_type == "elderly_home_refusal"
    assert document.number == f"婺民适老告〔{timezone.localdate().year}〕1号"
    assert document.context["refusal_reason"] == "住房经鉴定为C级危房，不宜改造"
    assert _quota(village).used == 0


def test_ineligible_by_the_rule_table_cannot_be_passed_and_is_refused(
        seeded, village, village_staff, township_staff, county_staff, county_leader):
    from workflows.elderly_home.demo import demo_applicant_id_number

    # 70 years old and neither disabled nor 失能: the table says no.
    case = file_application(user=village_staff, village=village, on_behalf=True,
                            applicant_name="李大伯", id_number=demo_applicant_id_number(age=70))
    assert case.applicant is None
    assert case.data["eligible"] is False
    assert case.data["eligibility_note"] == "60至79周岁的须为残疾或失能老年人"
    form = task_form(case, "township_review", {"review_result": "pass",
                                               "review_opinion": "同意"})
    assert not form.is_valid()
    assert "不能报县审批" in form.errors["review_result"][0]
    complete(case, township_staff, "township_review", review_result="fail",
             review_opinion="不符合", refusal_reason="申请人70周岁，未残疾也未失能")
    complete(case, county_staff, "county_review", county_opinion="同意乡镇意见")
    form = task_form(case, "county_decide", {"decision": "approve", "decision_opinion": "同意"})
    assert not form.is_valid()
    complete(case, county_leader, "county_decide", decision="refuse",
             decision_opinion="不予批准", refusal_reason="申请人70周岁，未残疾也未失能")
    assert case.documents.get().doc_type == "elderly_home_refusal"


@pytest.mark.parametrize(("overrides", "note"), [
    ({"assistance_status": "none"}, "非分散供养特困人员或最低生活保障对象"),
    ({"residence_match": "no"}, "户籍地与实际居住地不一致"),
    ({"home_right": "none"}, "对住房无产权也无长期使用权"),
    ({"demolition_planned": "yes"}, "住房已列入两年内拆迁（征收）计划"),
    ({"already_adapted": "yes"}, "已享受过政府补贴的适老化改造"),
    ({"disability": "incapacitated", "id_number": "age:65"}, "符合申请条件"),
    ({"assistance_status": "dibao", "id_number": "age:59", "disability": "disabled"},
     "未满60周岁"),
])
def test_eligibility_rules(wang, village, overrides, note):
    from workflows.elderly_home.demo import demo_applicant_id_number

    if overrides.get("id_number", "").startswith("age:"):
        overrides["id_number"] = demo_applicant_id_number(age=int(overrides["id_number"][4:]))
    case = file_application(user=wang, village=village, **overrides)
    assert case.data["eligibility_note"] == note
    assert case.data["eligible"] is (note == "符合申请条件")


def test_township_returns_once_for_more_material(wang, village, township_staff):
    case = file_application(user=wang, village=village)
    complete(case, township_staff, "township_review", review_result="return",
             review_opinion="材料不全", missing_items="房屋产权证明；特困人员证")
    task = open_task(case, "supplement")
    assert task.assignee == wang and task.lane == "applicant"
    complete(case, wang, "supplement", supplement_note="已补充产权证明和特困证")
    form = task_form(case, "township_review", {"review_result": "return",
                                               "review_opinion": "x", "missing_items": "y"})
    assert not form.is_valid()
    assert "不能再次退回" in form.errors["review_result"][0]
    complete(case, township_staff, "township_review", review_result="pass",
             review_opinion="材料齐全，符合条件")
    assert open_task(case).spec_name == "county_review"


def test_filed_on_behalf_the_applicant_steps_go_to_village_staff(seeded, village,
                                                                 village_staff,
                                                                 other_village_staff,
                                                                 township_staff):
    case = file_application(user=village_staff, village=village, on_behalf=True)
    complete(case, township_staff, "township_review", review_result="return",
             review_opinion="材料不全", missing_items="户口簿")
    assert _sees(village_staff, case) and not _sees(other_village_staff, case)
    complete(case, village_staff, "supplement", supplement_note="已补充户口簿")


def test_plan_returned_to_the_assessor(wang, village, township_staff, county_staff,
                                       county_leader, assessor, provider):
    case = file_application(user=wang, village=village)
    approve_to_assessment(case, township_staff=township_staff, county_staff=county_staff,
                          county_leader=county_leader)
    form = task_form(case, "assess", {"assessment_date": "2026-11-20", "assessor_name": "陈",
                                      "findings": "x", "household_agreed": "on"})
    assert not form.is_valid()
    assert "至少选择一项" in form.non_field_errors()[0]
    assess(case, assessor)
    form = task_form(case, "plan_review", {"plan_decision": "return", "plan_opinion": "退回"})
    assert not form.is_valid() and "理由" in form.errors["plan_return_reason"][0]
    complete(case, county_staff, "plan_review", plan_decision="return", plan_opinion="退回",
             plan_return_reason="护理床不属于本户急需，建议删除")
    assert open_task(case, "assess").lane == "assessor"
    again = task_form(case, "assess")
    assert again.fields["qty_nursing_bed"].initial == 1  # the earlier plan is kept
    assert "护理床不属于本户急需" in again.fields["findings"].help_text
    assess(case, assessor, **{**PLAN, "qty_nursing_bed": "0"})
    assert case.data["optional_cost"] == 0
    complete(case, county_staff, "plan_review", plan_decision="approve", plan_opinion="同意")
    assert open_task(case, "works")


def test_failed_acceptance_goes_back_to_the_provider(wang, village, township_staff,
                                                     county_staff, county_leader, assessor,
                                                     provider):
    case = file_application(user=wang, village=village)
    approve_to_assessment(case, township_staff=township_staff, county_staff=county_staff,
                          county_leader=county_leader)
    assess(case, assessor)
    complete(case, county_staff, "plan_review", plan_decision="approve", plan_opinion="同意")
    works(case, provider)
    form = task_form(case, "acceptance", {"acceptance_result": "pass", "acceptors": "李验收",
                                          "acceptance_opinion": "x"})
    assert not form.is_valid()
    assert "施工后照片" in form.errors["after_photos"][0]
    assert "签字" in form.errors["household_signed"][0]
    assert "两名以上" in form.errors["acceptors"][0]
    complete(case, township_staff, "acceptance", acceptance_result="rectify",
             acceptors="李验收、赵验收", acceptance_opinion="扶手松动",
             rectify_items="卫生间扶手重新固定")
    assert open_task(case, "works").lane == "provider"
    form = task_form(case, "works", {"provider_name": "x", "project_manager": "y",
                                     "start_date": "2026-11-21", "finish_date": "2026-11-20",
                                     "materials_list": "z"})
    assert not form.is_valid()
    assert "完工日期" in form.errors["finish_date"][0]
    assert "整改情况" in form.errors["rectification_note"][0]
    works(case, provider, with_photos=False, rectification_note="扶手已重新固定")
    accept(case, township_staff)
    assert open_task(case, "survey")
    assert case.documents.filter(doc_type="elderly_home_payment").count() == 1


def test_approval_beyond_the_quota_goes_on_the_waiting_list_not_refused(
        wang, village, township_staff, county_staff, county_leader):
    quota_set(key=QUOTA_KEY, unit=village.parent, year=timezone.localdate().year, capacity=1)
    first = file_application(user=wang, village=village)
    second = file_application(user=wang, village=village, applicant_name="李桂兰",
                              id_number=elderly_id(1))
    for case in (first, second):
        complete(case, township_staff, "township_review", review_result="pass",
                 review_opinion="符合")
        complete(case, county_staff, "county_review", county_opinion="建议批准")
    complete(first, county_leader, "county_decide", decision="approve", decision_opinion="同意")
    # The form tells the leader the places are used up and that approving is still lawful.
    form = task_form(second, "county_decide")
    assert "剩余0个" in form.fields["decision"].help_text
    assert "批准后列入候补名单" in form.fields["decision"].help_text
    complete(second, county_leader, "county_decide", decision="approve", decision_opinion="同意")
    assert _quota(village).used == 1
    assert not second.tasks.filter(status=TaskStatus.OPEN).exists()  # waiting, no task
    assert second.quota_waiting.get().status == "waiting"
    assert second.data["quota_waiting"]["position"] == 1
    assert set(second.documents.values_list("doc_type", flat=True)) == {"elderly_home_waiting"}


def test_engine_refuses_without_a_quota_set(wang, village, township_staff, county_staff,
                                            county_leader):
    from engine.models import Quota

    Quota.objects.filter(key=QUOTA_KEY, unit=village.parent).delete()
    case = file_application(user=wang, village=village)
    complete(case, township_staff, "township_review", review_result="pass",
             review_opinion="符合")
    complete(case, county_staff, "county_review", county_opinion="建议批准")
    form = task_form(case, "county_decide", {"decision": "approve", "decision_opinion": "同意"})
    assert not form.is_valid() and "尚未分配" in form.errors["decision"][0]
    task = open_task(case, "county_decide")
    with pytest.raises(QuotaExceeded, match="尚未设置名额"):
        task_complete(user=county_leader, task_pk=task.pk,
                      form_data={"decision": "approve", "decision_opinion": "同意"})
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
