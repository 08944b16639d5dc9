"""Decision authority as an engine capability (``engine.authority``), on a diagram of its own:
the user task declares ``decision_limit`` / ``decision_amount_field`` / ``decision_grants``,
the limit is evaluated in the sandbox when the task opens and kept on the inbox row, and
``task_complete`` refuses a grant above it with nothing saved. Deploy refuses unsafe or
malformed declarations, in Chinese."""
import pytest

from engine.authority import AuthorityExceeded, AuthorityRefused, completion_check, yuan
from engine.models import AuditEntry, Case, CaseStatus, TaskStatus, Unit
from engine.services import (
    ActionRefused,
    DefinitionError,
    RuntimeFailure,
    case_start,
    definition_deploy,
    task_complete,
    unit_settings_update,
)
from tests.engine.test_validation import check, codes, diagram, errors, flow, user_task

pytestmark = pytest.mark.django_db

# (XML-escaped: the values go into attributes.) 1050 × 3 = 3150 in the demo county.
LIMIT = 'county_settings[&quot;dibao_monthly&quot;] * 3'
GRANTS = 'outcome in (&quot;full&quot;, &quot;partial&quot;)'


def _diagram(**properties) -> str:
    properties = {"form": "generic:decision", **properties}
    return diagram(user_task("grant_task", "发放审批", **properties) + flow("start", "grant_task")
                   + flow("grant_task", "end"), lanes={"township_leader": ["grant_task"]})


def _start(village, village_staff, key="authority_probe", **properties):
    properties = properties or {"decision_limit": LIMIT, "decision_amount_field": "grant",
                                "decision_grants": GRANTS}
    definition_deploy(key=key, name="审批权限测试", bpmn_xml=_diagram(**properties),
                      dmn_xmls=[])
    case = case_start(procedure=key, title="审批权限测试", village=village,
                      applicant_name="张建国", data={"requested": 5000},
                      started_by=village_staff)
    return case, case.tasks.get(spec_name="grant_task")


def _saved(case):
    case.refresh_from_db()
    return (case.state, AuditEntry.objects.filter(case=case).count(),
            list(case.tasks.values_list("status", "form_data")))


def test_limit_from_county_settings_is_kept_with_the_task_and_enforced(
        village, village_staff, township_leader):
    case, task = _start(village, village_staff)
    assert task.task_data["decision_authority"] == {
        "limit": 3150, "amount_field": "grant", "grants": 'outcome in ("full", "partial")'}
    before = _saved(case)
    for outcome, amount in (("full", 3150.01), ("partial", "3150.01"), ("full", 1_000_000)):
        with pytest.raises(AuthorityExceeded) as refused:
            task_complete(user=township_leader, task_pk=task.pk,
                          form_data={"outcome": outcome, "grant": amount, "opinion": "同意"})
        assert isinstance(refused.value, ActionRefused)
        assert "超过本级审批权限（3150 元），请按程序报上级审批" in str(refused.value)
        assert _saved(case) == before
    task_complete(user=township_leader, task_pk=task.pk,
                  form_data={"outcome": "full", "grant": 3150, "opinion": "同意"})
    task.refresh_from_db()
    assert task.status == TaskStatus.COMPLETED


def test_a_completion_that_does_not_grant_is_not_limited(village, village_staff,
                                                         township_leader):
    case, task = _start(village, village_staff)
    task_complete(user=township_leader, task_pk=task.pk,
                  form_data={"outcome": "escalate", "grant": 99999, "opinion": "报上级"})
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED


def test_the_limit_is_fixed_when_the_task_opens(demo, village, village_staff, township_leader,
                                                supervisor):
    case, task = _start(village, village_staff)
    unit_settings_update(unit=demo, changes={"dibao_monthly": 500}, actor=supervisor)
    # The open task keeps the limit its decider was shown; a new case gets the new one.
    task.refresh_from_db()
    assert task.task_data["decision_authority"]["limit"] == 3150
    village = Unit.objects.get(pk=village.pk)  # reread: the county's settings changed
    other = case_start(procedure="authority_probe", title="审批权限测试", village=village,
                       applicant_name="李四", data={}, started_by=village_staff)
    new_task = other.tasks.get(spec_name="grant_task")
    assert new_task.task_data["decision_authority"]["limit"] == 1500
    with pytest.raises(AuthorityExceeded, match=r"批准金额 1500\.01 元"):
        task_complete(user=township_leader, task_pk=new_task.pk,
                      form_data={"outcome": "full", "grant": 1500.01, "opinion": "同意"})


def test_defaults_are_approved_amount_and_decision_approve(village, village_staff,
                                                           township_leader):
    case, task = _start(village, village_staff, key="authority_defaults",
                        decision_limit="1000")
    assert task.task_data["decision_authority"] == {
        "limit": 1000, "amount_field": "approved_amount", "grants": 'decision == "approve"'}
    with pytest.raises(AuthorityExceeded):
        task_complete(user=township_leader, task_pk=task.pk,
                      form_data={"decision": "approve", "approved_amount": 1000.01,
                                 "opinion": "同意"})
    task_complete(user=township_leader, task_pk=task.pk,
                  form_data={"decision": "refuse", "approved_amount": 5000, "opinion": "不同意"})


def test_a_limit_that_cannot_be_computed_stops_the_case_from_opening_the_task(
        village, village_staff):
    definition_deploy(key="authority_broken", name="审批权限测试",
                      bpmn_xml=_diagram(decision_limit="no_such_limit"), dmn_xmls=[])
    with pytest.raises(RuntimeFailure, match="decision_limit"):
        case_start(procedure="authority_broken", title="审批权限测试", village=village,
                   applicant_name="张建国", data={}, started_by=village_staff)
    definition_deploy(key="authority_text", name="审批权限测试",
                      bpmn_xml=_diagram(decision_limit="label"), dmn_xmls=[])
    with pytest.raises(RuntimeFailure, match="不是金额"):
        case_start(procedure="authority_text", title="审批权限测试", village=village,
                   applicant_name="张建国", data={"label": "三千"}, started_by=village_staff)
    assert not Case.objects.filter(procedure__startswith="authority_").exists()


def test_a_grant_condition_that_cannot_be_evaluated_refuses(village, village_staff,
                                                             township_leader):
    case, task = _start(village, village_staff)
    with pytest.raises(AuthorityRefused, match="无法判断"):
        task_complete(user=township_leader, task_pk=task.pk,
                      form_data={"grant": 10, "opinion": "同意"})  # no "outcome" anywhere
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_check_without_declared_authority_does_nothing():
    class Row:
        task_data = {"title": "x"}

    completion_check(task=Row(), case_data={}, form_data={"decision": "approve",
                                                          "approved_amount": 10 ** 9})


def test_amounts_are_written_as_yuan():
    assert [yuan(v) for v in (3000, 3000.0, "3000.01", 3000.1, "0")] == \
        ["3000", "3000", "3000.01", "3000.10", "0"]


# -- deploy-time validation ---------------------------------------------------------------------


def test_shipped_limits_and_expressions_pass():
    assert check(_diagram(decision_limit=LIMIT, decision_amount_field="grant",
                          decision_grants=GRANTS)) == []
    assert check(_diagram(decision_limit="2500.5")) == []


@pytest.mark.parametrize(("properties", "code", "text"), [
    ({"decision_limit": "__import__(&quot;os&quot;).getpid()"}, "unsafe_expression",
     "审批权限（decision_limit）表达式"),
    ({"decision_limit": "open(&quot;/etc/passwd&quot;)"}, "unsafe_expression", "不能使用"),
    ({"decision_limit": "-1"}, "decision_limit", "不是金额"),
    ({"decision_limit": "&quot;3000&quot;"}, "decision_limit", "不是金额"),
    ({"decision_limit": "True"}, "decision_limit", "不是金额"),
    ({"decision_limit": "3000", "decision_grants": "x.__class__"}, "unsafe_expression",
     "批准条件（decision_grants）"),
    ({"decision_limit": "3000", "decision_grants": "decision =="}, "unsafe_expression",
     "语法错误"),
    ({"decision_limit": "3000", "decision_amount_field": "_secret"}, "decision_amount_field",
     "不是合法的表单字段名"),
    ({"decision_limit": "3000", "decision_amount_field": "amount-1"}, "decision_amount_field",
     "不是合法的表单字段名"),
])
def test_deploy_refuses_malformed_authority(properties, code, text):
    problems = errors(check(_diagram(**properties)))
    assert code in codes(problems), problems
    assert any(text in p.message and "发放审批" in p.message for p in problems), problems


def test_amount_field_without_a_limit_is_a_warning():
    problems = check(_diagram(decision_amount_field="grant"))
    assert codes(problems) == ["decision_limit_missing"]
    assert problems[0].severity == "warning"
    assert "没有审批权限（decision_limit）" in problems[0].message


def test_definition_deploy_refuses_an_unsafe_limit(demo):
    with pytest.raises(DefinitionError, match="decision_limit"):
        definition_deploy(key="authority_unsafe", name="审批权限测试",
                          bpmn_xml=_diagram(decision_limit="__import__(&quot;os&quot;)"),
                          dmn_xmls=[])


def _relief(dmn: str) -> list:
    from django.conf import settings

    bpmn = (settings.BPMN_DIR / "temporary_relief.bpmn").read_text(encoding="utf-8")
    return check(bpmn, [dmn])


def test_a_threshold_changed_without_its_limit_is_warned():
    from django.conf import settings

    shipped = (settings.BPMN_DIR / "temporary_relief_limits.dmn").read_text(encoding="utf-8")
    assert _relief(shipped) == []
    routed_only = shipped.replace("&lt;= 3000", "&lt;= 1000").replace("3000 &lt; ?",
                                                                       "1000 &lt; ?")
    problems = _relief(routed_only)
    assert [(p.code, p.severity) for p in problems] == [("decision_limit_table", "warning")]
    assert "“乡镇审批权限（元）” = 3000，但规则的金额分界是 1000、20000" in problems[0].message
    one_rule_only = shipped.replace(
        '<outputEntry id="rule_county_township_limit"><text>3000',
        '<outputEntry id="rule_county_township_limit"><text>1000')
    problems = _relief(one_rule_only)
    assert [p.code for p in problems] == ["decision_limit_table"]
    assert "在各规则中取值不同（1000、3000）" in problems[0].message
