"""Public notices (公示, engine/notices.py): what is published, the notice clock, objections
and their review, on the temporary-relief diagram."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied

from engine.models import (
    AuditAction,
    HumanTask,
    NoticeObjection,
    NoticeStatus,
    ObjectionOutcome,
    ObjectionSource,
    PublicNotice,
    TaskStatus,
)
from engine.notices import (
    NoticeField,
    NoticeType,
    notice_facts,
    notice_objection_submit,
    notice_remaining_days,
)
from engine.runtime import RuntimeFailure
from engine.services import ActionRefused, timers_fire_due
from tests.workflows.temporary_relief.helpers import (
    VALID_ID,
    complete,
    file_application,
    id_with_checksum,
    open_task,
    walk_to_notice,
)

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
POSTED = datetime(2026, 12, 3, 10, 0, tzinfo=SH)
MEMBER_ID = id_with_checksum("33070219850315002")


def _at(day, hour=10, minute=0):
    return datetime(2026, 12, day, hour, minute, tzinfo=SH)


@pytest.fixture
def noticed(applicant, village, village_staff, township_staff, clock):
    """A 2,500-yuan case on its 7-day notice, posted on 2026-12-03 at 10:00."""
    clock.move_to(POSTED - timedelta(hours=1))
    case = file_application(user=applicant, village=village,
                            members_text=f"李梅 {MEMBER_ID} 配偶")
    walk_to_notice(case, village_staff=village_staff, township_staff=township_staff)
    clock.move_to(POSTED)
    return case


def _object(case, content="他家有一辆营运货车，收入不低，不符合救助条件", **kwargs):
    notice = case.public_notices.exclude(status=NoticeStatus.WITHDRAWN).get()
    objection = notice_objection_submit(notice_uuid=notice.uuid, name="李四",
                                        contact="13800000009", content=content, **kwargs)
    case.refresh_from_db()
    return objection


# ---------------------------------------------------------------------------------------------
# What is published


def test_notice_publishes_the_declared_facts_masked_and_nothing_private(noticed):
    notice = noticed.public_notices.get()
    assert notice.facts == [
        {"label": "户主姓名", "value": "张*国"},
        {"label": "所在村（社区）", "value": "罗店村"},
        {"label": "困难类型", "value": "突发重大疾病"},
        {"label": "拟救助金额", "value": "2500元"},
    ]
    published = str(notice.facts) + notice.title
    for secret in (VALID_ID, MEMBER_ID, "6217000000000001", "脑梗", "13800000001", "张建国",
                   "李梅"):
        assert secret not in published
    assert (notice.status, notice.days, notice.unit.name) == (NoticeStatus.OPEN, 7, "罗店村")
    entry = noticed.audit.get(action=AuditAction.NOTICE)
    assert "公示期7天" in entry.summary and "2026年12月10日24时" in entry.summary


def test_county_may_publish_full_names(applicant, village, village_staff, township_staff, demo):
    demo.settings["notice_mask_name"] = False
    demo.save(update_fields=["settings"])
    case = file_application(user=applicant, village=village)
    walk_to_notice(case, village_staff=village_staff, township_staff=township_staff)
    assert case.public_notices.get().facts[0] == {"label": "户主姓名", "value": "张建国"}


@pytest.mark.parametrize("key", ["id_number", "bank_account", "description", "diagnosis",
                                 "members_text", "phone", "current_address"])
def test_a_private_field_cannot_be_declared_public(key):
    with pytest.raises(ValueError, match="保密"):
        NoticeField(key, "某项")


@pytest.mark.parametrize(("value", "what"), [
    (VALID_ID, "a valid ID number"),
    (f"张三{MEMBER_ID.lower()}", "a family member's ID inside text"),
    ("6217000000000001", "the bank account"),
    ("账号 621700000000999988", "any account-like number"),
])
def test_the_guard_refuses_id_and_account_numbers_whatever_the_declaration(
        noticed, value, what):
    leaky = NoticeType(code="leaky", title="测试", fields=(NoticeField("village_name", "村"),))
    data = {**noticed.data, "village_name": value}
    with pytest.raises(RuntimeFailure, match="身份证号或账号"):
        notice_facts(notice_type=leaky, case=noticed, data=data)


def test_an_unknown_notice_type_is_refused_at_deploy():
    from django.conf import settings

    from engine.validation import validate_definition

    bpmn = (settings.BPMN_DIR / "temporary_relief.bpmn").read_text(encoding="utf-8")
    bpmn = bpmn.replace("&quot;relief_notice&quot;", "&quot;no_such_notice&quot;")
    problems = validate_definition(bpmn_xml=bpmn, known_roles={
        "applicant", "village_staff", "township_staff", "township_leader", "county_staff",
        "county_leader"})
    assert any(p.code == "unknown_notice_type" and "no_such_notice" in p.message
               for p in problems)


# ---------------------------------------------------------------------------------------------
# The notice period: a county setting, calendar days


@pytest.mark.parametrize(("days", "ends"), [(3, _at(7, 0)), (7, _at(11, 0))])
def test_notice_period_comes_from_the_county_setting(applicant, village, village_staff,
                                                     township_staff, demo, clock, days, ends):
    demo.settings["notice_days"] = days
    demo.save(update_fields=["settings"])
    clock.move_to(POSTED)
    case = file_application(user=applicant, village=village)
    walk_to_notice(case, village_staff=village_staff, township_staff=township_staff)
    notice = case.public_notices.get()
    # posted on 12-03 (not counted): the period ends at 24:00 of its last day
    assert (notice.days, notice.ends_at, case.next_timer_at) == (days, ends, ends)
    assert notice_remaining_days(notice) == days
    clock.move_to(ends - timedelta(minutes=1))
    assert timers_fire_due() == 0
    assert notice_remaining_days(notice) == 1
    clock.move_to(ends + timedelta(minutes=1))
    assert timers_fire_due() == 1
    case.refresh_from_db()
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.ENDED
    assert case.data["notice_held"] is True
    assert case.data["notice_ended_on"] == (ends - timedelta(days=1)).date().isoformat()
    assert open_task(case).spec_name == "township_decide"  # towards level_rule, as before


def test_a_setting_outside_3_to_7_days_refuses_to_open_the_notice(
        applicant, village, village_staff, township_staff, demo):
    demo.settings["notice_days"] = 2  # e.g. written around the settings page
    demo.save(update_fields=["settings"])
    case = file_application(user=applicant, village=village)
    with pytest.raises(RuntimeFailure, match="公示期应为3至7天"):
        walk_to_notice(case, village_staff=village_staff, township_staff=township_staff)
    case.refresh_from_db()
    assert open_task(case).spec_name == "township_review"  # nothing saved
    assert not PublicNotice.objects.exists()


# ---------------------------------------------------------------------------------------------
# Objections


def test_an_objection_stops_the_clock_and_routes_to_review(noticed, clock, township_staff):
    clock.move_to(_at(5, 12))
    objection = _object(noticed)
    notice = noticed.public_notices.get()
    assert notice.status == NoticeStatus.SUSPENDED
    assert objection.outcome == ObjectionOutcome.PENDING
    assert objection.source == ObjectionSource.ONLINE
    review = open_task(noticed, "objection_review")
    assert review.lane == "township_staff" and review.township.name == "罗店镇"
    assert noticed.next_timer_at is None
    # time passes far beyond the end: nothing ends the notice
    clock.move_to(_at(30))
    assert timers_fire_due() == 0
    notice.refresh_from_db()
    noticed.refresh_from_db()
    assert notice.status == NoticeStatus.SUSPENDED
    assert noticed.data.get("notice_held") is not True  # the review set it False
    assert notice_remaining_days(notice) == 6  # 12-05 .. 12-10 were left
    assert open_task(noticed).spec_name == "objection_review"


def test_upheld_objection_withdraws_the_notice_and_reinvestigates(noticed, clock,
                                                                  township_staff,
                                                                  village_staff):
    clock.move_to(_at(5, 12))
    objection = _object(noticed)
    clock.move_to(_at(7))
    complete(noticed, township_staff, "objection_review", objection_outcome="uphold",
             objection_review_note="经入户核查，其家庭确有营运货车")
    objection.refresh_from_db()
    notice = noticed.public_notices.get()
    assert (objection.outcome, objection.reviewed_by) == (ObjectionOutcome.UPHELD,
                                                         township_staff)
    assert objection.outcome_note == "经入户核查，其家庭确有营运货车"
    assert notice.status == NoticeStatus.WITHDRAWN
    assert open_task(noticed).spec_name == "investigate"
    assert noticed.audit.filter(action=AuditAction.NOTICE, summary__contains="异议成立").exists()
    # the case is investigated and reviewed again, and a new notice is posted
    complete(noticed, village_staff, "investigate", visit_date="2026-12-08",
             investigator_1="王芳", investigator_2="李强", household_findings="车辆已出售",
             proposed_amount="2000", village_opinion="同意")
    complete(noticed, township_staff, "township_review", economic_check="eligible",
             amount="2000", recommendation="grant", review_opinion="复核属实")
    statuses = list(noticed.public_notices.order_by("starts_at").values_list("status",
                                                                               flat=True))
    assert statuses == [NoticeStatus.WITHDRAWN, NoticeStatus.OPEN]
    assert noticed.public_notices.get(status=NoticeStatus.OPEN).facts[3]["value"] == "2000元"


def test_rejected_objection_resumes_the_notice_with_the_time_it_had_left(noticed, clock,
                                                                         township_staff):
    clock.move_to(_at(5, 12))
    objection = _object(noticed)
    clock.move_to(_at(8, 9))
    complete(noticed, township_staff, "objection_review", objection_outcome="reject",
             objection_review_note="经核查，所称车辆已于2025年报废")
    notice = noticed.public_notices.get()
    objection.refresh_from_db()
    assert objection.outcome == ObjectionOutcome.REJECTED
    assert notice.status == NoticeStatus.OPEN
    # 5 days 12 hours were left on 12-05 12:00; resumed on 12-08 09:00
    # (the test clock ticks: a few milliseconds pass between the calls)
    assert abs(notice.ends_at - _at(13, 21)) < timedelta(seconds=1)
    assert noticed.next_timer_at == notice.ends_at
    assert len(notice.suspensions) == 1
    clock.move_to(_at(13, 20, 59))
    assert timers_fire_due() == 0
    clock.move_to(_at(13, 21, 1))
    assert timers_fire_due() == 1
    noticed.refresh_from_db()
    assert noticed.data["notice_held"] is True
    assert noticed.data["notice_ended_on"] == "2026-12-13"
    assert open_task(noticed).spec_name == "township_decide"


def test_a_second_objection_during_review_joins_it(noticed, clock, township_staff):
    clock.move_to(_at(5, 12))
    first = _object(noticed)
    clock.move_to(_at(6))
    second = _object(noticed, content="再次反映：该户另有门面房出租收入", source="staff",
                     entered_by=township_staff)
    assert HumanTask.objects.filter(case=noticed, status=TaskStatus.OPEN).count() == 1
    complete(noticed, township_staff, "objection_review", objection_outcome="reject",
             objection_review_note="两项异议均经核查不属实")
    assert set(NoticeObjection.objects.values_list("outcome", flat=True)) == {
        ObjectionOutcome.REJECTED}
    second.refresh_from_db()
    assert (second.source, second.entered_by) == (ObjectionSource.STAFF, township_staff)
    assert first.pk != second.pk


def test_no_objection_after_the_period_has_run_out(noticed, clock):
    clock.move_to(_at(11, 0, 1))  # the sweep has not run yet
    with pytest.raises(ActionRefused, match="届满"):
        _object(noticed)
    assert not NoticeObjection.objects.exists()
    assert timers_fire_due() == 1
    noticed.refresh_from_db()
    with pytest.raises(ActionRefused, match="公示期满"):
        _object(noticed)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("name", "  ", "请填写姓名"),
    ("contact", "123", "联系方式至少5个字"),
    ("content", "不同意", "异议内容至少10个字"),
    ("content", "长" * 2001, "不能超过2000个字"),
])
def test_the_service_refuses_empty_or_oversized_objections(noticed, field, value, message):
    notice = noticed.public_notices.get()
    fields = {"name": "李四", "contact": "13800000009", "content": "该户有营运车辆，收入较高"}
    fields[field] = value
    with pytest.raises(ActionRefused, match=message):
        notice_objection_submit(notice_uuid=notice.uuid, **fields)
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.OPEN and not NoticeObjection.objects.exists()


def test_online_objections_are_rate_limited_per_address(noticed):
    _object(noticed, client_ip="203.0.113.7")
    for _ in range(4):  # further ones join the running review
        _object(noticed, client_ip="203.0.113.7")
    with pytest.raises(ActionRefused, match="频繁"):
        _object(noticed, client_ip="203.0.113.7")
    _object(noticed, client_ip="198.51.100.2")  # someone else still may
    assert NoticeObjection.objects.count() == 6


def test_outsider_staff_cannot_enter_an_objection(noticed, outsider, applicant):
    for user in (outsider, applicant):
        with pytest.raises(PermissionDenied):
            _object(noticed, source="staff", entered_by=user)
    assert not NoticeObjection.objects.exists()
    assert noticed.public_notices.get().status == NoticeStatus.OPEN


def test_taking_the_review_back_withdraws_the_notice(noticed, township_staff):
    from engine.actions import task_withdraw

    review = noticed.tasks.get(spec_name="township_review", status=TaskStatus.COMPLETED)
    task_withdraw(user=township_staff, task_pk=review.pk, comment="金额填错")
    noticed.refresh_from_db()
    notice = noticed.public_notices.get()
    assert notice.status == NoticeStatus.WITHDRAWN
    assert noticed.next_timer_at is None
    assert open_task(noticed).spec_name == "township_review"
    with pytest.raises(ActionRefused, match="已撤回"):
        notice_objection_submit(
            notice_uuid=notice.uuid, name="李四", contact="13800000009",
            content="他家有一辆营运货车，收入不低")


def test_a_literal_notice_period_outside_3_to_7_is_refused_at_deploy():
    from django.conf import settings

    from engine.validation import validate_definition

    bpmn = (settings.BPMN_DIR / "temporary_relief.bpmn").read_text(encoding="utf-8")
    bpmn = bpmn.replace('value="&quot;relief_notice&quot;"/>', 'value="&quot;relief_notice&quot;"/>'
                        '<spiffworkflow:parameter id="days" type="int" value="10"/>')
    problems = validate_definition(bpmn_xml=bpmn, known_roles={
        "applicant", "village_staff", "township_staff", "township_leader", "county_staff",
        "county_leader"})
    assert any(p.code == "notice_days" and "10 天" in p.message for p in problems)


def test_a_notice_of_a_case_no_longer_handled_leaves_the_public_list(noticed, supervisor):
    from engine.actions import case_suspend, case_void
    from engine.notices import notices_public

    case_suspend(user=supervisor, case_pk=noticed.pk, reason="核查举报")
    assert notices_public().count() == 1  # 挂起: still on the board, objections by hand
    with pytest.raises(ActionRefused, match="暂停办理"):
        _object(noticed)
    case_void(user=supervisor, case_pk=noticed.pk, reason="申请人死亡")
    assert notices_public().count() == 0


def test_a_case_on_a_version_before_the_engines_notice_still_finishes(
        applicant, village, village_staff, township_staff, township_leader, clock):
    """Cases running on an older version (a bare 7-day timer, then 公示结果登记) keep it."""
    from pathlib import Path

    from django.conf import settings

    from engine.services import definition_deploy

    old = (Path(__file__).resolve().parent.parent / "data" / "notice" /
           "temporary_relief_before_notice.bpmn").read_text(encoding="utf-8")
    dmn = (settings.BPMN_DIR / "temporary_relief_limits.dmn").read_text(encoding="utf-8")
    definition_deploy(key="temporary_relief", name="临时救助", bpmn_xml=old, dmn_xmls=[dmn])
    case = file_application(user=applicant, village=village)
    walk_to_notice(case, village_staff=village_staff, township_staff=township_staff)
    assert not case.public_notices.exists()
    clock.shift(timedelta(days=8))
    assert timers_fire_due() == 1
    case.refresh_from_db()
    complete(case, township_staff, "notice_result", objection="no")
    assert open_task(case).spec_name == "township_decide"
