"""UNIQUE decision tables that turn out to have two matching rules, caught when they run.

SpiffWorkflow 3.2's ``DMNEngine.decide`` stops at the first matching rule of a UNIQUE table,
so an overlap silently returns the first rule's outputs. Deploy refuses overlaps it can prove
(``engine.validation.dmn_table_problems``), but an entry that reads another variable (``? >
county_settings["limit"]``) cannot be decided before the case runs. Here every rule of a UNIQUE
table is evaluated and a second match stops the step with a Chinese error naming both rules —
the case keeps its state, the supervisor fixes the table.

``install()`` is called once from ``engine.runtime`` (the only module that runs workflows).
"""
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.dmn.specs.model import HitPolicy

_original_decide = DMNEngine.decide


def _rule_text(rule) -> str:
    description = (getattr(rule, "description", "") or "").strip()
    number = getattr(rule, "row_number", "") or ""
    return f"规则{number}“{description}”" if description else f"规则{number}"


def _decide(self, task):
    table = self.decision_table
    if table.hit_policy != HitPolicy.UNIQUE.value:
        return _original_decide(self, task)
    matched = [rule for rule in table.rules if self._DMNEngine__check_rule(rule, task)]
    if len(matched) > 1:
        name = table.name or table.id
        raise WorkflowTaskException(
            f"决策表“{name}”（命中策略 UNIQUE）有 {len(matched)} 条规则同时满足："
            f"{'、'.join(_rule_text(rule) for rule in matched)}；UNIQUE 要求任何情况下最多一条"
            f"规则满足，请修改决策表（或改用命中策略 FIRST）", task=task)
    return matched


def install() -> None:
    DMNEngine.decide = _decide
