"""Pages of the portal. Each view: an access helper (404 for outsiders, 403 for the wrong
role), at most one service call, then render or redirect. Every state change is a POST."""
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from engine.actions import previous_form_data, withdrawable
from engine.audit import audit_verify_case
from engine.clocks import tasks_attach_clocks
from engine.models import CaseStatus, TaskStatus, Unit, UnitLevel
from engine.search import search_normalise
from engine.signing import signing_status
from engine.selectors import (
    attachment_get_for_user,
    case_get_for_user,
    document_get_for_user,
    is_staff_member,
    task_get_for_user,
)
from engine.services import (
    ActionRefused,
    RuntimeFailure,
    TaskAlreadyHandled,
    quota_set,
    task_claim,
    task_release,
    unit_settings_update,
)
from engine.visibility import case_viewer
from workflows.registry import procedure_list
from workflows.services import application_form_uploads, application_submit, task_submit

from .errors import engine_failure
from .filters import TaskFilter
from .forms import CountySettingsForm, QuotaForm, RegistrationForm
from .paging import page_of, page_rows
from .selectors import (
    applicant_tasks,
    application_initial,
    case_page,
    cases_for_staff,
    cases_of_applicant,
    county_quota_rows,
    county_supervised_or_403,
    filing_rights_for_user,
    inbox_counts,
    inbox_for_user,
    procedure_of_case,
    procedure_or_404,
    staff_required,
    step_before,
    task_access,
    task_action_context,
    task_form_class_for,
    tasks_attach_departments,
)
from .services import applicant_register

# What an applicant or clerk sees when a diagram fails while running: never the expression.


def _landing(user) -> str:
    return "portal:inbox" if is_staff_member(user) else "portal:my"


@login_required
def home(request):
    return redirect(_landing(request.user))


def register(request):
    """注册: applicants open their own account (username = phone) and are logged in."""
    if request.user.is_authenticated:
        return redirect("portal:home")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = applicant_register(full_name=data["full_name"], id_number=data["id_number"],
                                      phone=data["phone"], password=data["password1"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "注册成功，您现在可以在线提交申请。")
            return redirect("portal:my")
    return render(request, "portal/register.html", {"form": form})


# ---------------------------------------------------------------------------------------------
# Applications


@login_required
def procedure_index(request):
    rights = filing_rights_for_user(request.user)
    procedures = [p for p in procedure_list() if p.application_form is not None]
    return render(request, "portal/procedure_list.html",
                  {"procedures": procedures, "on_behalf": rights.on_behalf})


@login_required
def apply(request, procedure_key):
    """File an application: the applicant for themselves, village staff on behalf
    (村委会代办) for villages of their jurisdiction only."""
    rights = filing_rights_for_user(request.user)
    procedure = procedure_or_404(procedure_key)
    if procedure.application_form is None:
        raise Http404("该事项不接受在线申请")
    form_kwargs = {} if rights.villages is None else {"villages": rights.villages}
    if request.method == "POST":
        form = procedure.application_form(request.POST, request.FILES, **form_kwargs)
        if form.is_valid():
            try:
                case = application_submit(procedure=procedure, cleaned_data=form.cleaned_data,
                                          user=request.user, on_behalf=rights.on_behalf,
                                          uploads=application_form_uploads(form))
            except ActionRefused as exc:
                form.add_error(None, str(exc))
            except (RuntimeFailure, LookupError) as exc:
                # The diagram failed (e.g. a supervisor's edit): the applicant is not shown
                # the diagram's expression, the supervisors are told; the form stays filled.
                village = form.cleaned_data["village"]
                form.add_error(None, engine_failure(
                    user=request.user, county=village.county, where=f"{procedure.name}申请",
                    error=str(exc)))
            else:
                messages.success(request, f"申请已提交（案件编号 {case.pk}），请留意办理进度。")
                return redirect("portal:case", pk=case.pk)
    else:
        form = procedure.application_form(
            initial=application_initial(request.user, rights), **form_kwargs)
    return render(request, "portal/apply.html",
                  {"procedure": procedure, "form": form, "on_behalf": rights.on_behalf})


# ---------------------------------------------------------------------------------------------
# Inbox and tasks


@login_required
def inbox(request):
    staff_required(request.user)
    tasks = inbox_for_user(request.user)
    task_filter = TaskFilter(request.GET, queryset=tasks, request=request)
    page = page_of(task_filter.qs, request)
    now = timezone.now()
    # Case clocks (one query) and the departments' names (one query).
    page.object_list = tasks_attach_departments(tasks_attach_clocks(page_rows(page), now))
    tab = "overdue" if request.GET.get("overdue") == "yes" else \
        {"mine": "mine", "free": "free"}.get(request.GET.get("claimed"), "all")
    return render(request, "portal/inbox.html", {
        "filter": task_filter, "page": page, "now": now, "tab": tab,
        "counts": inbox_counts(request.user, tasks, now),
        "next_sort": "-due" if request.GET.get("sort", "due") == "due" else "due",
    })


@login_required
def task_detail(request, pk):
    """A task with its case; its form when the user may act on it. POST submits the form."""
    task = task_get_for_user(request.user, pk)
    access = task_access(request.user, task)
    case = task.case
    procedure = procedure_of_case(case)
    form = None
    form_class = None
    if request.method == "POST" or access.can_act:
        try:
            form_class = task_form_class_for(procedure, task)
        except LookupError as exc:  # a deployed step without a form (validation refuses it now)
            messages.error(request, engine_failure(
                user=request.user, county=case.village.county,
                where=f"{case.title}·{task.title}", error=str(exc)))
    if request.method == "POST":
        if not access.allowed:
            raise PermissionDenied("您没有办理该任务的权限")
        if task.status != TaskStatus.OPEN:
            messages.error(request, "该任务已被办理，请刷新待办列表")
            return redirect(_landing(request.user))
        if form_class is None:
            return redirect("portal:task", pk=task.pk)
        form = form_class(request.POST, request.FILES, case_data={**case.data, **task.task_data})
        if form.is_valid():
            try:
                task_submit(task=task, form=form, user=request.user)
            except TaskAlreadyHandled as exc:
                messages.error(request, str(exc))
                return redirect(_landing(request.user))
            except ActionRefused as exc:
                # Nothing was saved; the filled form comes back with the reason.
                form.add_error(None, str(exc))
            except RuntimeFailure as exc:
                form.add_error(None, engine_failure(
                    user=request.user, county=case.village.county,
                    where=f"{case.title}·{task.title}", error=str(exc)))
            else:
                messages.success(request, f"已办理“{task.title}”（{case.applicant_name}）")
                return redirect(_landing(request.user))
    elif access.can_act and form_class is not None:
        form = form_class(case_data={**case.data, **task.task_data},
                          initial=previous_form_data(task))
    reveal = access.can_act or (case.applicant_id is not None
                                and case.applicant_id == request.user.pk)
    page = case_page(request.user, case, reveal=reveal)
    return render(request, "portal/task.html", {
        **page,
        "task": task, "access": access, "form": form, "now": timezone.now(),
        "step_before": step_before(task, procedure, visibility=page["visibility"])
        if access.can_act else None,
        "task_actions": task_action_context(request.user, task)
        if access.can_act and task.status == TaskStatus.OPEN else {},
    })


@login_required
@require_POST
def task_claim_view(request, pk):
    task = task_get_for_user(request.user, pk)
    try:
        task_claim(user=request.user, task_pk=task.pk)
    except TaskAlreadyHandled as exc:
        messages.error(request, str(exc))
        return redirect("portal:inbox")
    messages.success(request, f"已认领“{task.title}”，其他同事将不再看到该任务")
    return redirect("portal:task", pk=task.pk)


@login_required
@require_POST
def task_release_view(request, pk):
    task = task_get_for_user(request.user, pk)
    try:
        task_release(user=request.user, task_pk=task.pk)
    except TaskAlreadyHandled as exc:
        messages.error(request, str(exc))
        return redirect("portal:inbox")
    messages.success(request, f"已释放“{task.title}”，该任务退回待认领")
    return redirect("portal:task", pk=task.pk)


# ---------------------------------------------------------------------------------------------
# Cases and documents


@login_required
def case_list(request):
    staff_required(request.user)
    query = search_normalise(request.GET.get("q"))
    page = page_of(cases_for_staff(request.user, query=query), request)
    return render(request, "portal/case_list.html", {"page": page, "q": query,
                                                     "register_procedures": procedure_list()})


@login_required
def case_detail(request, pk):
    case = case_get_for_user(request.user, pk)
    procedure = procedure_of_case(case)
    may_withdraw = (procedure is not None and procedure.may_withdraw is not None
                    and case.status == CaseStatus.RUNNING
                    and procedure.may_withdraw(request.user, case))
    return render(request, "portal/case_detail.html",
                  {**case_page(request.user, case), "now": timezone.now(),
                   "audit_check": audit_verify_case(case),
                   "may_withdraw": may_withdraw,
                   "may_take_back": withdrawable(request.user, case),
                   "may_supervise": request.user.has_perm("engine.supervise_unit",
                                                          case.village.county)})


@login_required
@require_POST
def case_withdraw(request, pk):
    """The applicant (or the village staff who filed) withdraws an application."""
    case = case_get_for_user(request.user, pk)
    procedure = procedure_of_case(case)
    if procedure is None or procedure.withdraw is None:
        raise PermissionDenied("该事项不能在线撤回")
    try:
        procedure.withdraw(case_pk=case.pk, user=request.user,
                           reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "申请已撤回")
    return redirect("portal:case", pk=case.pk)


@login_required
def my_applications(request):
    """我的申请: the applicant's cases, their documents, and steps waiting for them."""
    return render(request, "portal/my.html", {
        "cases": cases_of_applicant(request.user),
        "tasks": applicant_tasks(request.user),
    })


def _file_response(content, *, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(bytes(content), content_type=content_type)
    # RFC 5987 (filename*=utf-8''...) for the Chinese names.
    response["Content-Disposition"] = content_disposition_header(True, filename)
    # Personal data: keep it out of shared caches.
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def document_download(request, uuid):
    document = document_get_for_user(request.user, uuid)
    if document.pdf is None:
        raise Http404("文书尚未生成")
    return _file_response(document.pdf, content_type="application/pdf",
                          filename=f"{document.title}.pdf")


@login_required
def attachment_download(request, uuid):
    """An uploaded file, always as a download (never rendered inline in our origin)."""
    attachment = attachment_get_for_user(request.user, uuid)
    if not case_viewer(request.user, attachment.case).sees_attachment(attachment):
        raise PermissionDenied("该材料仅审批人员和申请人本人可以查看")
    return _file_response(attachment.content, content_type=attachment.content_type,
                          filename=attachment.name)


# ---------------------------------------------------------------------------------------------
# County settings (calendar, 低保 standard, quotas)


@login_required
def county_settings(request):
    """The county's holiday calendar and 低保 standard, and each township's yearly quotas."""
    county = county_supervised_or_403(request.user)
    year = timezone.localdate().year
    current = county.settings
    if request.method == "POST":
        form = CountySettingsForm(request.POST)
        if form.is_valid():
            unit_settings_update(unit=county, actor=request.user, changes={
                "holidays": form.cleaned_data["holidays"],
                "workdays": form.cleaned_data["workdays"],
                "dibao_monthly": float(form.cleaned_data["dibao_monthly"]),
                "urgent_relief_hours": form.cleaned_data["urgent_relief_hours"] or 24,
                "notice_days": form.cleaned_data["notice_days"] or current.get("notice_days", 7),
                "notice_mask_name": not form.cleaned_data["notice_full_name"],
            })
            messages.success(request, "本县设置已保存，新产生的办理时限按新日历计算")
            return redirect("portal:county_settings")
    else:
        form = CountySettingsForm(initial={
            "holidays": "\n".join(current.get("holidays", [])),
            "workdays": "\n".join(current.get("workdays", [])),
            "dibao_monthly": current.get("dibao_monthly"),
            "urgent_relief_hours": current.get("urgent_relief_hours", 24),
            "notice_days": current.get("notice_days", 7),
            "notice_full_name": not current.get("notice_mask_name", True),
        })
    return render(request, "portal/county_settings.html", {
        "county": county, "form": form, "year": year,
        "quota_rows": county_quota_rows(county, procedure_list(), year),
        "signing_rows": signing_status(Unit.objects.filter(path__startswith=county.path)
                                       .exclude(doc_prefix="").order_by("path")),
        "signing_auto": settings.SIGNING_AUTO_CREATE,
    })


@login_required
@require_POST
def county_quota_set(request, key, township_pk):
    """Set one township's places for this year."""
    county = county_supervised_or_403(request.user)
    township = get_object_or_404(Unit, pk=township_pk, parent=county, level=UnitLevel.TOWNSHIP)
    if key not in {k for p in procedure_list() for k, _ in p.quotas}:
        raise Http404("未知的名额类型")
    form = QuotaForm(request.POST)
    if not form.is_valid():
        messages.error(request, "名额必须是不小于0的整数")
        return redirect("portal:county_settings")
    try:
        quota_set(key=key, unit=township, year=timezone.localdate().year,
                  capacity=form.cleaned_data["capacity"], actor=request.user)
    except ValueError as exc:
        messages.error(request, f"{township.name}：{exc}")
    else:
        messages.success(request, f"{township.name}名额已设置为{form.cleaned_data['capacity']}")
    return redirect("portal:county_settings")
