"""The supervisors' modeler: open a procedure's diagram and tables in bpmn-js / dmn-js, save
drafts, check them, try them on a sample case, deploy with a reason, roll back, and move
running cases to the new version.

Every view starts with ``county_supervised_or_403``: only holders of the ``supervise_unit``
permission on a county get past it. The editor page talks JSON (the exported XML); deploy,
rollback and migration are ordinary pages with forms.
"""
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from lxml import etree

from engine.camunda import is_camunda_file
from engine.dryrun import dry_run
from engine.feel import FeelError
from engine.layout import bpmn_with_layout
from engine.library import definition_processes, resolve
from engine.services import definition_draft_discard, definition_draft_save
from engine.validation import Problem
from portal.forms_actions import ids_only
from portal.selectors import county_supervised_or_403

from . import selectors
from .forms import (
    CamundaMappingForm,
    CamundaUploadForm,
    DefinitionPayloadForm,
    DryRunForm,
    LibraryUploadForm,
    MigrateForm,
    ReasonForm,
)
from .services import (
    DeployRefused,
    camunda_mapping_save,
    camunda_translate,
    cases_migrate,
    draft_deploy,
    library_deploy,
    version_rollback,
)


def _problem_json(problem: Problem) -> dict:
    return {"code": problem.code, "element_id": problem.element_id,
            "element_name": problem.element_name, "message": problem.message,
            "severity": problem.severity, "detail": problem.detail}


def _form_error(form) -> JsonResponse:
    errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
    return JsonResponse({"error": "；".join(errors)}, status=400)


@login_required
def procedure_index(request):
    """The procedures a supervisor can change, with their version and draft."""
    county = county_supervised_or_403(request.user)
    return render(request, "portal/modeler/index.html", {
        "county": county, "rows": selectors.procedure_rows(county),
        "library": selectors.library_rows(county)})


@login_required
def library_upload(request):
    """Deploy a process of the county's library (a new one, or a new version of one)."""
    county = county_supervised_or_403(request.user)
    form = LibraryUploadForm(request.POST or None, request.FILES or None,
                             initial={"key": request.GET.get("key", ""),
                                      "name": request.GET.get("name", "")})
    problems = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            definition, created = library_deploy(
                county=county, key=data["key"], name=data["name"],
                bpmn_xml=data["bpmn_file"], user=request.user, reason=data["reason"])
        except DeployRefused as exc:
            problems = exc.problems
        except ValidationError as exc:
            form.add_error("key", exc)
        else:
            messages.success(request, f"已部署流程库流程“{definition.name}”第 {definition.version} 版"
                             if created else "内容与当前版本相同，未生成新版本")
            return redirect("portal:modeler:library_diagram", pk=definition.pk)
    return render(request, "portal/modeler/library_upload.html", {
        "county": county, "form": form, "problems": problems})


@login_required
def library_diagram(request, pk):
    """One deployed version of a process the county's diagrams may call, read-only, with
    the versions of what it calls in turn."""
    county = county_supervised_or_403(request.user)
    definition = selectors.library_definition_or_404(pk, county)
    calls = [{**call, "url": reverse("portal:modeler:library_diagram",
                                     args=[call["definition"]])}
             for call in definition.calls]
    return render(request, "portal/modeler/library_diagram.html", {
        "county": county, "definition": definition, "calls": calls,
        "config": {"bpmn": bpmn_with_layout(definition.bpmn_xml)},
        "callers": selectors.library_callers(definition, county),
        "is_procedure": selectors.is_procedure(definition.key),
        "processes": definition_processes(definition)})


@login_required
def editor(request, key):
    """The modeler for one procedure: its draft, or the deployed (or a chosen) version."""
    county = county_supervised_or_403(request.user)
    procedure = selectors.procedure_or_404(key)
    version = request.GET.get("version")
    chosen = (selectors.version_or_404(key, ids_only([version])[0], county)
              if ids_only([version or ""]) else None)
    content = selectors.editor_content(procedure, county, chosen)
    names = selectors.decision_names(content.dmn_xmls)
    config = {
        "bpmn": content.bpmn_xml,
        "dmns": [{"name": name, "xml": xml} for name, xml in zip(names, content.dmn_xmls,
                                                                  strict=True)],
        "callable": selectors.library_rows(county, exclude_key=key),
        "urls": {
            "save": reverse("portal:modeler:draft_save", args=[key]),
            "validate": reverse("portal:modeler:validate", args=[key]),
            "dryrun": reverse("portal:modeler:dry_run", args=[key]),
            "deploy": reverse("portal:modeler:deploy", args=[key]),
            "layout": reverse("portal:modeler:layout", args=[key]),
        },
    }
    return render(request, "portal/modeler/editor.html", {
        "county": county, "procedure": procedure, "content": content, "config": config,
        "current": selectors.definition_current_or_none(key, county),
        "villages": selectors.county_villages(county),
        "dmn_names": names,
    })


@login_required
@require_POST
def draft_save(request, key):
    """Keep the editor's content as the county's draft; report what FEEL cannot translate."""
    county = county_supervised_or_403(request.user)
    procedure = selectors.procedure_or_404(key)
    form, _ = DefinitionPayloadForm.from_body(request.body)
    if not form.is_valid():
        return _form_error(form)
    data = form.cleaned_data
    draft = definition_draft_save(key=procedure.key, county=county, bpmn_xml=data["bpmn_xml"],
                                  dmn_xmls=data["dmn_xmls"], user=request.user)
    problems = selectors.feel_problems(data["dmn_xmls"])
    return JsonResponse({"saved": True, "updated_at": draft.updated_at.isoformat(),
                         "problems": [_problem_json(p) for p in problems]})


@login_required
@require_POST
def draft_discard(request, key):
    county = county_supervised_or_403(request.user)
    procedure = selectors.procedure_or_404(key)
    definition_draft_discard(key=procedure.key, county=county)
    messages.success(request, "草稿已放弃，已重新打开当前部署的版本")
    return redirect("portal:modeler:editor", key=key)


@login_required
@require_POST
def validate(request, key):
    """Check the editor's content; problems in Chinese, errors first."""
    county = county_supervised_or_403(request.user)
    procedure = selectors.procedure_or_404(key)
    form, _ = DefinitionPayloadForm.from_body(request.body)
    if not form.is_valid():
        return _form_error(form)
    problems = selectors.draft_problems(procedure, bpmn_xml=form.cleaned_data["bpmn_xml"],
                                        dmn_xmls=form.cleaned_data["dmn_xmls"], county=county)
    return JsonResponse({"problems": [_problem_json(p) for p in problems],
                         "errors": sum(p.is_error for p in problems)})


@login_required
@require_POST
def layout(request, key):
    """A file the supervisor imports (e.g. from Camunda Modeler), with a drawing added when
    it has none, so that bpmn-js can show it."""
    county_supervised_or_403(request.user)
    selectors.procedure_or_404(key)
    form, _ = DefinitionPayloadForm.from_body(request.body)
    if not form.is_valid():
        return _form_error(form)
    try:
        bpmn_xml = bpmn_with_layout(form.cleaned_data["bpmn_xml"])
    except (etree.XMLSyntaxError, FeelError) as exc:
        return JsonResponse({"error": f"文件不是合法的 BPMN XML：{exc}"}, status=400)
    return JsonResponse({"bpmn_xml": bpmn_xml,
                         "camunda": is_camunda_file(form.cleaned_data["bpmn_xml"])})


@login_required
@require_POST
def dry_run_view(request, key):
    """Run the editor's content on a sample case, in memory: the path and who receives
    each task."""
    county = county_supervised_or_403(request.user)
    procedure = selectors.procedure_or_404(key)
    form, _ = DryRunForm.from_body(request.body, villages=selectors.county_villages(county))
    if not form.is_valid():
        return _form_error(form)
    data = form.cleaned_data
    result = dry_run(bpmn_xml=data["bpmn_xml"], dmn_xmls=data["dmn_xmls"], data=data["data"],
                     village=data["village"], decisions=data["decisions"],
                     library=resolve(data["bpmn_xml"], county=county, exclude_key=key),
                     form_lookup=procedure.task_form_class)
    return JsonResponse({
        "finished": result.finished, "stopped_at": result.stopped_at,
        "stop_reason": result.stop_reason, "stop_detail": result.stop_detail,
        "problems": [_problem_json(p) for p in result.problems],
        "steps": [{"element_id": s.element_id, "name": s.name, "type_name": s.type_name,
                   "role": s.role, "receiver": s.receiver, "users": s.users,
                   "data": s.data} for s in result.steps],
    }, json_dumps_params={"ensure_ascii": False, "default": str})


@login_required
def deploy(request, key):
    """The county's draft against the deployed version: changes, problems, and the reason."""
    county = county_supervised_or_403(request.user)
    procedure = selectors.procedure_or_404(key)
    draft = selectors.draft_of(key, county)
    if draft is None:
        messages.error(request, "没有待部署的草稿：请先在流程编辑器中保存草稿")
        return redirect("portal:modeler:editor", key=key)
    current = selectors.definition_current_or_none(key, county)
    problems = selectors.draft_problems(procedure, bpmn_xml=draft.bpmn_xml,
                                        dmn_xmls=list(draft.dmn_xml), county=county)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            definition, created = draft_deploy(
                procedure=procedure, county=county, bpmn_xml=draft.bpmn_xml,
                dmn_xmls=list(draft.dmn_xml), user=request.user,
                reason=form.cleaned_data["reason"])
        except DeployRefused as exc:
            problems = exc.problems
        except ValidationError as exc:
            form.add_error("reason", exc)
        else:
            if created:
                messages.success(request, f"已部署第 {definition.version} 版：新申请将按新版本"
                                          f"办理，办理中的案件仍按原版本，可在“案件迁移”中迁移")
            else:
                messages.info(request,
                              f"草稿与当前第 {definition.version} 版内容相同，未产生新版本")
            return redirect("portal:modeler:versions", key=key)
    return render(request, "portal/modeler/deploy.html", {
        "county": county, "procedure": procedure, "draft": draft, "current": current,
        "diff": selectors.draft_diff(current, bpmn_xml=draft.bpmn_xml,
                                     dmn_xmls=list(draft.dmn_xml)),
        "problems": problems, "errors": [p for p in problems if p.is_error],
        "stale": current is not None and draft.based_on_id != current.pk, "form": form,
        "calls": selectors.call_changes(current, resolve(draft.bpmn_xml, county=county,
                                                         exclude_key=key)),
    })


@login_required
def versions(request, key):
    """Full version history: who deployed each version, when and why."""
    county = county_supervised_or_403(request.user)
    procedure = selectors.procedure_or_404(key)
    history = list(selectors.versions_of(key, county))
    return render(request, "portal/modeler/versions.html", {
        "county": county, "procedure": procedure, "versions": history,
        "current": selectors.definition_current_or_none(key, county)})


@login_required
def rollback(request, key, version):
    """Deploy an earlier version's content again, as a new version, with a reason."""
    county = county_supervised_or_403(request.user)
    procedure = selectors.procedure_or_404(key)
    target = selectors.version_or_404(key, version, county)
    current = selectors.definition_current_or_none(key, county)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            definition, created = version_rollback(procedure=procedure, version=target,
                                                   user=request.user, county=county,
                                                   reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error("reason", exc)
        else:
            if created:
                messages.success(request, f"已将第 {target.version} 版的内容部署为第 "
                                          f"{definition.version} 版")
            else:
                messages.info(request, f"第 {target.version} 版与当前版本内容相同，未产生新版本")
            return redirect("portal:modeler:versions", key=key)
    diff = selectors.version_diff(current, target)
    return render(request, "portal/modeler/rollback.html", {
        "county": county, "procedure": procedure, "target": target, "current": current,
        "diff": diff, "form": form})


@login_required
def migrate(request, key):
    """Running cases of the county on older versions: move the selected ones to the deployed
    version; each gets its own result (migrated, or refused with the reason)."""
    county = county_supervised_or_403(request.user)
    procedure = selectors.procedure_or_404(key)
    current, rows = selectors.migration_rows(key, county)
    results = []
    form = MigrateForm(request.POST or None, case_ids=[row.case.pk for row in rows])
    if request.method == "POST" and form.is_valid():
        chosen = {int(pk) for pk in form.cleaned_data["cases"]}
        results = cases_migrate(cases=[row.case for row in rows if row.case.pk in chosen],
                                to_definition=current, actor=request.user)
        current, rows = selectors.migration_rows(key, county)
    return render(request, "portal/modeler/migrate.html", {
        "county": county, "procedure": procedure, "current": current, "rows": rows,
        "results": results, "form": form})


@login_required
def camunda_import_view(request, key):
    """Translate a Camunda Modeler file (engine.camunda): what was translated (before →
    after) and what could not be; "保存为草稿" makes the translation the county's draft,
    which the editor then opens for validation and deploy."""
    county = county_supervised_or_403(request.user)
    procedure = selectors.procedure_or_404(key)
    form = CamundaUploadForm(request.POST or None, request.FILES or None)
    result = sources = problems = None
    if request.method == "POST" and form.is_valid():
        sources = {"bpmn": form.cleaned_data["bpmn"], "dmns": form.cleaned_data["dmns"]}
        try:
            result = camunda_translate(county=county, bpmn_xml=sources["bpmn"],
                                       dmn_xmls=sources["dmns"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if request.POST.get("action") == "save":
                definition_draft_save(key=procedure.key, county=county,
                                      bpmn_xml=bpmn_with_layout(result.bpmn_xml),
                                      dmn_xmls=result.dmn_xmls, user=request.user)
                messages.success(request, "已把翻译结果保存为草稿：请校验、试运行后部署")
                return redirect("portal:modeler:editor", key=key)
            problems = selectors.draft_problems(procedure, bpmn_xml=result.bpmn_xml,
                                                dmn_xmls=result.dmn_xmls)
    return render(request, "portal/modeler/camunda_import.html", {
        "county": county, "procedure": procedure, "form": form, "result": result,
        "sources": sources, "problems": problems,
        "sources_json": json.dumps(sources["dmns"] if sources else [], ensure_ascii=False),
        "errors": [p for p in problems or () if p.is_error],
        "mapping_url": reverse("portal:modeler:camunda_mapping"),
    })


@login_required
def camunda_mapping(request):
    """The county's Camunda group → role and user → user name mapping."""
    county = county_supervised_or_403(request.user)
    rows = selectors.camunda_mapping_rows(county)
    form = CamundaMappingForm(request.POST or None, rows=rows, roles=selectors.role_choices())
    if request.method == "POST" and form.is_valid():
        try:
            changed = camunda_mapping_save(county=county, rows=form.mapping(),
                                           user=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"已保存（{changed} 项有变化）")
            back = request.POST.get("next", "")
            return redirect(back if back.startswith("/") and not back.startswith("//")
                            else "portal:modeler:camunda_mapping")
    return render(request, "portal/modeler/camunda_mapping.html", {
        "county": county, "form": form})
