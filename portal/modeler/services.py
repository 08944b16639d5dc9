"""Writes of the modeler: deploy a supervisor's draft, roll back, move cases.

Deploying goes through ``engine.services.definition_deploy`` (which numbers the version and
records who deployed it and why); before that the draft must pass
``engine.validation`` without errors, and its decision tables are translated from FEEL (what
dmn-js writes) into the engine's expressions, so the stored version is what runs.
"""
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from lxml import etree

from engine.camunda import CamundaImport, camunda_import, camunda_names
from engine.camunda_mapping import mapping_dicts, mapping_save, names_seen
from engine.feel import FeelError
from engine.models import Case, ProcessDefinition, Unit
from engine.services import (
    DefinitionError,
    definition_current,
    definition_deploy,
    definition_draft_discard,
)
from engine.validation import Problem
from engine.versioning import MigrationRefused, case_migrate
from workflows.registry import Procedure

from .selectors import draft_problems, translated_tables


class DeployRefused(ValidationError):
    """The draft has errors; ``problems`` lists them."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("；".join(p.message for p in problems))


@transaction.atomic
def draft_deploy(*, procedure: Procedure, county: Unit, bpmn_xml: str, dmn_xmls: list[str],
                 user, reason: str) -> tuple[ProcessDefinition, bool]:
    """Deploy a draft as the procedure's next version, recording ``user`` and ``reason``;
    the county's draft is discarded. Returns (version, whether a new version was made:
    content identical to the deployed version makes none). Raises ``DeployRefused``."""
    reason = reason.strip()
    if not reason:
        raise ValidationError("请填写部署原因")
    errors = [p for p in draft_problems(procedure, bpmn_xml=bpmn_xml, dmn_xmls=dmn_xmls,
                                           county=county)
              if p.is_error]
    if errors:
        raise DeployRefused(errors)
    before = ProcessDefinition.objects.filter(key=procedure.key).count()
    try:
        definition = definition_deploy(key=procedure.key, name=procedure.name,
                                       bpmn_xml=bpmn_xml, dmn_xmls=translated_tables(dmn_xmls),
                                       deployed_by=user, comment=reason, county=county)
    except DefinitionError as exc:  # the engine's own checks at deploy time
        raise DeployRefused([Problem("deploy", "", "", str(exc))]) from exc
    definition_draft_discard(key=procedure.key, county=county)
    return definition, ProcessDefinition.objects.filter(key=procedure.key).count() > before


@transaction.atomic
def version_rollback(*, procedure: Procedure, version: ProcessDefinition, user,
                     reason: str, county: Unit) -> tuple[ProcessDefinition, bool]:
    """Deploy an earlier version's content again, as a new version (history is never
    rewritten). Returns (version, whether a new version was made)."""
    reason = reason.strip()
    if not reason:
        raise ValidationError("请填写回滚原因")
    if version.key != procedure.key:
        raise ValidationError("该版本不属于此事项")
    current = definition_current(procedure.key, county)
    if current.content_hash == version.content_hash:
        return current, False
    definition = definition_deploy(
        key=procedure.key, name=procedure.name, bpmn_xml=version.bpmn_xml,
        dmn_xmls=list(version.dmn_xml), deployed_by=user, county=county,
        comment=f"回滚到第 {version.version} 版：{reason}")
    return definition, True


@dataclass
class MigrationResult:
    case: Case
    migrated: bool
    message: str


def cases_migrate(*, cases: list[Case], to_definition: ProcessDefinition,
                  actor) -> list[MigrationResult]:
    """Move each case to ``to_definition``; each case in its own transaction, so one refusal
    does not undo the others."""
    results = []
    for case in cases:
        from_version = case.definition.version
        try:
            case_migrate(case=case, to_definition=to_definition, actor=actor)
        except MigrationRefused as exc:
            results.append(MigrationResult(case, False, str(exc)))
            continue
        results.append(MigrationResult(
            case, True, f"已由第 {from_version} 版迁移到第 {to_definition.version} 版"))
    return results


def camunda_translate(*, county: Unit, bpmn_xml: str, dmn_xmls: list[str]) -> CamundaImport:
    """Translate a Camunda 7 model with the county's mapping, recording the groups and users
    it names (unmapped) so the mapping page lists them. Raises ValidationError for a file
    that is not XML."""
    try:
        groups, users = camunda_names(bpmn_xml)
        group_roles, user_names = mapping_dicts(county)
        result = camunda_import(bpmn_xml=bpmn_xml, dmn_xmls=dmn_xmls, group_roles=group_roles,
                                user_names=user_names)
    except (etree.XMLSyntaxError, FeelError) as exc:
        raise ValidationError(f"文件不是合法的 XML：{exc}") from exc
    names_seen(county=county, groups=groups, users=users)
    return result


def camunda_mapping_save(*, county: Unit, rows: list[tuple[str, str, str]], user) -> int:
    return mapping_save(county=county, rows=rows, user=user)


@transaction.atomic
def library_deploy(*, county: Unit, key: str, name: str, bpmn_xml: str, user,
                   reason: str) -> tuple[ProcessDefinition, bool]:
    """Deploy a process of the county's library (流程库): a diagram other diagrams call, not
    an application of its own. ``key`` names it across versions (a registered procedure's
    key is edited in the editor instead). Its user tasks open on the caller's task page, so
    they must use a generic form. Returns (version, whether a new version was made)."""
    from workflows.registry import procedure_get

    from .selectors import library_problems

    reason = reason.strip()
    if not reason:
        raise ValidationError("请填写部署原因")
    try:
        procedure_get(key)
    except LookupError:
        pass
    else:
        raise ValidationError(f"{key} 是审批事项，请在流程管理中打开该事项编辑")
    errors = [p for p in library_problems(county=county, key=key, bpmn_xml=bpmn_xml)
              if p.is_error]
    if errors:
        raise DeployRefused(errors)
    before = ProcessDefinition.objects.filter(key=key).count()
    try:
        definition = definition_deploy(key=key, name=name, bpmn_xml=bpmn_xml, dmn_xmls=[],
                                       deployed_by=user, comment=reason, county=county)
    except DefinitionError as exc:
        raise DeployRefused([Problem("deploy", "", "", str(exc))]) from exc
    return definition, ProcessDefinition.objects.filter(key=key).count() > before
