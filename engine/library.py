"""The county's process library (流程库): call activities that call a process of another
deployed definition.

A ``callActivity`` whose ``calledElement`` names a process that is not in its own file is
resolved, by process id, against the definitions deployed for the county (each key's current
version: the county's own latest, else the product's). Every process of such a file can be
called, executable or not (``isExecutable="false"`` is a modelling flag; SpiffWorkflow runs
the process all the same, and so does the product).

Versioning rule (调用版本固定): deploying the caller records, in ``ProcessDefinition.calls``,
which version of each called definition it was resolved to, and the caller's stored spec
(``spec_json``) carries the called process's spec parsed from that version. So a new version
of the called process changes neither running cases nor new cases of the deployed caller;
deploying the caller again (even with an unchanged diagram) picks up the called process's
newest version. A called definition's own calls keep the versions *it* recorded.

Nothing here imports SpiffWorkflow; ``engine.runtime.parse`` adds the library files to the
parser.
"""
from dataclasses import dataclass, field

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_NS = {"bpmn": BPMN_NS}


@dataclass(frozen=True)
class LibraryFile:
    """The diagram and tables of a called definition, as the parser is to read them."""

    definition_pk: int
    bpmn_xml: str
    dmn_xmls: tuple[str, ...]
    label: str = ""  # "入户核查（流程库）第 2 版"
    called: tuple[str, ...] = ()  # ids of its processes that are called


@dataclass(frozen=True)
class CallableProcess:
    """A process the county's diagrams may call."""

    process_id: str
    name: str
    key: str
    version: int
    definition_pk: int
    executable: bool
    definition_name: str


@dataclass
class Resolution:
    """What a diagram's call activities resolve to: the files to parse with it, the
    versions to record (``ProcessDefinition.calls``), the role codes of the called
    processes' lanes, and the problems (Chinese, naming the call activity)."""

    files: list[LibraryFile] = field(default_factory=list)
    calls: list[dict] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    problems: list = field(default_factory=list)

    def task_form_problems(self, form_exists) -> list:
        """User tasks of the called processes that the caller's procedure has no form for
        (their tasks open on the caller's task page): each must use a generic form
        (``form`` = ``generic:decision`` / ``generic:opinion``) or one of the caller's."""
        from .validation import GENERIC_FORMS, Problem, spiff_properties

        if form_exists is None:
            return []
        problems = []
        for library_file in self.files:
            root = _root(library_file.bpmn_xml)
            for process in root.findall(f"{{{BPMN_NS}}}process"):
                if process.get("id") not in library_file.called:
                    continue
                for task in process.iterfind(".//bpmn:userTask", _NS):
                    form = spiff_properties(task).get("form", "")
                    if form in GENERIC_FORMS or form_exists(task.get("id") or ""):
                        continue
                    problems.append(Problem(
                        "call_task_form", task.get("id") or "",
                        (task.get("name") or "").strip(),
                        f"被调用的流程 {process.get('id')}（{library_file.label}）的用户任务"
                        f"{_label(task)}没有本事项的表单：请在被调用的流程中为它选择通用表单"
                        f"（通用审批表单或通用意见表单）并重新部署，再部署本流程"))
        return problems

    def pins(self) -> tuple:
        """A hashable summary (for caches): the definitions parsed with the diagram."""
        return tuple(f.definition_pk for f in self.files)


def _root(xml: str | bytes):
    from .feel import safe_xml

    return safe_xml(xml)


def _label(element) -> str:
    name = (element.get("name") or "").strip()
    ident = element.get("id") or ""
    return f"“{name}”（{ident}）" if name else f"“{ident}”"


def process_ids(root) -> list[str]:
    return [p.get("id") for p in root.findall(f"{{{BPMN_NS}}}process") if p.get("id")]


def external_calls(root) -> list:
    """Call activities whose ``calledElement`` is not a process of this file."""
    own = set(process_ids(root))
    return [element for element in root.iterfind(".//bpmn:callActivity", _NS)
            if (element.get("calledElement") or "").strip()
            and element.get("calledElement").strip() not in own]


def _current_definitions(county, exclude_key: str | None):
    from .models import ProcessDefinition

    rows = (ProcessDefinition.objects.filter(county__isnull=True) if county is None else
            ProcessDefinition.objects.filter(county__isnull=True)
            | ProcessDefinition.objects.filter(county=county))
    if exclude_key:
        rows = rows.exclude(key=exclude_key)
    current: dict[str, tuple] = {}
    for pk, key, county_id in rows.order_by("key", "-version").values_list(
            "pk", "key", "county_id"):
        best = current.get(key)
        # The county's own latest version wins over the product's.
        if best is None or (best[1] is None and county_id is not None):
            current[key] = (pk, county_id)
    return list(ProcessDefinition.objects.filter(pk__in=[pk for pk, _ in current.values()])
                .only("pk", "key", "name", "version", "county_id", "bpmn_xml")
                .order_by("key"))


def callable_processes(county, *, exclude_key: str | None = None) -> list[CallableProcess]:
    """Every process of the definitions current for ``county`` (except ``exclude_key``'s)."""
    result = []
    for definition in _current_definitions(county, exclude_key):
        result += definition_processes(definition)
    return sorted(result, key=lambda c: (c.key, c.process_id))


def definition_processes(definition) -> list[CallableProcess]:
    """The processes of one deployed version (each may be called)."""
    try:
        root = _root(definition.bpmn_xml)
    except Exception:  # noqa: BLE001 - a deployed diagram parsed once; never here
        return []
    return [CallableProcess(
        process_id=process.get("id"), name=(process.get("name") or "").strip(),
        key=definition.key, version=definition.version, definition_pk=definition.pk,
        executable=process.get("isExecutable") != "false", definition_name=definition.name)
        for process in root.findall(f"{{{BPMN_NS}}}process") if process.get("id")]


def _library_file(definition, called) -> LibraryFile:
    return LibraryFile(definition.pk, definition.bpmn_xml, tuple(definition.dmn_xml),
                       f"{definition.name} 第 {definition.version} 版", tuple(sorted(called)))


def resolve(bpmn_xml: str | bytes, *, county, exclude_key: str | None = None) -> Resolution:
    """Resolve the diagram's call activities to other files (see the module docstring)."""
    from .models import ProcessDefinition
    from .validation import Problem

    resolution = Resolution()
    try:
        root = _root(bpmn_xml)
    except Exception:  # noqa: BLE001 - not XML: validation reports it
        return resolution
    calls = external_calls(root)
    if not calls:
        return resolution
    available: dict[str, CallableProcess] = {}
    ambiguous: dict[str, list[CallableProcess]] = {}
    for process in callable_processes(county, exclude_key=exclude_key):
        if process.process_id in available:
            ambiguous.setdefault(process.process_id, [available[process.process_id]]).append(
                process)
        else:
            available[process.process_id] = process
    wanted: list[int] = []
    for element in calls:
        called = element.get("calledElement").strip()
        target = available.get(called)
        if called in ambiguous:
            keys = "、".join(f"{p.definition_name}（{p.key} 第 {p.version} 版）"
                            for p in ambiguous[called])
            resolution.problems.append(Problem(
                "call_ambiguous", element.get("id") or "", (element.get("name") or "").strip(),
                f"调用活动{_label(element)}调用的流程 {called} 在流程库中不止一个：{keys}；"
                f"请把被调用的流程改为唯一的 id"))
            continue
        if target is None:
            names = "、".join(f"{p.process_id}（{p.name or p.definition_name}）"
                             for p in available.values()) or "无"
            resolution.problems.append(Problem(
                "call_unresolved", element.get("id") or "", (element.get("name") or "").strip(),
                f"调用活动{_label(element)}调用的流程 {called} 不在本流程图中，也不在本县已部署的"
                f"流程库中：请先部署被调用的流程，或改为已部署流程的 id（可调用的流程：{names}）"))
            continue
        record = {"process_id": called, "key": target.key, "version": target.version,
                  "definition": target.definition_pk, "element_id": element.get("id") or ""}
        resolution.calls.append(record)
        if target.definition_pk not in wanted:
            wanted.append(target.definition_pk)
    # The called definitions and, recursively, what they recorded for their own calls.
    seen: set[int] = set()
    roles: set[str] = set()
    definitions = []
    while wanted:
        pk = wanted.pop(0)
        if pk in seen:
            continue
        seen.add(pk)
        definition = ProcessDefinition.objects.get(pk=pk)
        definitions.append(definition)
        roles.update(definition.roles or [])
        wanted += [call["definition"] for call in (definition.calls or [])]
    # Every process some call activity (the caller's or a called file's) names.
    called = _called_ids(root)
    for definition in definitions:
        called |= _called_ids(_root(definition.bpmn_xml))
    resolution.files = [_library_file(d, called & set(process_ids(_root(d.bpmn_xml))))
                        for d in definitions]
    resolution.roles = sorted(roles)
    return resolution


def _called_ids(root) -> set[str]:
    return {(e.get("calledElement") or "").strip()
            for e in root.iterfind(".//bpmn:callActivity", _NS)} - {""}


def parser_copies(own_bpmn: bytes, files) -> list[bytes]:
    """The library files as the parser is to read them beside ``own_bpmn``: without their
    collaborations (only processes are called) and without processes whose id is already
    read (two files made with bpmn.io both have a ``Process_1``; the caller's own wins)."""
    seen = set(process_ids(_root(own_bpmn)))
    copies = []
    for library_file in files:
        root = _root(library_file.bpmn_xml)
        for child in list(root):
            local = etree.QName(child).localname if isinstance(child.tag, str) else ""
            if local == "collaboration" or (local == "process" and child.get("id") in seen):
                root.remove(child)
        for process in root.findall(f"{{{BPMN_NS}}}process"):
            process.set("isExecutable", "true")  # only what is called is parsed
        seen.update(process_ids(root))
        copies.append(etree.tostring(root))
    return copies


def mark_called_executable(bpmn_xml: bytes) -> bytes:
    """The caller's own file as the parser is to read it: the processes its call
    activities call marked executable (see the module docstring)."""
    root = _root(bpmn_xml)
    called = {(e.get("calledElement") or "").strip()
              for e in root.iterfind(".//bpmn:callActivity", _NS)}
    changed = False
    for process in root.findall(f"{{{BPMN_NS}}}process"):
        if process.get("id") in called and process.get("isExecutable") == "false":
            process.set("isExecutable", "true")
            changed = True
    return etree.tostring(root) if changed else bpmn_xml
