"""Expressions are bounded: resource bombs and sandbox escapes are refused in every place a
diagram or table can carry an expression, at deploy time and (for what only data reveals) at
run time within a fraction of a second; applicants never see the expression."""
import time
from html import escape
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from engine.models import Notification, NotificationKind
from engine.sandbox import ExpressionLimitExceeded, SandboxEnvironment, UnsafeExpression
from engine.validation import expression_reasons

from .test_validation import check, diagram, errors, flow, user_task

# Resource bombs (memory or CPU) and the usual Python-sandbox escapes.
BOMBS = [
    "9**9**7 > 0", "9**9**9", "'a'*10**10", "[x for x in range(10**9)]", "sum(range(10**12))",
    "'x'.zfill(10**10)", "'x'.ljust(10**10)", "'x'.center(10**9)", "(10**1000)*(10**1000)",
    "1 << 10**6", "[0]*100000*100000", "'%0999999999d' % 1", "'%*d' % (10**9, 1)",
    "('x'*100000).replace('x', 'yy')", "'x'*99999 + 'y'*99999",
    "sum([[0]*100000]*100000, [])", "divmod(9**9**5, 1)", "len(str(10**1300))",
    "[1 for a in range(99999) for b in range(99999)]",
    "{i: i for i in range(10**5) for j in range(100)}", "f'{1:{10**9}}'", "f'{1:9999999}'",
]
ESCAPES = [
    "__import__('os').system('id')", "().__class__.__base__.__subclasses__()",
    "open('/etc/passwd').read()", "eval('1+1')", "getattr((), '__class__')", "globals()",
    "'{0.__class__}'.format(1)", "type(1)", "(lambda: 1)()", "[].__class__",
]


@pytest.mark.parametrize("expression", BOMBS)
def test_bombs_are_refused_at_run_time_quickly(expression):
    started = time.monotonic()
    with pytest.raises(UnsafeExpression):
        SandboxEnvironment({}).evaluate(expression, {})
    # Not a timing assertion on the product: a bomb that ran would take minutes or all memory.
    assert time.monotonic() - started < 30


def test_a_data_dependent_bomb_stops_at_the_limits():
    """``amount`` is only known at run time; the guards still refuse before computing."""
    env = SandboxEnvironment({})
    with pytest.raises(ExpressionLimitExceeded):
        env.evaluate("'x' * amount", {"amount": 10**10})
    with pytest.raises(ExpressionLimitExceeded):
        env.evaluate("amount ** amount", {"amount": 10**6})
    with pytest.raises(ExpressionLimitExceeded):
        env.execute("total = 0\nfor a in items:\n    for b in items:\n        total += 1",
                    {"items": list(range(100_000))})


def test_ordinary_expressions_still_work():
    env = SandboxEnvironment({})
    data = {"amount": 2500.5, "items": ["公安", "医保"]}
    assert env.evaluate("amount <= 3000 and 2 ** 10 == 1024", data) is True
    assert env.evaluate("f'{amount:.2f}元'", data) == "2500.50元"
    assert env.evaluate("'%s 元' % amount", data) == "2500.5 元"
    assert env.evaluate("['department:' + d for d in items]", data) == \
        ["department:公安", "department:医保"]
    assert env.evaluate("sum([1, 2, 3]) * 3 + len(range(10))", data) == 28


@pytest.mark.parametrize("expression", BOMBS + ESCAPES)
def test_every_payload_is_refused_by_the_deploy_checker(expression):
    assert expression_reasons(expression), expression


def _places(payload: str) -> dict[str, str]:
    """One diagram per place an expression can sit, each carrying ``payload``."""
    value = escape(payload, quote=True)
    text = escape(payload, quote=False)
    simple = "review"

    def task_with(**props):
        return diagram(user_task(simple, "审核", **props) + flow("start", simple) +
                       flow(simple, "end"), lanes={"township_staff": [simple]})

    return {
        "gateway": diagram(
            '<bpmn:exclusiveGateway id="gw" name="判断" default="f_gw_end"/>' +
            flow("start", "gw") + flow("gw", "end", flow_id="f_gw_end") +
            flow("gw", "end", condition=text, flow_id="f_cond")),
        "script": diagram(f'<bpmn:scriptTask id="s" name="计算"><bpmn:script>x = {text}'
                          "</bpmn:script></bpmn:scriptTask>" + flow("start", "s") +
                          flow("s", "end")),
        "timer": diagram('<bpmn:intermediateCatchEvent id="wait" name="等待">'
                         f"<bpmn:timerEventDefinition><bpmn:timeDuration>{text}"
                         "</bpmn:timeDuration></bpmn:timerEventDefinition>"
                         "</bpmn:intermediateCatchEvent>" + flow("start", "wait") +
                         flow("wait", "end")),
        "multi_instance": diagram(
            '<bpmn:userTask id="many" name="多部门"><bpmn:multiInstanceLoopCharacteristics>'
            f"<bpmn:loopCardinality>{text}</bpmn:loopCardinality>"
            "</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>" +
            flow("start", "many") + flow("many", "end"), lanes={"township_staff": ["many"]}),
        **{f"property {name}": task_with(**{name: value}) for name in (
            "candidate_role", "candidate_user", "title", "task_data", "due_working_days",
            "due_hours", "decision_limit")},
    }


PLACES = list(_places("1"))


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("payload", [
    "9**9**7 > 0", "'a'*10**10", "[x for x in range(10**9)]", "sum(range(10**12))",
    "'x'.zfill(10**10)", "__import__('os').system('id')", "().__class__.__base__",
])
def test_payloads_are_refused_in_every_place(place, payload):
    bpmn = _places(payload)[place]
    problems = errors(check(bpmn))
    assert problems, f"{payload} accepted in {place}"
    # The supervisor's message names the element it is in.
    assert any("“" in p.message and p.element_id for p in problems)


def test_payloads_in_a_decision_table_are_refused():
    data = Path(__file__).resolve().parent.parent / "data" / "modeler"
    relief = (settings.BPMN_DIR / "temporary_relief.bpmn").read_text(encoding="utf-8")
    table = (data / "temporary_relief_limits_1000.dmn").read_text(encoding="utf-8")
    for bomb in ("9**9**9", "'a'*10**10", "sum(range(10**12))"):
        dmn = table.replace("&lt;= 1000", f"&lt;= {escape(bomb)}", 1)
        assert errors(check(relief, [dmn])), bomb


@pytest.mark.django_db
def test_a_failing_diagram_shows_the_applicant_a_plain_message(client, applicant, village,
                                                               supervisor, monkeypatch):
    """A run-time failure (here: a data-dependent bomb in a deployed condition) reaches the
    applicant as 系统配置错误 without the expression; the county supervisor is notified."""
    from engine.services import definition_deploy
    from tests.workflows.temporary_relief.helpers import application_data

    relief = (settings.BPMN_DIR / "temporary_relief.bpmn").read_text(encoding="utf-8")
    bombed = relief.replace("<bpmn:conditionExpression>urgent == True</bpmn:conditionExpression>",
                            "<bpmn:conditionExpression>'x' * int(requested_amount * 10**7) == 'x'"
                            "</bpmn:conditionExpression>", 1)
    tables = [(settings.BPMN_DIR / "temporary_relief_limits.dmn").read_text(encoding="utf-8")]
    definition_deploy(key="temporary_relief", name="临时救助", bpmn_xml=bombed,
                      dmn_xmls=tables, county=village.county)
    client.force_login(applicant)
    response = client.post(reverse("portal:apply", args=["temporary_relief"]),
                           application_data(village))
    page = response.content.decode()
    assert response.status_code == 200
    assert "系统配置错误，已通知管理员" in page
    assert "int(requested_amount" not in page and "10**7" not in page
    assert "Error evaluating" not in page
    assert not applicant.cases.exists()
    note = Notification.objects.get(user=supervisor, kind=NotificationKind.SYSTEM)
    assert "临时救助申请" in note.title and "10**7" in note.body  # the details, for them
