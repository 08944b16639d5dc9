"""Excel exports (.xlsx, openpyxl) of the cases list, the inbox and each procedure's register
(登记簿: its decided cases, with the amount granted where the procedure has one), and the
register page itself.

Every export reads the same selectors and filters as its page (``cases_for_staff`` with
``q``; ``inbox_for_user`` with ``TaskFilter``), so it holds exactly the rows the page would
list, never more. Columns are the page's own; the register adds the ID number, always masked
(a decided case has no open step, and full numbers are only for whoever may act on one now,
``user_may_see_identity``), and a procedure's amount column, masked when its visibility
policy declares the field sensitive (``engine.visibility``). The register lists only cases
the reader sees as a whole (``case_full_view_q``): a department that sees a case through one
task sees none of its amounts.

Bounded: an export refuses above ``EXPORT_MAX_ROWS`` rows (counted first, stopping there)
with a message asking to narrow the filters; below it, rows are read in chunks
(``iterator``) into openpyxl's write-only workbook, which keeps no cell objects in memory.
"""
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from io import BytesIO

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode
from django.views.decorators.http import require_GET
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from engine.identity import mask_id_number
from engine.models import Case, CaseStatus, Document, Unit
from engine.search import search_normalise
from engine.selectors import case_full_view_q, case_list_for_user
from engine.visibility import masked, policy_for
from workflows.registry import Procedure, procedure_get, procedure_list

from .filters import TaskFilter
from .paging import PAGE_SIZE
from .selectors import (capped_count, cases_for_staff, inbox_for_user, staff_required,
                        tasks_attach_departments, townships_visible_to)

EXPORT_MAX_ROWS = 10_000
CHUNK = 500
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DECISIONS = {"approve": "批准", "refuse": "不予批准"}


def _local(moment: datetime | None):
    # Excel has no time zones: local wall time, without tzinfo (openpyxl refuses aware ones).
    return timezone.localtime(moment).replace(tzinfo=None, microsecond=0) if moment else None


def _workbook(title: str, header: list[str], rows, *, summary=None) -> bytes:
    """A write-only workbook: a header row in bold, then ``rows`` (iterables of cells);
    ``summary``: (sheet title, header, rows) of a second sheet."""
    book = Workbook(write_only=True)
    for sheet_title, sheet_header, sheet_rows in ((title, header, rows), *([summary] if summary
                                                                           else [])):
        sheet = book.create_sheet(sheet_title[:31])  # Excel's limit on sheet names
        bold = []
        for text in sheet_header:
            cell = WriteOnlyCell(sheet, value=text)
            cell.font = Font(bold=True)
            bold.append(cell)
        sheet.append(bold)
        for row in sheet_rows:
            sheet.append(list(row))
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"  # personal data
    return response


def _too_many(request, queryset, back: str):
    """A redirect back with a message when ``queryset`` has more rows than an export holds."""
    if capped_count(queryset, EXPORT_MAX_ROWS) > EXPORT_MAX_ROWS:
        messages.error(request, f"符合条件的记录超过{EXPORT_MAX_ROWS}条，请缩小筛选范围后再导出")
        return redirect(back)
    return None


def _stamp() -> str:
    return timezone.localtime().strftime("%Y%m%d-%H%M")


# ---------------------------------------------------------------------------------------------
# The cases list and the inbox


@login_required
@require_GET
def cases_export(request):
    """案件查询 as .xlsx: the rows the page lists for the same ``q``."""
    staff_required(request.user)
    query = search_normalise(request.GET.get("q"))
    cases = cases_for_staff(request.user, query=query)
    back = request.get_full_path().replace("export/", "", 1)
    refused = _too_many(request, cases, back)
    if refused:
        return refused

    def rows():
        for case in cases.iterator(chunk_size=CHUNK):
            yield [case.pk, case.definition.name, case.applicant_name, case.village.name,
                   case.get_status_display(),
                   "、".join(t.title for t in case.open_tasks) or "—",
                   _local(case.created_at), _local(case.completed_at)]

    header = ["案件编号", "事项", "申请人", "村/社区", "状态", "当前环节", "提交时间", "办结时间"]
    return _xlsx_response(_workbook("案件", header, rows()), f"案件查询-{_stamp()}.xlsx")


@login_required
@require_GET
def inbox_export(request):
    """待办任务 as .xlsx: the user's inbox with the page's filters (``TaskFilter``)."""
    staff_required(request.user)
    task_filter = TaskFilter(request.GET, queryset=inbox_for_user(request.user),
                             request=request)
    back = request.get_full_path().replace("export/", "", 1)
    if task_filter.errors:
        messages.error(request, "筛选条件有误，未导出")
        return redirect(back)
    tasks = task_filter.qs.select_related("village", "candidate_unit")
    refused = _too_many(request, tasks, back)
    if refused:
        return refused
    now = timezone.now()
    user_pk = request.user.pk

    def rows():
        chunk = []
        for task in tasks.iterator(chunk_size=CHUNK):
            chunk.append(task)
            if len(chunk) == CHUNK:
                yield from _task_rows(chunk, now, user_pk)
                chunk = []
        yield from _task_rows(chunk, now, user_pk)

    header = ["案件编号", "提交时间", "事项", "申请人", "村/社区", "任务", "候选辖区/部门",
              "到期时间", "是否超期", "认领情况"]
    return _xlsx_response(_workbook("待办任务", header, rows()), f"待办任务-{_stamp()}.xlsx")


def _task_rows(tasks, now, user_pk):
    for task in tasks_attach_departments(tasks):
        overdue = task.due_at is not None and task.due_at < now
        yield [task.case_id, _local(task.case.created_at), task.case.definition.name,
               task.case.applicant_name, task.village.name, task.title,
               task.department or (task.candidate_unit.name if task.candidate_unit else "—"),
               _local(task.due_at), "超期" if overdue else "",
               "我已认领" if task.assignee_id == user_pk else
               ("待认领" if task.assignee_id is None else "已被认领")]


# ---------------------------------------------------------------------------------------------
# Registers (登记簿)


class RegisterFilterForm(forms.Form):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100,
                              error_messages={"invalid": "请输入年份，如2026"})
    month = forms.TypedChoiceField(label="月份", required=False, coerce=int, empty_value=None,
                                   choices=[("", "全年")] + [(m, f"{m}月") for m in range(1, 13)])
    township = forms.ModelChoiceField(label="乡镇/街道", required=False, queryset=Unit.objects.none(),
                                      empty_label="全部乡镇")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["township"].queryset = townships_visible_to(user)


def _register_procedure(key: str) -> Procedure:
    try:
        return procedure_get(key)
    except LookupError:
        raise Http404("没有该审批事项") from None


def _register_filters(request) -> RegisterFilterForm:
    data = request.GET.copy()
    data.setdefault("year", str(timezone.localdate().year))
    return RegisterFilterForm(data, user=request.user)


def register_cases(*, user, procedure: Procedure, year: int, month: int | None = None,
                   township: Unit | None = None):
    """The procedure's decided (办结) cases the user sees as a whole, concluded in ``year``
    (and ``month``, local time), in ``township`` when given; in the order they concluded."""
    tz = timezone.get_current_timezone()
    if month is None:
        start, end = datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)
    else:
        start = datetime(year, month, 1, tzinfo=tz)
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
    cases = (case_list_for_user(user=user).filter(case_full_view_q(user))
             .filter(procedure=procedure.key, status=CaseStatus.COMPLETED,
                     completed_at__gte=start, completed_at__lt=end)
             .select_related("village__parent")
             .defer("state", "error", "definition__bpmn_xml", "definition__dmn_xml",
                    "definition__spec_json", "definition__comment")
             .order_by("completed_at", "pk"))
    if township is not None:
        cases = cases.filter(village_path__startswith=township.path)
    documents = Prefetch("documents", to_attr="register_documents",
                         queryset=Document.objects.only("case_id", "title", "number")
                         .order_by("created_at"))
    return cases.prefetch_related(documents)


def _amount(value):
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


@dataclass
class RegisterRow:
    case: Case
    township: str
    id_number: str
    decision: str
    amount: object  # Decimal, a masked text, or None
    documents: str

    def cells(self, with_amount: bool) -> list:
        case = self.case
        cells = [case.pk, self.township, case.village.name, case.applicant_name, self.id_number,
                 _local(case.created_at), _local(case.completed_at), self.decision]
        if with_amount:
            cells.append(self.amount)
        return cells + [self.documents]


def register_row(case: Case, procedure: Procedure) -> RegisterRow:
    data = case.data or {}
    decision = data.get("decision")
    amount = None
    if procedure.register_amount:
        field = procedure.register_amount[0]
        value = data.get(field)
        rule = policy_for(procedure.key).fields.get(field)
        # A register travels between offices: a field the procedure declares sensitive is
        # never in it in full.
        amount = masked(rule.kind, value) if rule else _amount(value)
        if decision and decision != "approve":
            amount = None  # nothing was granted
    return RegisterRow(
        case=case, township=case.village.parent.name if case.village.parent_id else "",
        id_number=mask_id_number(case.applicant_id_number) if case.applicant_id_number else "",
        decision=DECISIONS.get(decision, decision or "办结"), amount=amount,
        documents="；".join(f"{d.title} {d.number}" for d in case.register_documents))


def _register_header(procedure: Procedure) -> list[str]:
    header = ["案件编号", "乡镇/街道", "村/社区", "申请人", "身份证号", "提交时间", "办结时间",
              "结果"]
    if procedure.register_amount:
        header.append(procedure.register_amount[1])
    return header + ["文书"]


def register_summary(rows: list[RegisterRow], procedure: Procedure) -> list[dict]:
    """Per township and month of conclusion: cases decided, granted, and the amount granted
    (when the procedure has one and it is not masked)."""
    groups: dict[tuple, dict] = {}
    for row in rows:
        month = timezone.localtime(row.case.completed_at).strftime("%Y-%m")
        group = groups.setdefault((row.township, month), {
            "township": row.township, "month": month, "decided": 0, "granted": 0,
            "amount": Decimal(0)})
        group["decided"] += 1
        if row.decision == DECISIONS["approve"]:
            group["granted"] += 1
        if isinstance(row.amount, Decimal):
            group["amount"] += row.amount
    return [groups[key] for key in sorted(groups, key=lambda k: (k[1], k[0]))]


def _summary_header(procedure: Procedure) -> list[str]:
    header = ["乡镇/街道", "月份", "办结件数", "批准件数"]
    if procedure.register_amount:
        header.append(procedure.register_amount[1].replace("（", "合计（"))
    return header


def _summary_cells(group: dict, procedure: Procedure) -> list:
    cells = [group["township"], group["month"], group["decided"], group["granted"]]
    if procedure.register_amount:
        cells.append(group["amount"])
    return cells


@login_required
@require_GET
def register(request, procedure_key):
    """登记簿 of one procedure: a year's (or month's) decided cases, by township and month,
    with its export button."""
    staff_required(request.user)
    procedure = _register_procedure(procedure_key)
    form = _register_filters(request)
    context = {"procedure": procedure, "form": form, "procedures": procedure_list(),
               "amount_label": procedure.register_amount[1] if procedure.register_amount
               else None}
    if form.is_valid():
        filters = {k: form.cleaned_data[k] for k in ("year", "month", "township")}
        cases = register_cases(user=request.user, procedure=procedure, **filters)
        context["export_query"] = urlencode({
            "year": filters["year"], **({"month": filters["month"]} if filters["month"] else {}),
            **({"township": filters["township"].pk} if filters["township"] else {})})
        rows = [register_row(case, procedure) for case in cases.iterator(chunk_size=CHUNK)] \
            if capped_count(cases, EXPORT_MAX_ROWS) <= EXPORT_MAX_ROWS else None
        if rows is None:
            context["too_many"] = EXPORT_MAX_ROWS
        else:
            context["summary"] = register_summary(rows, procedure)
            paginator = Paginator(rows, PAGE_SIZE)
            paginator.cap = EXPORT_MAX_ROWS  # _pagination.html: the count is exact here
            context["page"] = paginator.get_page(request.GET.get("page"))
    return render(request, "portal/register_book.html", context)


@login_required
@require_GET
def register_export(request, procedure_key):
    """The register as .xlsx: the cases sheet and the township × month summary."""
    staff_required(request.user)
    procedure = _register_procedure(procedure_key)
    form = _register_filters(request)
    back = request.get_full_path().replace("export/", "", 1)
    if not form.is_valid():
        messages.error(request, "筛选条件有误，未导出")
        return redirect(back)
    filters = {k: form.cleaned_data[k] for k in ("year", "month", "township")}
    cases = register_cases(user=request.user, procedure=procedure, **filters)
    refused = _too_many(request, cases, back)
    if refused:
        return refused
    rows = [register_row(case, procedure) for case in cases.iterator(chunk_size=CHUNK)]
    with_amount = procedure.register_amount is not None
    content = _workbook(
        "登记簿", _register_header(procedure), (row.cells(with_amount) for row in rows),
        summary=("按乡镇和月份汇总", _summary_header(procedure),
                 [_summary_cells(group, procedure)
                  for group in register_summary(rows, procedure)]))
    period = f"{filters['year']}年" + (f"{filters['month']}月" if filters["month"] else "")
    place = filters["township"].name if filters["township"] else ""
    return _xlsx_response(content, f"{procedure.name}登记簿-{place}{period}.xlsx")
