"""Comparing definition versions, and moving running cases to a new version."""
from pathlib import Path

import pytest
from django.conf import settings

from engine.models import AuditAction, AuditEntry, TaskStatus
from engine.services import definition_deploy
from engine.versioning import (
    MigrationRefused,
    case_migrate,
    case_migrate_check,
    definition_diff,
)
from tests.workflows.temporary_relief.helpers import (
    complete,
    file_application,
    open_task,
    walk_to_notice,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "modeler"
KEY = "temporary_relief"


def _bpmn() -> str:
    return (settings.BPMN_DIR / "temporary_relief.bpmn").read_text(encoding="utf-8")


def _dmn() -> str:
    return (settings.BPMN_DIR / "temporary_relief_limits.dmn").read_text(encoding="utf-8")


def _with_check_after_investigation(bpmn: str) -> str:
    """v2: the township leader checks every investigation before the township review."""
    bpmn = bpmn.replace(
        '<bpmn:sequenceFlow id="f_investigate" sourceRef="investigate" '
        'targetRef="township_review"/>',
        '<bpmn:sequenceFlow id="f_investigate" sourceRef="investigate" targetRef="leader_check"/>'
        '<bpmn:userTask id="leader_check" name="分管领导核对调查"/>'
        '<bpmn:sequenceFlow id="f_leader_check" sourceRef="leader_check" '
        'targetRef="township_review"/>')
    return bpmn.replace('<bpmn:flowNodeRef>township_decide</bpmn:flowNodeRef>',
                        '<bpmn:flowNodeRef>township_decide</bpmn:flowNodeRef>'
                        '<bpmn:flowNodeRef>leader_check</bpmn:flowNodeRef>')


def _without_supplement(bpmn: str) -> str:
    """v2: no more 补正 (returned applications are refused instead)."""
    bpmn = bpmn.replace('<bpmn:flowNodeRef>supplement</bpmn:flowNodeRef>', "")
    bpmn = bpmn.replace('targetRef="supplement"', 'targetRef="issue_refusal"')
    start = bpmn.index('<bpmn:userTask id="supplement"')
    end = bpmn.index('<bpmn:sequenceFlow id="f_supplement"')
    end = bpmn.index("/>", end) + 2
    return bpmn[:start] + bpmn[end:]


def _deploy(bpmn: str, dmn: str | None = None):
    return definition_deploy(key=KEY, name="临时救助", bpmn_xml=bpmn, dmn_xmls=[dmn or _dmn()])


# ---------------------------------------------------------------------------------------------
# definition_diff


def test_diff_lists_added_removed_renamed_and_moved_steps():
    old = _bpmn()
    new = _without_supplement(_with_check_after_investigation(old))
    new = new.replace('name="县民政局科室审核"', 'name="县民政局业务科室审核"')
    new = new.replace('<bpmn:flowNodeRef>investigate</bpmn:flowNodeRef>', "")
    new = new.replace('<bpmn:flowNodeRef>accept</bpmn:flowNodeRef>',
                      '<bpmn:flowNodeRef>accept</bpmn:flowNodeRef>'
                      '<bpmn:flowNodeRef>investigate</bpmn:flowNodeRef>')

    diff = definition_diff(old, new)

    assert [c.element_id for c in diff.tasks_added] == ["leader_check"]
    assert ("新增用户任务“分管领导核对调查”（leader_check），在泳道“township_leader”"
            in diff.messages)
    assert [c.element_id for c in diff.tasks_removed] == ["supplement"]
    assert diff.tasks_removed[0].message == "删除用户任务“补正材料”（supplement）"
    assert [c.message for c in diff.tasks_renamed] == [
        "用户任务“县民政局科室审核”（county_review）改名为“县民政局业务科室审核”"]
    moved = [c for c in diff.lane_changes if c.kind == "task_lane"]
    assert [c.message for c in moved] == [
        "用户任务“入户调查”（investigate）从泳道“village_staff”移到“township_staff”"]


def test_diff_reports_lanes_and_rule_changes_in_plain_terms():
    old = _bpmn()
    new = old.replace('name="county_leader"', 'name="county_collective"')
    draft_dmn = (DATA / "temporary_relief_limits_1000.dmn").read_text(encoding="utf-8")
    shipped = _dmn()
    lowered = shipped.replace("&lt;= 3000", "&lt;= 1000")

    diff = definition_diff(old, new, old_dmns=[shipped], new_dmns=[lowered])

    assert "新增泳道“county_collective”" in diff.messages
    assert "删除泳道“county_leader”" in diff.messages
    assert [c.message for c in diff.rule_changes] == [
        "决策表“临时救助审批层级”规则1由“当 救助金额（元） <= 3000 时，审批层级 = \"township\""
        "，乡镇审批权限（元） = 3000，县民政局审批权限（元） = 20000，一事一议审批上限（元） = 50000”"
        "改为“当 救助金额（元） <= 1000 时，审批层级 = \"township\""
        "，乡镇审批权限（元） = 3000，县民政局审批权限（元） = 20000，一事一议审批上限（元） = 50000”"]
    # a table re-drawn in dmn-js has new rule ids: its rules show as removed and added
    redrawn = definition_diff(old, old, old_dmns=[shipped], new_dmns=[draft_dmn])
    assert {c.kind for c in redrawn.rule_changes} == {"rule_added", "rule_removed"}
    assert not definition_diff(old, old, old_dmns=[shipped], new_dmns=[shipped])


# ---------------------------------------------------------------------------------------------
# case_migrate


@pytest.mark.django_db
def test_case_before_an_inserted_task_goes_through_it(demo, applicant, village, village_staff,
                                                      township_staff, township_leader,
                                                      supervisor):
    # given a case waiting for the village's investigation on version 1
    case = file_application(user=applicant, village=village)
    complete(case, township_staff, "accept", acceptance="accept")
    investigation = open_task(case, "investigate")
    v2 = _deploy(_with_check_after_investigation(_bpmn()))
    assert case_migrate_check(case=case, to_definition=v2).ok

    # when it moves to version 2
    case_migrate(case=case, to_definition=v2, actor=supervisor)

    # then its open task is untouched and the inserted check follows the investigation
    case.refresh_from_db()
    assert case.definition == v2
    assert open_task(case, "investigate").pk == investigation.pk
    complete(case, village_staff, "investigate", visit_date="2026-11-20", investigator_1="王芳",
             investigator_2="李强", household_findings="属实", proposed_amount="2500",
             village_opinion="同意")
    check = open_task(case, "leader_check")
    assert check.lane == "township_leader"
    assert check.candidate_unit.name == "罗店镇"
    entry = AuditEntry.objects.get(case=case, action=AuditAction.MIGRATED)
    assert entry.actor == supervisor
    assert entry.data["from_version"] == 1 and entry.data["to_version"] == v2.version
    assert "迁移到第 2 版" in entry.summary


@pytest.mark.django_db
def test_case_past_an_inserted_task_skips_it_and_keeps_its_timer(demo, applicant, village,
                                                                 village_staff, township_staff,
                                                                 supervisor):
    case = file_application(user=applicant, village=village)
    walk_to_notice(case, village_staff=village_staff, township_staff=township_staff)
    due = case.next_timer_at
    assert due is not None
    v2 = _deploy(_with_check_after_investigation(_bpmn()))

    case_migrate(case=case, to_definition=v2, actor=supervisor)

    case.refresh_from_db()
    assert case.definition == v2
    assert case.next_timer_at == due  # the 7-day notice does not restart
    assert not case.tasks.filter(status=TaskStatus.OPEN).exists()


@pytest.mark.django_db
def test_case_on_a_removed_task_is_refused_with_the_reason(demo, applicant, village,
                                                           township_staff, supervisor):
    # given a case returned to the applicant for 补正
    case = file_application(user=applicant, village=village)
    complete(case, township_staff, "accept", acceptance="return",
             missing_items="缺少收入证明")
    open_task(case, "supplement")
    state_before = case.state
    v2 = _deploy(_without_supplement(_bpmn()))

    check = case_migrate_check(case=case, to_definition=v2)
    assert not check.ok
    assert check.reasons == ["案件当前停在“补正材料”（supplement），新版本中已没有这一步"]
    with pytest.raises(MigrationRefused, match="补正材料"):
        case_migrate(case=case, to_definition=v2, actor=supervisor)

    case.refresh_from_db()
    assert case.definition.version == 1
    assert case.state == state_before
    assert open_task(case, "supplement")
    assert not AuditEntry.objects.filter(case=case, action=AuditAction.MIGRATED).exists()


@pytest.mark.django_db
def test_renamed_and_moved_open_task_is_resynced(demo, applicant, village, township_staff,
                                                 supervisor):
    case = file_application(user=applicant, village=village)
    complete(case, township_staff, "accept", acceptance="accept")
    row = open_task(case, "investigate")
    bpmn = _bpmn().replace('name="入户调查"', 'name="入户核查"')
    bpmn = bpmn.replace('<bpmn:flowNodeRef>investigate</bpmn:flowNodeRef>', "")
    bpmn = bpmn.replace('<bpmn:flowNodeRef>accept</bpmn:flowNodeRef>',
                        '<bpmn:flowNodeRef>accept</bpmn:flowNodeRef>'
                        '<bpmn:flowNodeRef>investigate</bpmn:flowNodeRef>')
    v2 = _deploy(bpmn)

    case_migrate(case=case, to_definition=v2, actor=supervisor)

    row.refresh_from_db()
    assert row.status == TaskStatus.OPEN
    assert row.title == "入户核查"
    assert row.lane == "township_staff"
    assert row.candidate_unit.name == "罗店镇"


@pytest.mark.django_db
def test_migration_to_another_procedure_or_the_same_version_is_refused(demo, applicant,
                                                                       village, supervisor):
    from engine.models import ProcessDefinition

    case = file_application(user=applicant, village=village)
    other = ProcessDefinition.objects.exclude(key=KEY).first()
    assert "其他事项" in case_migrate_check(case=case, to_definition=other).reasons[0]
    with pytest.raises(MigrationRefused, match="已在第 1 版"):
        case_migrate(case=case, to_definition=case.definition, actor=supervisor)
