"""Every BPMN task kind has a defined behaviour; event-based gateways with a timer and a
message behind them work; a diagram failing while running never shows engine text to an
applicant (issue 11)."""
import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from engine.models import CaseStatus, Notification, NotificationKind, TaskStatus
from engine.notifications import task_offered_users
from engine.selectors import task_list_for_user
from engine.services import (
    DefinitionError,
    RuntimeFailure,
    case_send_message,
    case_start,
    case_waiting_messages,
    definition_deploy,
)
from engine.tasks import timers_fire_due_task
from engine.validation import validate_definition
from portal.errors import APPLICANT_MESSAGE, STAFF_MESSAGE
from tests.engine.bpmn_builder import chain, diagram, flow, properties
from tests.workflows.temporary_relief.helpers import application_data

pytestmark = pytest.mark.django_db
ROLES = {"township_staff", "county_staff", "applicant"}


def _errors(bpmn, **kwargs):
    return [p for p in validate_definition(bpmn_xml=bpmn, known_roles=ROLES, **kwargs)
            if p.is_error]


def _open(case):
    return list(case.tasks.filter(status=TaskStatus.OPEN))


# ---------------------------------------------------------------------------------------------
# Plain and manual tasks


CONFIRM_STEPS = diagram(
    '<bpmn:startEvent id="s"/><bpmn:task id="check" name="核对材料"/>'
    '<bpmn:manualTask id="visit" name="现场查看"/><bpmn:endEvent id="e"/>'
    + chain("s", "check", "visit", "e"),
    lanes={"township_staff": ["s", "check", "visit", "e"]})


def test_plain_and_manual_tasks_are_confirmation_steps_offered_to_their_lane(
        village, township_staff, outsider):
    assert _errors(CONFIRM_STEPS, form_exists=lambda _task: False) == []
    definition_deploy(key="confirm_steps", name="确认步骤", bpmn_xml=CONFIRM_STEPS, dmn_xmls=[])
    case = case_start(procedure="confirm_steps", title="确认", village=village,
                      applicant_name="张建国", data={}, started_by=township_staff)
    [task] = _open(case)
    assert (task.spec_name, task.lane, task.form_key) == ("check", "township_staff",
                                                          "generic:confirm")
    assert township_staff in task_offered_users(task)
    assert task in task_list_for_user(user=township_staff)
    assert task not in task_list_for_user(user=outsider)

    # The web form: a confirmation with Chinese labels; not confirming is refused.
    client = Client()
    client.force_login(township_staff)
    url = reverse("portal:task", args=[task.pk])
    page = client.get(url).content.decode()
    assert "已办理完毕" in page and "备注" in page
    refused = client.post(url, {"opinion": "还没去"})
    assert refused.status_code == 200 and "请确认已办理完毕" in refused.content.decode()
    assert client.post(url, {"confirmed": "on", "opinion": "材料齐全"}).status_code == 302

    # The API: the manual task, the same form.
    [visit] = _open(case)
    assert (visit.spec_name, visit.form_key) == ("visit", "generic:confirm")
    detail = client.get(f"/api/tasks/{visit.pk}/").json()
    assert "confirmed" in json.dumps(detail["form_schema"])
    assert client.post(f"/api/tasks/{visit.pk}/complete/", json.dumps({"confirmed": False}),
                       content_type="application/json").status_code == 400
    done = client.post(f"/api/tasks/{visit.pk}/complete/", json.dumps({"confirmed": True}),
                       content_type="application/json")
    assert done.status_code == 200, done.content
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED
    assert case.data["confirmed"] is True


@pytest.mark.parametrize(("element", "kind"), [
    ('<bpmn:task id="x" name="核对材料"/>', "任务"),
    ('<bpmn:manualTask id="x" name="核对材料"/>', "人工任务"),
    ('<bpmn:task id="x" name="核对材料"><bpmn:multiInstanceLoopCharacteristics>'
     '<bpmn:loopCardinality>2</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>'
     '</bpmn:task>', "任务"),
    ('<bpmn:userTask id="x" name="核对材料">' + properties(form="generic:opinion")
     + '<bpmn:multiInstanceLoopCharacteristics isSequential="true"><bpmn:loopCardinality>2'
       '</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>',
     "用户任务"),
])
def test_a_step_nobody_would_be_offered_is_refused_naming_it(demo, element, kind):
    bpmn = diagram('<bpmn:startEvent id="s"/>' + element + '<bpmn:endEvent id="e"/>'
                   + chain("s", "x", "e"))
    [error] = _errors(bpmn)
    assert error.code == "task_without_lane" and error.element_id == "x"
    assert f"{kind}“核对材料”（x）不在任何泳道中" in error.message
    with pytest.raises(DefinitionError, match="核对材料"):
        definition_deploy(key="nobody", name="无人", bpmn_xml=bpmn, dmn_xmls=[])


def test_a_step_inside_an_event_subprocess_without_a_lane_is_refused(demo):
    bpmn = diagram(
        '<bpmn:startEvent id="s"/><bpmn:userTask id="main" name="办理">'
        + properties(form="generic:opinion") + '</bpmn:userTask><bpmn:endEvent id="e"/>'
        + chain("s", "main", "e")
        + '<bpmn:subProcess id="esp" name="催办" triggeredByEvent="true">'
          '<bpmn:startEvent id="es" isInterrupting="false"><bpmn:timerEventDefinition>'
          '<bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition>'
          '</bpmn:startEvent><bpmn:manualTask id="remind" name="电话提醒"/>'
          '<bpmn:endEvent id="ee"/>' + chain("es", "remind", "ee", prefix="g")
        + "</bpmn:subProcess>",
        lanes={"township_staff": ["s", "main", "e"]})
    [error] = _errors(bpmn)
    assert error.element_id == "remind" and "“电话提醒”（remind）" in error.message


def _extra_step_relief(village):
    """A county's version of 临时救助 whose only step has no form: deployed through the
    engine service (which does not know the procedure's forms), as a version deployed before
    the modeler refused it would be."""
    bpmn = diagram('<bpmn:startEvent id="s"/><bpmn:userTask id="extra" name="加签审核"/>'
                   '<bpmn:endEvent id="e"/>' + chain("s", "extra", "e"),
                   lanes={"township_staff": ["s", "extra", "e"]}, process_id="temporary_relief")
    definition_deploy(key="temporary_relief", name="临时救助", bpmn_xml=bpmn, dmn_xmls=[],
                      county=village.county)
    return bpmn


def test_a_step_without_a_form_is_refused_by_the_modeler_and_never_a_500(
        village, township_staff, supervisor):
    from portal.modeler.selectors import draft_problems
    from workflows.registry import procedure_get

    bpmn = _extra_step_relief(village)
    [error] = [p for p in draft_problems(procedure_get("temporary_relief"), bpmn_xml=bpmn,
                                         dmn_xmls=[]) if p.is_error]
    assert error.code == "missing_form" and "“加签审核”（extra）" in error.message
    case = case_start(procedure="temporary_relief", title="临时救助", village=village,
                      applicant_name="张建国", data={}, started_by=township_staff)
    [task] = _open(case)
    client = Client()
    client.force_login(township_staff)
    url = reverse("portal:task", args=[task.pk])
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert STAFF_MESSAGE in text and "<details" in text and "没有表单" in text
    posted = client.post(url, {"opinion": "x"})
    assert posted.status_code == 302
    assert client.get(f"/api/tasks/{task.pk}/").json()["form_schema"] is None
    api = client.post(f"/api/tasks/{task.pk}/complete/", json.dumps({}),
                      content_type="application/json")
    assert api.status_code == 400 and api.json()["detail"] == STAFF_MESSAGE
    assert "没有表单" in api.json()["technical_detail"]
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
    note = Notification.objects.filter(user=supervisor, kind=NotificationKind.SYSTEM).first()
    assert note is not None and "没有表单" in note.body


# ---------------------------------------------------------------------------------------------
# Event-based gateways


WAIT_FOR_REPLY = diagram(
    '<bpmn:startEvent id="s"/><bpmn:eventBasedGateway id="gw" name="等待回复"/>'
    '<bpmn:intermediateCatchEvent id="late" name="两小时未回复"><bpmn:timerEventDefinition>'
    '<bpmn:timeDuration>"PT2H"</bpmn:timeDuration></bpmn:timerEventDefinition>'
    '</bpmn:intermediateCatchEvent>'
    '<bpmn:intermediateCatchEvent id="reply" name="收到回复">'
    '<bpmn:messageEventDefinition id="reply_def" messageRef="reply_msg"/>'
    '</bpmn:intermediateCatchEvent>'
    '<bpmn:userTask id="chase" name="电话催问">' + properties(form="generic:opinion")
    + '</bpmn:userTask><bpmn:userTask id="file" name="登记回复">'
    + properties(form="generic:opinion") + '</bpmn:userTask>'
    '<bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>'
    + flow("f1", "s", "gw") + flow("f2", "gw", "late") + flow("f3", "gw", "reply")
    + flow("f4", "late", "chase") + flow("f5", "reply", "file") + flow("f6", "chase", "e1")
    + flow("f7", "file", "e2"),
    lanes={"county_staff": ["s", "gw", "late", "reply", "chase", "file", "e1", "e2"]},
    messages=("reply_msg",))


def _wait_case(village, county_staff):
    assert _errors(WAIT_FOR_REPLY) == []
    definition_deploy(key="wait_reply", name="等待回复", bpmn_xml=WAIT_FOR_REPLY, dmn_xmls=[])
    case = case_start(procedure="wait_reply", title="等待", village=village,
                      applicant_name="张建国", data={}, started_by=county_staff)
    assert _open(case) == []
    assert case_waiting_messages(case) == ["reply_msg"]
    assert case.next_timer_at is not None  # the gateway's timer is on the sweep's index
    return case


def test_event_gateway_timer_fires_and_cancels_the_message(village, county_staff, clock):
    case = _wait_case(village, county_staff)
    due = case.next_timer_at
    clock.shift(timedelta(hours=1))
    assert timers_fire_due_task() == 0
    clock.shift(timedelta(hours=1, minutes=1))
    assert timers_fire_due_task() == 1
    case.refresh_from_db()
    assert [t.spec_name for t in _open(case)] == ["chase"]
    assert case.next_timer_at is None and due is not None
    assert case_waiting_messages(case) == []
    with pytest.raises(RuntimeFailure, match="不在等待"):
        case_send_message(case_pk=case.pk, message="reply_msg", payload={}, actor=county_staff)


def test_event_gateway_message_arrives_and_cancels_the_timer(village, county_staff, clock):
    case = _wait_case(village, county_staff)
    case_send_message(case_pk=case.pk, message="reply_msg", payload={"answer": "同意"},
                      actor=county_staff)
    case.refresh_from_db()
    assert [t.spec_name for t in _open(case)] == ["file"]
    assert case.next_timer_at is None
    clock.shift(timedelta(hours=3))
    assert timers_fire_due_task() == 0
    case.refresh_from_db()
    assert [t.spec_name for t in _open(case)] == ["file"]


def test_event_gateway_with_two_timers_or_a_task_behind_it_is_refused():
    two_timers = WAIT_FOR_REPLY.replace(
        '<bpmn:messageEventDefinition id="reply_def" messageRef="reply_msg"/>',
        '<bpmn:timerEventDefinition><bpmn:timeDuration>"PT1H"</bpmn:timeDuration>'
        '</bpmn:timerEventDefinition>')
    [error] = _errors(two_timers)
    assert error.code == "event_gateway_timers" and "“等待回复”（gw）" in error.message
    task_behind = WAIT_FOR_REPLY.replace('sourceRef="gw" targetRef="reply"',
                                         'sourceRef="gw" targetRef="file"')
    codes = {(p.code, p.element_id) for p in _errors(task_behind)}
    assert ("event_gateway_target", "file") in codes


# ---------------------------------------------------------------------------------------------
# Engine text never reaches an applicant


def _no_route_relief(village, *, before: str = ""):
    """A county's 临时救助 whose first gateway no condition satisfies (the library says
    "No conditions satisfied for ..." in English)."""
    bpmn = diagram(
        '<bpmn:startEvent id="s"/>' + before
        + '<bpmn:exclusiveGateway id="Gateway_CheckValue" name="金额判断"/>'
        '<bpmn:userTask id="low" name="低额"/><bpmn:userTask id="high" name="高额"/>'
        '<bpmn:endEvent id="e"/>'
        + flow("f1", "s", "t0" if before else "Gateway_CheckValue")
        + (flow("f1b", "t0", "Gateway_CheckValue") if before else "")
        + flow("f2", "Gateway_CheckValue", "low", "requested_amount == 'none'")
        + flow("f3", "Gateway_CheckValue", "high", "requested_amount == 'nothing'")
        + flow("f4", "low", "e") + flow("f5", "high", "e"),
        lanes={"township_staff": ["s", "t0", "Gateway_CheckValue", "low", "high", "e"]},
        process_id="temporary_relief")
    definition_deploy(key="temporary_relief", name="临时救助", bpmn_xml=bpmn, dmn_xmls=[],
                      county=village.county)


def _supervisor_note(supervisor):
    return Notification.objects.filter(user=supervisor, kind=NotificationKind.SYSTEM).first()


def test_applicant_filing_sees_only_the_plain_message_web_and_api(
        applicant, village, supervisor):
    _no_route_relief(village)
    client = Client()
    client.force_login(applicant)
    response = client.post(reverse("portal:apply", args=["temporary_relief"]),
                           application_data(village))
    text = response.content.decode()
    assert response.status_code == 200 and APPLICANT_MESSAGE in text
    assert "No conditions" not in text and "Gateway_CheckValue" not in text
    assert "<details" not in text
    note = _supervisor_note(supervisor)
    assert "No conditions satisfied" in note.body and "临时救助申请" in note.title
    api = client.post("/api/procedures/temporary_relief/applications/",
                      json.dumps(application_data(village)), content_type="application/json")
    assert api.status_code == 400 and api.json() == {"detail": APPLICANT_MESSAGE}
    assert not applicant.cases.exists()


def test_village_staff_filing_on_behalf_see_the_detail_collapsed(village, village_staff):
    _no_route_relief(village)
    client = Client()
    client.force_login(village_staff)
    response = client.post(reverse("portal:apply", args=["temporary_relief"]),
                           application_data(village))
    text = response.content.decode()
    assert STAFF_MESSAGE in text
    details = text[text.index("<details"):text.index("</details>")]
    assert "No conditions satisfied" in details and "技术信息" in details


def test_staff_completing_a_step_see_the_detail_and_the_supervisor_is_told(
        village, township_staff, supervisor):
    _no_route_relief(village, before='<bpmn:userTask id="t0" name="受理">'
                     + properties(form="generic:opinion") + "</bpmn:userTask>")
    case = case_start(procedure="temporary_relief", title="临时救助", village=village,
                      applicant_name="张建国", data={"requested_amount": 100},
                      started_by=township_staff)
    [task] = _open(case)
    client = Client()
    client.force_login(township_staff)
    response = client.post(reverse("portal:task", args=[task.pk]), {"opinion": "同意受理"})
    text = response.content.decode()
    assert response.status_code == 200 and STAFF_MESSAGE in text
    assert "No conditions satisfied" in text[text.index("<details"):]
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN  # nothing saved, the form kept
    assert "同意受理" in text
    assert "金额判断" in _supervisor_note(supervisor).title or \
        "No conditions" in _supervisor_note(supervisor).body
    api = client.post(f"/api/tasks/{task.pk}/complete/", json.dumps({"opinion": "同意"}),
                      content_type="application/json")
    assert api.status_code == 400 and api.json()["detail"] == STAFF_MESSAGE
    assert "No conditions satisfied" in api.json()["technical_detail"]


def test_a_timer_reaching_a_broken_gateway_tells_the_supervisor(
        village, township_staff, supervisor, clock):
    _no_route_relief(village, before='<bpmn:intermediateCatchEvent id="t0" name="等一小时">'
                     '<bpmn:timerEventDefinition><bpmn:timeDuration>"PT1H"</bpmn:timeDuration>'
                     "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>")
    case = case_start(procedure="temporary_relief", title="临时救助", village=village,
                      applicant_name="张建国", data={"requested_amount": 100},
                      started_by=township_staff)
    clock.shift(timedelta(hours=2))
    timers_fire_due_task()
    case.refresh_from_db()
    assert case.status == CaseStatus.ERROR
    note = _supervisor_note(supervisor)
    assert "定时器" in note.title and "No conditions satisfied" in note.body


def test_an_uncaught_diagram_failure_is_a_chinese_page_not_a_500(rf, applicant,
                                                                township_staff, supervisor):
    from django.contrib.auth.models import AnonymousUser

    from portal.middleware import EngineFailureMiddleware

    middleware = EngineFailureMiddleware(lambda request: None)
    failure = RuntimeFailure("No conditions satisfied for Gateway_CheckValue")
    for user, shown, hidden in ((applicant, APPLICANT_MESSAGE, "Gateway_CheckValue"),
                                (AnonymousUser(), APPLICANT_MESSAGE, "Gateway_CheckValue"),
                                (township_staff, STAFF_MESSAGE, None)):
        request = rf.post("/p/somewhere/")
        request.user = user
        response = middleware.process_exception(request, failure)
        text = response.content.decode()
        assert response.status_code == 400 and shown in text
        if hidden:
            assert hidden not in text
        else:
            assert "<details" in text and "Gateway_CheckValue" in text
    # the township's staff are in 婺城区: its supervisor is told
    assert "Gateway_CheckValue" in _supervisor_note(supervisor).body
    assert middleware.process_exception(rf.get("/"), ValueError("x")) is None


# ---------------------------------------------------------------------------------------------
# The dry run takes the real path: offering, form lookup, event gateways


def _dry(bpmn, village, **kwargs):
    from engine.dryrun import dry_run

    return dry_run(bpmn_xml=bpmn, dmn_xmls=[], data={}, village=village, **kwargs)


def test_dry_run_offers_confirmation_steps_like_the_inbox(village):
    result = _dry(CONFIRM_STEPS, village)
    assert result.finished, result.stop_reason
    check = next(step for step in result.steps if step.element_id == "check")
    assert check.users == ["luodian_staff"] and check.unit.name == "罗店镇"
    assert check.data["confirmed"] is True


def test_dry_run_stops_where_nobody_would_be_offered_the_step(village):
    from engine.models import Role, UnitLevel

    Role.objects.create(code="hall_clerk", name="便民服务窗口", level=UnitLevel.TOWNSHIP)
    nobody = CONFIRM_STEPS.replace('name="township_staff"', 'name="hall_clerk"')
    result = _dry(nobody, village)
    assert not result.finished and result.stopped_at == "check"
    assert "“核对材料”（check）不会交给任何人" in result.stop_reason
    assert "“便民服务窗口”（hall_clerk）" in result.stop_reason
    ghost = CONFIRM_STEPS.replace('<bpmn:task id="check" name="核对材料"/>',
                                  '<bpmn:task id="check" name="核对材料">'
                                  + properties(candidate_user="'nobody_here'") + "</bpmn:task>")
    result = _dry(ghost, village)
    assert result.stopped_at == "check" and "找不到办理人“nobody_here”" in result.stop_reason


def test_dry_run_stops_where_the_task_page_would_have_no_form(village):
    from workflows.registry import procedure_get

    bpmn = diagram('<bpmn:startEvent id="s"/><bpmn:userTask id="extra" name="加签审核"/>'
                   '<bpmn:endEvent id="e"/>' + chain("s", "extra", "e"),
                   lanes={"township_staff": ["s", "extra", "e"]})
    result = _dry(bpmn, village, form_lookup=procedure_get("temporary_relief").task_form_class)
    assert result.stopped_at == "extra"
    assert "“加签审核”（extra）没有可填写的表单" in result.stop_reason
    assert _dry(bpmn, village).finished  # without a procedure: the opinion form


def test_dry_run_of_an_event_gateway_takes_the_timer_or_the_named_message(village):
    by_timer = _dry(WAIT_FOR_REPLY, village)
    assert by_timer.finished and "chase" in by_timer.path and "file" not in by_timer.path
    by_message = _dry(WAIT_FOR_REPLY, village, decisions={"reply": {"answer": "同意"}})
    assert by_message.finished and "file" in by_message.path and "chase" not in by_message.path


def test_dry_run_says_in_chinese_where_a_gateway_would_stop_a_case(village):
    bpmn = diagram(
        '<bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="Gateway_CheckValue" name="金额判断"/>'
        '<bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>' + flow("f1", "s", "Gateway_CheckValue")
        + flow("f2", "Gateway_CheckValue", "e1", "amount == 1")
        + flow("f3", "Gateway_CheckValue", "e2", "amount == 2"))
    from engine.dryrun import dry_run

    result = dry_run(bpmn_xml=bpmn, dmn_xmls=[], data={"amount": 3}, village=village)
    assert result.stopped_at == "Gateway_CheckValue"
    assert result.stop_reason.startswith("“金额判断”（Gateway_CheckValue）的出线条件都不满足")


def test_an_action_view_reaching_a_broken_diagram_shows_chinese_and_tells_the_supervisor(
        village, township_staff, supervisor, monkeypatch):
    """退回 and the other action views: a RuntimeFailure from the engine (here made to happen
    in ``task_return``) is a message on the task page, never a 500."""
    from engine import actions

    definition_deploy(key="confirm_steps", name="确认步骤", bpmn_xml=CONFIRM_STEPS, dmn_xmls=[])
    case = case_start(procedure="confirm_steps", title="确认", village=village,
                      applicant_name="张建国", data={}, started_by=township_staff)
    [task] = _open(case)

    def broken(**_kwargs):
        raise RuntimeFailure("No conditions satisfied for Gateway_Return")

    monkeypatch.setattr(actions, "task_return", broken)
    client = Client()
    client.force_login(township_staff)
    response = client.post(reverse("portal:task_return", args=[task.pk]),
                           {"target": task.pk, "comment": "退回重办"}, follow=True)
    text = response.content.decode()
    assert response.status_code == 200 and STAFF_MESSAGE in text
    assert "Gateway_Return" in text[text.index("<details"):]
    assert "Gateway_Return" in _supervisor_note(supervisor).body


def test_a_candidate_role_naming_no_role_stops_the_case_instead_of_an_orphan_row(
        village, township_staff):
    """Validation cannot know what a ``candidate_role`` expression yields; the engine refuses
    the row nobody would be offered (nothing saved), and the dry run says so."""
    from engine.models import Case, HumanTask

    bpmn = CONFIRM_STEPS.replace(
        '<bpmn:task id="check" name="核对材料"/>',
        '<bpmn:task id="check" name="核对材料">'
        + properties(candidate_role="'department:' + department") + "</bpmn:task>")
    assert _errors(bpmn) == []
    definition_deploy(key="confirm_steps", name="确认步骤", bpmn_xml=bpmn, dmn_xmls=[])
    with pytest.raises(RuntimeFailure, match="“department:不存在”不是已知角色"):
        case_start(procedure="confirm_steps", title="确认", village=village,
                   applicant_name="张建国", data={"department": "不存在"},
                   started_by=township_staff)
    assert not Case.objects.filter(procedure="confirm_steps").exists()
    assert not HumanTask.objects.filter(procedure="confirm_steps").exists()
    from engine.dryrun import dry_run

    result = dry_run(bpmn_xml=bpmn, dmn_xmls=[], data={"department": "不存在"}, village=village)
    assert result.stopped_at == "check" and "不是已知角色" in result.stop_reason
    case = case_start(procedure="confirm_steps", title="确认", village=village,
                      applicant_name="张建国", data={"department": "公安"},
                      started_by=township_staff)
    assert _open(case)[0].lane == "department:公安"


def test_an_api_action_reaching_a_broken_diagram_answers_400_in_chinese(
        village, township_staff, applicant, supervisor, monkeypatch):
    from engine import actions

    definition_deploy(key="confirm_steps", name="确认步骤", bpmn_xml=CONFIRM_STEPS, dmn_xmls=[])
    case = case_start(procedure="confirm_steps", title="确认", village=village,
                      applicant_name="张建国", data={}, started_by=township_staff)
    [task] = _open(case)

    def broken(**_kwargs):
        raise RuntimeFailure("No conditions satisfied for Gateway_Return")

    monkeypatch.setattr(actions, "task_return", broken)
    client = Client()
    client.force_login(township_staff)
    response = client.post(f"/api/tasks/{task.pk}/return/",
                           json.dumps({"target": task.pk, "comment": "退回"}),
                           content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json() == {"detail": STAFF_MESSAGE,
                               "technical_detail": "No conditions satisfied for Gateway_Return"}
    assert "Gateway_Return" in _supervisor_note(supervisor).body


# ---------------------------------------------------------------------------------------------
# A boundary event leaving a parallel join waiting forever


def _parallel_with_boundary(before_split: str = "") -> str:
    """A ∥ B, where A has an interrupting 30-day timer whose path ends: when it fires, the
    join waits for A forever."""
    first = "route_gw" if before_split else "split"
    body = (
        '<bpmn:startEvent id="s"/>'
        '<bpmn:parallelGateway id="split" name="分头办理"/>'
        '<bpmn:userTask id="visit" name="入户调查">' + properties(form="generic:opinion")
        + "</bpmn:userTask>"
        '<bpmn:boundaryEvent id="visit_late" name="调查超时" attachedToRef="visit">'
        '<bpmn:timerEventDefinition><bpmn:timeDuration>"P30D"</bpmn:timeDuration>'
        '</bpmn:timerEventDefinition></bpmn:boundaryEvent><bpmn:endEvent id="late_end"/>'
        '<bpmn:userTask id="check" name="核对材料">' + properties(form="generic:opinion")
        + "</bpmn:userTask>"
        '<bpmn:parallelGateway id="join" name="汇合"/><bpmn:endEvent id="e"/>'
        + flow("f1", "s", first) + flow("f2", "split", "visit") + flow("f3", "split", "check")
        + flow("f4", "visit", "join") + flow("f5", "check", "join") + flow("f6", "join", "e")
        + flow("f7", "visit_late", "late_end"))
    if before_split:
        body += ('<bpmn:exclusiveGateway id="route_gw" name="是否调查" default="f_skip"/>'
                 + flow("f_route", "route_gw", "split", before_split)
                 + flow("f_skip", "route_gw", "e"))
    return diagram(body, lanes={"township_staff": [
        "s", "split", "visit", "check", "join", "e", "late_end", "route_gw"]})


def test_a_boundary_event_that_would_leave_a_join_waiting_is_refused(demo):
    errors = _errors(_parallel_with_boundary())
    [error] = errors
    assert error.code == "boundary_stall" and error.element_id == "visit_late"
    assert "边界事件“调查超时”（visit_late）触发后，“汇合”（join）会一直等待" in error.message
    with pytest.raises(DefinitionError, match="调查超时"):
        definition_deploy(key="stall", name="并行", bpmn_xml=_parallel_with_boundary(),
                          dmn_xmls=[])


def test_the_engine_never_saves_a_stalled_case_and_tells_the_supervisor(
        village, township_staff, supervisor, clock):
    """Behind a condition on an application field the check cannot run the diagram, so it
    deploys; when the boundary timer has fired and the last open step is completed, the
    engine refuses to save a case nobody could move again: the completion is refused with
    the staff's message and the supervisor gets the detail."""
    bpmn = _parallel_with_boundary(before_split="survey == True")
    assert _errors(bpmn) == []
    definition_deploy(key="stall", name="并行", bpmn_xml=bpmn, dmn_xmls=[])
    case = case_start(procedure="stall", title="并行", village=village, applicant_name="张建国",
                      data={"survey": True}, started_by=township_staff)
    assert sorted(t.spec_name for t in _open(case)) == ["check", "visit"]
    clock.shift(timedelta(days=31))
    assert timers_fire_due_task() == 1
    [check] = _open(case)
    assert check.spec_name == "check"
    client = Client()
    client.force_login(township_staff)
    response = client.post(reverse("portal:task", args=[check.pk]), {"opinion": "材料齐全"})
    assert response.status_code == 200 and STAFF_MESSAGE in response.content.decode()
    check.refresh_from_db()
    assert check.status == TaskStatus.OPEN
    note = _supervisor_note(supervisor)
    assert "“汇合”（join）在等待不会到来的分支" in note.body
