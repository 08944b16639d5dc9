"""Diagrams and tables that were refused although they run (issue 11), and the UNIQUE
overlap that passed although it returned the wrong rule."""
import pytest

from engine import runtime
from engine.models import CaseStatus, ProcessDefinition, TaskStatus
from engine.selectors import task_list_for_user
from engine.services import case_start, definition_deploy, task_complete
from engine.validation import validate_definition
from tests.engine.test_validation import ROLES, check, codes, diagram, errors, flow, user_task

ROLE_NAMES = {"township_staff": "乡镇经办人", "township_leader": "乡镇分管领导",
              "county_staff": "县民政局科室经办人"}


def dmn(entries: list[str], *, hit_policy="UNIQUE", input_text="amount", label="金额",
        decision_id="route") -> str:
    rules = "".join(
        f'<rule id="r{i}"><inputEntry id="ie{i}"><text>{entry}</text></inputEntry>'
        f'<outputEntry id="oe{i}"><text>"{i}"</text></outputEntry></rule>'
        for i, entry in enumerate(entries, start=1))
    expression = f"<text>{input_text}</text>" if input_text is not None else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="DRD"
    namespace="http://camunda.org/schema/1.0/dmn">
  <decision id="{decision_id}" name="分流">
    <decisionTable id="t" hitPolicy="{hit_policy}">
      <input id="i1" label="{label}">
        <inputExpression id="ix1" typeRef="number">{expression}</inputExpression>
      </input>
      <output id="o1" label="规则" name="rule" typeRef="string"/>
      {rules}
    </decisionTable>
  </decision>
</definitions>"""


def rule_diagram(*, camunda_declared=False) -> str:
    head = ' xmlns:camunda="http://camunda.org/schema/1.0/bpmn"' if camunda_declared else ""
    xml = diagram('<bpmn:businessRuleTask id="decide" name="分流"><bpmn:extensionElements>'
                  "<spiffworkflow:calledDecisionId>route</spiffworkflow:calledDecisionId>"
                  "</bpmn:extensionElements></bpmn:businessRuleTask>"
                  + flow("start", "decide") + flow("decide", "end"))
    return xml.replace('id="defs"', f'{head} id="defs"', 1)


def run_rule(bpmn: str, table: str, data: dict) -> dict:
    """Run start → rule → end in memory, as the engine does; the data at the end."""
    from engine.feel import dmn_translate_feel

    translated = dmn_translate_feel(table)[0]
    spec, subs = runtime.parse(bpmn, [translated], "p")
    workflow, _ = runtime.new_workflow(runtime.spec_to_json(spec, subs), data)
    runtime.run(workflow)
    assert workflow.is_completed()
    return runtime.workflow_data(workflow)


# ---------------------------------------------------------------------------------------------
# xmlns:camunda declared, spiffworkflow used


def test_declared_camunda_namespace_with_spiff_decision_is_not_judged_as_camunda():
    problems = check(rule_diagram(camunda_declared=True), [dmn(["&lt; 1000", "&gt;= 1000"])])
    assert errors(problems) == [], [p.message for p in problems]
    assert "decisionRef" not in " ".join(p.message for p in problems)


def test_camunda_decision_ref_still_gets_the_advice():
    xml = rule_diagram(camunda_declared=True).replace(
        "<bpmn:extensionElements><spiffworkflow:calledDecisionId>route"
        "</spiffworkflow:calledDecisionId></bpmn:extensionElements>", "").replace(
        '<bpmn:businessRuleTask id="decide"',
        '<bpmn:businessRuleTask camunda:decisionRef="route" id="decide"')
    problems = errors(check(xml, [dmn(["&lt; 1000", "&gt;= 1000"])]))
    assert "decision_reference" in codes(problems)
    assert any("calledDecisionId" in p.message for p in problems)


# ---------------------------------------------------------------------------------------------
# Lanes named with a role's Chinese name


def _lane_diagram(lane_name: str) -> str:
    return diagram(user_task("review", "审核", form="generic:decision") + flow("start", "review")
                   + flow("review", "end"), lanes={lane_name: ["review"]})


def test_lane_named_with_the_roles_chinese_name_is_accepted():
    problems = check(_lane_diagram("乡镇经办人"), role_names=ROLE_NAMES)
    assert errors(problems) == [], [p.message for p in problems]


def test_unknown_lane_lists_codes_and_names():
    problems = errors(check(_lane_diagram("街道办"), role_names=ROLE_NAMES))
    assert codes(problems) == ["unknown_role"]
    message = problems[0].message
    assert "街道办" in message and "township_staff（乡镇经办人）" in message
    assert "county_staff（县民政局科室经办人）" in message and "village_staff" in message


def test_without_names_only_codes_are_lanes():
    assert codes(errors(check(_lane_diagram("乡镇经办人")))) == ["unknown_role"]


@pytest.mark.django_db
def test_chinese_lane_deploys_and_runs_as_the_role_code(village, township_staff):
    definition = definition_deploy(key="lane_names", name="泳道名称", dmn_xmls=[],
                                   bpmn_xml=_lane_diagram("乡镇经办人"))
    assert definition.roles == ["township_staff"]
    assert "乡镇经办人" in ProcessDefinition.objects.get(pk=definition.pk).bpmn_xml
    case = case_start(procedure="lane_names", title="泳道", village=village,
                      applicant_name="张建国", data={}, started_by=township_staff)
    task = case.tasks.get(status=TaskStatus.OPEN)
    assert task.lane == "township_staff"
    assert task in task_list_for_user(user=township_staff)
    task_complete(user=township_staff, task_pk=task.pk,
                  form_data={"decision": "approve", "opinion": "同意"})
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED


@pytest.mark.django_db
def test_dry_run_offers_a_chinese_lane_to_the_role(village):
    from engine.dryrun import dry_run

    result = dry_run(bpmn_xml=_lane_diagram("乡镇经办人"), dmn_xmls=[], data={},
                     village=village)
    assert result.finished, result.stop_reason
    assert [s.role for s in result.steps if s.element_id == "review"] == ["township_staff"]


# ---------------------------------------------------------------------------------------------
# DMN input without an expression but with a label


def test_input_with_label_but_no_expression_runs_as_spiffworkflow_does():
    table = dmn(["&lt; 1000", "&gt;= 1000"], input_text=None, label="amount")
    problems = check(rule_diagram(), [table])
    assert errors(problems) == [], [p.message for p in problems]
    assert "dmn_input_label" in codes(problems)
    assert run_rule(rule_diagram(), table, {"amount": 1500})["rule"] == "2"
    assert run_rule(rule_diagram(), table, {"amount": 500})["rule"] == "1"


def test_input_with_neither_expression_nor_a_variable_label_is_refused():
    table = dmn(["&lt; 1000", "&gt;= 1000"], input_text="", label="申请 金额")
    problems = errors(check(rule_diagram(), [table]))
    assert codes(problems) == ["dmn_input_expression"]
    assert "申请 金额" in problems[0].message


# ---------------------------------------------------------------------------------------------
# UNIQUE overlaps hidden in expression entries


@pytest.mark.parametrize("entries, fragment", [
    (["? &gt; 1000 and ? &lt; 5000", "? &gt;= 3000"], "金额=3000"),
    (["? % 2 == 0", "? &gt; 10"], "金额=12"),
    (["? in (1, 2, 3)", "2 &lt;= ? &lt;= 9"], "金额=2"),
])
def test_unique_overlap_in_expression_entries_is_refused(entries, fragment):
    problems = [p for p in check(rule_diagram(), [dmn(entries)]) if p.code == "dmn_overlap"]
    assert len(problems) == 1
    assert fragment in problems[0].message and "UNIQUE" in problems[0].message


def test_disjoint_expression_entries_pass():
    entries = ["? &gt; 1000 and ? &lt; 5000", "? &gt;= 5000", "? &lt;= 1000"]
    assert "dmn_overlap" not in codes(check(rule_diagram(), [dmn(entries)]))


def test_overlap_that_depends_on_data_stops_the_case_with_a_chinese_error():
    table = dmn(["? &gt; low", "? &gt; high"])
    assert "dmn_overlap" not in codes(check(rule_diagram(), [table]))  # undecidable here
    assert run_rule(rule_diagram(), table, {"amount": 50, "low": 10, "high": 100})["rule"] == "1"
    with pytest.raises(runtime.RuntimeFailure) as caught:
        run_rule(rule_diagram(), table, {"amount": 500, "low": 10, "high": 100})
    message = str(caught.value)
    assert "UNIQUE" in message and "规则1" in message and "规则2" in message


def test_first_hit_policy_still_takes_the_first_match():
    table = dmn(["? &gt; low", "? &gt; high"], hit_policy="FIRST")
    assert run_rule(rule_diagram(), table, {"amount": 500, "low": 10, "high": 100})["rule"] == "1"


def test_validate_definition_accepts_role_names_keyword():
    problems = validate_definition(bpmn_xml=_lane_diagram("乡镇分管领导"), known_roles=ROLES,
                                   role_names=ROLE_NAMES, form_exists=None)
    assert errors(problems) == []


def test_two_flow_elements_with_one_id_are_refused_naming_both():
    """SpiffWorkflow would keep one of them silently; a data item sharing an id stays a
    warning (a schema slip it tolerates)."""
    bpmn = diagram(user_task("review", "审核") + user_task("review", "复核")
                   + flow("start", "review") + flow("review", "end"),
                   lanes={"township_staff": ["review"]})
    [problem] = [p for p in errors(check(bpmn)) if p.code == "duplicate_id"]
    assert problem.element_id == "review"
    assert "审核" in problem.message and "复核" in problem.message and "2 个元素" in problem.message
    assert "duplicate_id" not in codes(check(diagram(
        user_task("review", "审核") + flow("start", "review") + flow("review", "end"),
        lanes={"township_staff": ["review"]})))
