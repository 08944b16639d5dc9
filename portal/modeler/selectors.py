"""Reads of the modeler: what a supervisor edits, checks and compares.

The modeler works on one procedure at a time. What it opens is the supervisor's county's draft
when there is one, else the deployed version (or an earlier version they chose), with a
generated drawing when the diagram has none (the shipped diagrams are written by hand).
"""
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from lxml import etree

from engine.feel import FeelError, dmn_translate_feel, safe_xml
from engine.layout import bpmn_with_layout
from engine.library import callable_processes, resolve
from engine.models import (
    Case,
    CaseStatus,
    DefinitionDraft,
    HumanTask,
    ProcessDefinition,
    Role,
    TaskStatus,
    Unit,
)
from engine.services import definition_current
from engine.validation import Problem, validate_definition
from engine.versioning import DefinitionDiff, MigrationCheck, case_migrate_check, definition_diff
from workflows.registry import Procedure, procedure_get, procedure_list


def procedure_or_404(key: str) -> Procedure:
    try:
        return procedure_get(key)
    except LookupError:
        raise Http404("未知的审批事项") from None


def is_procedure(key: str) -> bool:
    try:
        procedure_get(key)
    except LookupError:
        return False
    return True


def definition_current_or_none(key: str, county: Unit) -> ProcessDefinition | None:
    """The version the county's new cases start on (its own latest, else the product's)."""
    try:
        return definition_current(key, county)
    except LookupError:
        return None


def draft_of(key: str, county: Unit) -> DefinitionDraft | None:
    return (DefinitionDraft.objects.select_related("based_on", "updated_by")
            .filter(key=key, county=county).first())


@dataclass
class ProcedureRow:
    procedure: Procedure
    current: ProcessDefinition | None
    draft: DefinitionDraft | None


def procedure_rows(county: Unit) -> list[ProcedureRow]:
    """Every registered procedure with its deployed version and the county's draft."""
    drafts = {d.key: d for d in DefinitionDraft.objects.filter(county=county)}
    return [ProcedureRow(p, definition_current_or_none(p.key, county), drafts.get(p.key))
            for p in procedure_list()]


def _visible_to(county: Unit) -> Q:
    return Q(county=county) | Q(county__isnull=True)


def versions_of(key: str, county: Unit) -> QuerySet[ProcessDefinition]:
    """The county's version history (its own versions and the product's), newest first
    (the XML columns are left out)."""
    return (ProcessDefinition.objects.filter(_visible_to(county), key=key)
            .select_related("deployed_by", "county")
            .defer("bpmn_xml", "dmn_xml", "spec_json").order_by("-version"))


def version_or_404(key: str, version: int, county: Unit) -> ProcessDefinition:
    definition = ProcessDefinition.objects.filter(_visible_to(county), key=key,
                                                  version=version).first()
    if definition is None:
        raise Http404("没有这个版本")
    return definition


@dataclass
class EditorContent:
    bpmn_xml: str
    dmn_xmls: list[str]
    source: str  # what is open, in words: "草稿（基于第 3 版）", "第 2 版"
    based_on: ProcessDefinition | None
    is_draft: bool


def editor_content(procedure: Procedure, county: Unit,
                   version: ProcessDefinition | None = None) -> EditorContent:
    """What the modeler opens: ``version`` when asked for, else the county's draft, else the
    deployed version. A diagram without a drawing gets one."""
    draft = None if version is not None else draft_of(procedure.key, county)
    if draft is not None:
        based = f"（基于第 {draft.based_on.version} 版）" if draft.based_on else ""
        return EditorContent(bpmn_with_layout(draft.bpmn_xml), list(draft.dmn_xml),
                             f"草稿{based}", draft.based_on, True)
    definition = version or definition_current_or_none(procedure.key, county)
    if definition is None:
        raise Http404("该事项尚未部署")
    return EditorContent(bpmn_with_layout(definition.bpmn_xml), list(definition.dmn_xml),
                         f"第 {definition.version} 版", definition, False)


def decision_names(dmn_xmls: list[str]) -> list[str]:
    """A tab title per decision table file: its (first) decision's name."""
    names = []
    for index, dmn in enumerate(dmn_xmls, start=1):
        try:
            decision = safe_xml(dmn).find("{*}decision")
        except Exception:  # noqa: BLE001 - a broken draft still gets a tab to fix it in
            decision = None
        name = (decision.get("name") or decision.get("id")) if decision is not None else ""
        names.append(name or f"决策表 {index}")
    return names


def _form_exists(procedure: Procedure):
    def exists(task_id: str) -> bool:
        return task_id in procedure.task_forms or procedure.default_task_form is not None

    return exists


def library_rows(county: Unit, *, exclude_key: str | None = None) -> list[dict]:
    """The processes the county's diagrams may call (engine.library), each with a link to
    its diagram."""
    from django.urls import reverse

    return [{"process_id": p.process_id, "name": p.name, "key": p.key, "version": p.version,
             "definition_name": p.definition_name, "executable": p.executable,
             "url": reverse("portal:modeler:library_diagram", args=[p.definition_pk])}
            for p in callable_processes(county, exclude_key=exclude_key)]


def library_definition_or_404(pk: int, county: Unit) -> ProcessDefinition:
    """A deployed version the county may call or read: its own or the product's."""
    definition = ProcessDefinition.objects.filter(_visible_to(county), pk=pk).first()
    if definition is None:
        raise Http404("没有这个流程")
    return definition


def library_callers(definition: ProcessDefinition, county: Unit) -> list[ProcessDefinition]:
    """The county's deployed versions that call ``definition`` (newest first)."""
    rows = (ProcessDefinition.objects.filter(_visible_to(county))
            .defer("bpmn_xml", "dmn_xml", "spec_json").order_by("key", "-version"))
    return [row for row in rows
            if any(call.get("definition") == definition.pk for call in row.calls)]


def call_changes(current: ProcessDefinition | None, library) -> list[dict]:
    """The versions the draft's call activities would record, each with the version the
    deployed version records (None: a new call)."""
    before = {call["element_id"]: call for call in (current.calls if current else [])}
    rows = []
    for call in library.calls:
        old = before.get(call["element_id"])
        rows.append({**call, "before": old,
                     "changed": old is None or old["definition"] != call["definition"]})
    return rows


def library_problems(*, county: Unit, key: str, bpmn_xml: str) -> list[Problem]:
    """Every problem of a library process (its user tasks need a generic form)."""
    problems = validate_definition(
        library=resolve(bpmn_xml, county=county, exclude_key=key),
        bpmn_xml=bpmn_xml, dmn_xmls=[],
        known_roles=set(Role.objects.values_list("code", flat=True)),
        form_exists=lambda task_id: False,
        role_levels=dict(Role.objects.values_list("code", "level")))
    return sorted(problems, key=lambda p: not p.is_error)


def draft_problems(procedure: Procedure, *, bpmn_xml: str,
                   dmn_xmls: list[str], county: Unit | None = None) -> list[Problem]:
    """Every problem of a draft (FEEL translation included), errors first. Call activities
    to other files are resolved in ``county``'s process library."""
    problems = validate_definition(
        library=resolve(bpmn_xml, county=county, exclude_key=procedure.key),
        bpmn_xml=bpmn_xml, dmn_xmls=dmn_xmls,
        known_roles=set(Role.objects.values_list("code", flat=True)),
        form_exists=_form_exists(procedure),
        role_levels=dict(Role.objects.values_list("code", "level")),
        role_names=dict(Role.objects.values_list("code", "name")))
    return sorted(problems, key=lambda p: not p.is_error)


def feel_problems(dmn_xmls: list[str]) -> list[Problem]:
    """What the FEEL → engine translation reports for each table (shown when saving)."""
    problems = []
    for dmn in dmn_xmls:
        problems += dmn_translate_feel(dmn)[1]
    return problems


def translated_tables(dmn_xmls: list[str]) -> list[str]:
    return [dmn_translate_feel(dmn)[0] for dmn in dmn_xmls]


def draft_diff(current: ProcessDefinition | None, *, bpmn_xml: str,
               dmn_xmls: list[str]) -> DefinitionDiff | None:
    """What deploying the draft would change against the deployed version."""
    if current is None:
        return DefinitionDiff()
    try:
        return definition_diff(current.bpmn_xml, bpmn_xml, old_dmns=list(current.dmn_xml),
                               new_dmns=translated_tables(dmn_xmls))
    except (etree.XMLSyntaxError, FeelError):
        return None  # the draft does not parse; validation says why


def version_diff(current: ProcessDefinition, target: ProcessDefinition) -> DefinitionDiff:
    """What going back to ``target`` changes against the deployed version."""
    return definition_diff(current.bpmn_xml, target.bpmn_xml, old_dmns=list(current.dmn_xml),
                           new_dmns=list(target.dmn_xml))


@dataclass
class MigrationRow:
    case: Case
    check: MigrationCheck


def migration_rows(key: str, county: Unit) -> tuple[ProcessDefinition | None,
                                                     list[MigrationRow]]:
    """Running cases of the county on older versions of the procedure, each with whether it
    can move to the deployed version (and why not)."""
    current = definition_current_or_none(key, county)
    if current is None:
        return None, []
    cases = (Case.objects.filter(procedure=key, status=CaseStatus.RUNNING,
                                 village_path__startswith=county.path)
             .exclude(definition=current).select_related("definition", "village")
             .prefetch_related(Prefetch("tasks", to_attr="open_tasks",
                                        queryset=HumanTask.objects.filter(
                                            status=TaskStatus.OPEN)))
             .order_by("created_at"))
    return current, [MigrationRow(case, case_migrate_check(case=case, to_definition=current))
                     for case in cases]


def migratable_case_or_404(key: str, county: Unit, pk: int) -> Case:
    case = (Case.objects.filter(procedure=key, village_path__startswith=county.path, pk=pk)
            .select_related("definition", "village").first())
    if case is None:
        raise Http404("没有这个案件")
    return case


def county_villages(county: Unit) -> QuerySet[Unit]:
    return Unit.objects.filter(path__startswith=county.path, level="village").order_by("path")


def camunda_mapping_rows(county: Unit):
    from engine.camunda_mapping import mapping_rows

    return mapping_rows(county)


def role_choices() -> list[tuple[str, str]]:
    """(code, name) of every role a Camunda group may map to (not the applicant)."""
    return list(Role.objects.exclude(code="applicant").order_by("code")
                .values_list("code", "name"))
