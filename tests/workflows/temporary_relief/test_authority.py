"""Decision authority (审批权限) on temporary relief: every decider level refuses a grant above
its limit — at the limit it grants, one fen above and far above it is refused with nothing
saved — whichever path posts it (the engine directly, past the form; a delegate's answer and
the owner's confirmation; a completion waiting for an added signer). Above its limit a level
sends the case up (报上级审批), and a supervisor's edited table moves the limit for new cases."""
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from engine.actions import signer_add, task_delegate
from engine.authority import AuthorityExceeded, AuthorityRefused
from engine.models import AuditEntry, CaseStatus, Document, HumanTask, TaskStatus
from engine.services import ActionRefused, definition_deploy, task_complete
from tests.workflows.elderly_home.helpers import pdf_text
from workflows.registry import procedure_get

from .helpers import complete, file_application, letter, open_task, walk_past_notice, walk_to_notice

pytestmark = pytest.mark.django_db

EDITED_TABLE = Path(__file__).resolve().parents[2] / "data" / "modeler" / \
    "temporary_relief_limits_1000.dmn"


@pytest.fixture(autouse=True)
def _clock(clock, monkeypatch):
    from engine.models import Case

    monkeypatch.setattr(Case, "clock", clock, raising=False)


# -- walking a case to each decider -------------------------------------------------------------


def _normal(p, amount):
    case = file_application(user=p["applicant"], village=p["village"], requested_amount=amount)
    walk_to_notice(case, village_staff=p["village_staff"], township_staff=p["township_staff"],
                   amount=amount)
    walk_past_notice(case, clock=case.clock, township_staff=p["township_staff"])
    return case


def _to_township_decide(p):
    return _normal(p, "2500")


def _to_county_decide(p):
    case = _normal(p, "8000")
    complete(case, p["county_staff"], "county_review", county_opinion="同意")
    return case


def _to_collective_decide(p):
    case = _normal(p, "30000")
    complete(case, p["county_staff"], "county_review", county_opinion="建议集体研究")
    return case


def _urgent(p, amount):
    case = file_application(user=p["applicant"], village=p["village"], urgent="on",
                            requested_amount=amount)
    complete(case, p["township_staff"], "urgent_review", urgent_facts="房屋失火", amount=amount)
    return case


def _to_urgent_township_decide(p):
    return _urgent(p, "2000")


def _to_urgent_county_decide(p):
    return _urgent(p, "6000")


@pytest.fixture
def people(applicant, village, village_staff, township_staff, township_leader, county_staff,
           county_leader):
    return {"applicant": applicant, "village": village, "village_staff": village_staff,
            "township_staff": township_staff, "township_leader": township_leader,
            "county_staff": county_staff, "county_leader": county_leader}


# (decide task, how to get there, who decides, limit in the shipped table)
LEVELS = [
    ("township_decide", _to_township_decide, "township_leader", "3000"),
    ("county_decide", _to_county_decide, "county_leader", "20000"),
    ("collective_decide", _to_collective_decide, "county_leader", "50000"),
    ("urgent_township_decide", _to_urgent_township_decide, "township_leader", "3000"),
    ("urgent_county_decide", _to_urgent_county_decide, "county_leader", "20000"),
]


def _grant(amount, **extra):
    return {"decision": "approve", "approved_amount": amount, "payment_method": "bank",
            "decision_opinion": "同意", **extra}


def _snapshot(case):
    case.refresh_from_db()
    return (case.state, AuditEntry.objects.filter(case=case).count(),
            Document.objects.filter(case=case).count(),
            list(case.tasks.order_by("pk").values_list("pk", "status", "form_data")))


# -- every level: at, just above, far above -----------------------------------------------------


@pytest.mark.parametrize(("spec_name", "walk", "decider", "limit"), LEVELS,
                         ids=[level[0] for level in LEVELS])
def test_each_level_grants_up_to_its_limit_and_not_a_fen_more(people, spec_name, walk,
                                                                decider, limit):
    case = walk(people)
    task = open_task(case, spec_name)
    assert task.task_data["decision_authority"] == {
        "limit": int(limit), "amount_field": "approved_amount",
        "grants": 'decision == "approve"'}
    user = people[decider]
    extra = {"meeting_record": "局务会议研究"} if spec_name == "collective_decide" else {}
    before = _snapshot(case)
    just_above = float(Decimal(limit) + Decimal("0.01"))
    for amount in (just_above, str(Decimal(limit) + Decimal("0.01")), int(limit) * 20,
                   "9999999999"):
        with pytest.raises(AuthorityExceeded) as refused:
            task_complete(user=user, task_pk=task.pk, form_data=_grant(amount, **extra))
        assert isinstance(refused.value, ActionRefused)
        assert f"超过本级审批权限（{limit} 元），请按程序报上级审批" in str(refused.value)
        assert _snapshot(case) == before  # nothing saved: task open, no document, no audit
    with pytest.raises(AuthorityExceeded, match=rf"批准金额 {limit}\.01 元超过本级审批权限"):
        task_complete(user=user, task_pk=task.pk, form_data=_grant(just_above, **extra))
    task_complete(user=user, task_pk=task.pk, form_data=_grant(int(limit), **extra))
    case.refresh_from_db()
    document = letter(case)
    assert document.doc_type == "relief_decision"
    assert case.data["approved_amount"] == int(limit)


def test_a_grant_must_name_a_valid_amount(people):
    case = _to_township_decide(people)
    task = open_task(case, "township_decide")
    leader = people["township_leader"]
    for amount, message in ((None, "必须填写批准金额"), ("", "必须填写批准金额"),
                            ("三千", "不是有效金额"), (True, "不是有效金额"),
                            (-1, "不是有效金额"), ("NaN", "不是有效金额")):
        with pytest.raises(AuthorityRefused, match=message):
            task_complete(user=leader, task_pk=task.pk, form_data=_grant(amount))
    form_data = _grant(2500)
    del form_data["approved_amount"]
    # An approval without an amount cannot be checked (the review's ``amount`` is not a
    # grant): refused.
    with pytest.raises(AuthorityRefused):
        task_complete(user=leader, task_pk=task.pk, form_data=form_data)
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_refusing_or_escalating_is_not_limited(people):
    case = _to_township_decide(people)
    task = open_task(case, "township_decide")
    task_complete(user=people["township_leader"], task_pk=task.pk,
                  form_data={"decision": "escalate", "approved_amount": 80000,
                             "escalated_amount": 8000, "escalation_reason": "医疗费用较大",
                             "decision_opinion": "报县审批"})
    case.refresh_from_db()
    assert open_task(case).spec_name == "county_review"


# -- other paths into a completion --------------------------------------------------------------


def test_delegate_answer_and_owner_confirmation_are_both_held_to_the_limit(people):
    case = _to_township_decide(people)
    task = open_task(case, "township_decide")
    leader, staff = people["township_leader"], people["township_staff"]
    task_delegate(user=leader, task_pk=task.pk, to_user=staff, comment="请拟办")
    before = _snapshot(case)
    with pytest.raises(AuthorityExceeded):
        task_complete(user=staff, task_pk=task.pk, form_data=_grant(3000.01))
    assert _snapshot(case) == before
    task.refresh_from_db()
    assert task.delegate_answer is None and task.assignee == staff
    task_complete(user=staff, task_pk=task.pk, form_data=_grant(2500))
    task.refresh_from_db()
    assert task.assignee == leader and task.delegate_answer["approved_amount"] == 2500
    before = _snapshot(case)
    with pytest.raises(AuthorityExceeded):  # the owner confirms with a changed amount
        task_complete(user=leader, task_pk=task.pk, form_data=_grant(50000))
    assert _snapshot(case) == before
    task_complete(user=leader, task_pk=task.pk, form_data=_grant(2500))
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED


def test_completion_waiting_for_an_added_signer_is_checked_before_it_is_kept(people):
    case = _to_urgent_township_decide(people)
    task = open_task(case, "urgent_township_decide")
    leader, staff = people["township_leader"], people["township_staff"]
    signer_add(user=leader, task_pk=task.pk, signer=staff, position="after", comment="会签")
    before = _snapshot(case)
    with pytest.raises(AuthorityExceeded):
        task_complete(user=leader, task_pk=task.pk, form_data=_grant(50000))
    assert _snapshot(case) == before
    task.refresh_from_db()
    assert "stashed_completion" not in task.task_data
    task_complete(user=leader, task_pk=task.pk, form_data=_grant(2000))
    co_sign = case.tasks.get(spec_name="co_sign", status=TaskStatus.OPEN)
    task_complete(user=staff, task_pk=co_sign.pk, form_data={"opinion": "同意"})
    case.refresh_from_db()
    assert letter(case).doc_type == "relief_decision"
    assert open_task(case).spec_name == "urgent_paperwork"


# -- the form mirrors the check; the page shows the limit ----------------------------------------


def _form(case, task, data):
    form_class = procedure_get("temporary_relief").task_form_class(task.spec_name)
    return form_class(data=data, case_data={**case.data, **task.task_data})


def test_form_says_the_limit_and_offers_escalation(people):
    case = _to_township_decide(people)
    task = open_task(case, "township_decide")
    form = _form(case, task, _grant("3000.01"))
    assert not form.is_valid()
    assert form.errors["approved_amount"] == [
        "批准金额 3000.01 元超过本级审批权限（3000 元），请选择“报上级审批”"]
    assert form.fields["approved_amount"].help_text == "本级审批权限：≤3000元"
    assert _form(case, task, _grant("3000")).is_valid()
    escalate = _form(case, task, {"decision": "escalate", "decision_opinion": "报县"})
    assert not escalate.is_valid()
    assert set(escalate.errors) == {"escalated_amount", "escalation_reason"}


def test_collective_decision_has_no_level_above(people):
    case = _to_collective_decide(people)
    task = open_task(case, "collective_decide")
    form = _form(case, task, {"decision": "escalate", "decision_opinion": "x",
                              "meeting_record": "x"})
    assert not form.is_valid() and "decision" in form.errors
    assert "escalated_amount" not in form.fields


def test_task_page_shows_the_limit_and_refuses_a_post_above_it(people, client):
    case = _to_township_decide(people)
    task = open_task(case, "township_decide")
    client.force_login(people["township_leader"])
    url = reverse("portal:task", args=[task.pk])
    page = client.get(url).content.decode()
    assert "本级审批权限：≤3000元" in page
    response = client.post(url, {**_grant("3500"), "refusal_reason": ""})
    assert response.status_code == 200
    assert "超过本级审批权限（3000 元）" in response.content.decode()
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
    assert not Document.objects.filter(case=case).exists()


# -- escalation routes --------------------------------------------------------------------------


def _escalate(case, user, spec_name, amount):
    complete(case, user, spec_name, decision="escalate", escalated_amount=amount,
             escalation_reason="所需金额超出本级审批权限", decision_opinion="报上级审批")


def test_township_sends_a_case_above_its_limit_to_the_county(people):
    case = _to_township_decide(people)
    _escalate(case, people["township_leader"], "township_decide", "5000")
    assert case.data["level"] == "county"
    assert case.data["approved_amount"] is None
    assert not case.documents.exists()  # nothing was granted at the township
    complete(case, people["county_staff"], "county_review", county_opinion="同意报批金额")
    decide = open_task(case, "county_decide")
    assert decide.task_data["decision_authority"]["limit"] == 20000
    form = _form(case, decide, {})
    assert form.fields["approved_amount"].initial == 5000
    complete(case, people["county_leader"], "county_decide", **_grant("5000"))
    assert case.status == CaseStatus.COMPLETED
    document = letter(case)
    assert document.context["approved_amount"] == 5000
    text = pdf_text(document)
    assert "给予你户临时救助金人民币" in text and "元（大写：伍仟元整）" in text, text


def test_county_sends_a_case_above_its_limit_to_the_collective_decision(people):
    case = _to_county_decide(people)
    _escalate(case, people["county_leader"], "county_decide", "26000")
    assert case.data["level"] == "collective"
    decide = open_task(case, "collective_decide")
    assert decide.task_data["decision_authority"]["limit"] == 50000
    complete(case, people["county_leader"], "collective_decide",
             meeting_record="局务会议研究同意", **_grant("26000"))
    assert case.status == CaseStatus.COMPLETED


def test_urgent_township_sends_the_case_to_the_urgent_county_decision(people):
    case = _to_urgent_township_decide(people)
    _escalate(case, people["township_leader"], "urgent_township_decide", "6000")
    assert case.data["level"] == "county"
    decide = open_task(case, "urgent_county_decide")
    assert decide.lane == "county_leader"
    assert decide.due_at - decide.created_at <= timedelta(hours=12, seconds=1)
    complete(case, people["county_leader"], "urgent_county_decide", **_grant("6000"))
    assert letter(case).doc_type == "relief_decision"
    assert open_task(case).spec_name == "urgent_paperwork"


def test_urgent_county_sends_a_case_above_its_limit_to_the_collective_decision(people):
    case = _urgent(people, "25000")  # the table routes it to the county's urgent decision
    _escalate(case, people["county_leader"], "urgent_county_decide", "25000")
    decide = open_task(case, "collective_decide")
    with pytest.raises(AuthorityExceeded):
        task_complete(user=people["county_leader"], task_pk=decide.pk,
                      form_data=_grant(50000.01, meeting_record="局务会议"))
    complete(case, people["county_leader"], "collective_decide",
             meeting_record="局务会议研究同意", **_grant("25000"))
    assert letter(case).doc_type == "relief_decision"
    assert open_task(case).spec_name == "urgent_paperwork"  # 先行救助 still needs its paperwork


# -- a supervisor's edited table ----------------------------------------------------------------


def test_edited_table_lowers_the_township_limit_for_new_cases(people, demo, supervisor):
    old = _to_township_decide(people)
    old_task = open_task(old, "township_decide")
    bpmn = (settings.BPMN_DIR / "temporary_relief.bpmn").read_text(encoding="utf-8")
    definition_deploy(key="temporary_relief", name="临时救助", bpmn_xml=bpmn,
                      dmn_xmls=[EDITED_TABLE.read_text(encoding="utf-8")],
                      deployed_by=supervisor, county=demo, comment="乡镇审批权限改为1000元")
    new = _normal(people, "800")
    assert new.definition_id != old.definition_id
    task = open_task(new, "township_decide")
    assert task.task_data["decision_authority"]["limit"] == 1000
    leader = people["township_leader"]
    before = _snapshot(new)
    for amount in (1000.01, 2500):
        with pytest.raises(AuthorityExceeded, match=r"本级审批权限（1000 元）"):
            task_complete(user=leader, task_pk=task.pk, form_data=_grant(amount))
    assert _snapshot(new) == before
    task_complete(user=leader, task_pk=task.pk, form_data=_grant(1000))
    # Above the new limit the table routes to the county.
    routed = _normal(people, "1500")
    assert open_task(routed).spec_name == "county_review"
    # A case opened before the edit keeps the limit it was opened with.
    task_complete(user=leader, task_pk=old_task.pk, form_data=_grant(2500))
    assert HumanTask.objects.get(pk=old_task.pk).status == TaskStatus.COMPLETED
