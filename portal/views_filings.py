"""报县备案 pages: the county's list of township decisions and its review (确认备案 / 提出意见),
the township's view of its own filings, the revocation (撤销) of a document, and the county
setting for the legal form of township approval (engine/issuers.py).

Access: the county bureau's staff (``engine.issuers.may_review``) see and review every filing
of their county; township staff see their own township's filings and their status only;
anyone else gets 403, and a filing outside the user's reach is 404.
"""
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from engine.issuers import (
    APPROVAL_FORM_SETTING,
    APPROVAL_FORMS,
    approval_form,
    document_revoke,
    filing_review,
    may_review,
    township_issuer_update,
)
from engine.models import Document, DocumentFiling, FilingStatus, Unit, UnitLevel
from engine.selectors import case_get_for_user, role_assignments
from engine.services import ActionRefused, unit_settings_update

from .paging import page_of
from .selectors import county_supervised_or_403



# ---------------------------------------------------------------------------------------------
# Who sees which filings


def _reviewer_county(user) -> Unit | None:
    for assignment in role_assignments(user):
        county = assignment.unit.county
        if county is not None and may_review(user, county):
            return county
    return None


def _own_townships(user) -> list[Unit]:
    return [a.unit for a in role_assignments(user) if a.unit.level == UnitLevel.TOWNSHIP
            and a.role.level == UnitLevel.TOWNSHIP]


def filings_for_user(user) -> tuple[QuerySet[DocumentFiling], Unit | None]:
    """(filings the user may see, the county they review for or None); 403 for anyone who
    is neither the county bureau's staff nor a township's."""
    base = DocumentFiling.objects.select_related("document", "township", "reviewed_by",
                                                 "document__case")
    county = _reviewer_county(user)
    if county is not None:
        return base.filter(county=county), county
    townships = _own_townships(user)
    if townships:
        return base.filter(township__in=townships), None
    raise PermissionDenied("乡镇备案仅供县民政局和乡镇工作人员查看")


def user_may_see_filings(user) -> bool:
    try:
        filings_for_user(user)
    except PermissionDenied:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# Pages


class FilingReviewForm(forms.Form):
    outcome = forms.ChoiceField(label="审查结论", widget=forms.RadioSelect, choices=[
        ("confirm", "确认备案"), ("question", "提出意见（通知乡镇）")])
    opinion = forms.CharField(label="意见", required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("outcome") == "question" and not cleaned.get("opinion", "").strip():
            self.add_error("opinion", "提出意见时请写明具体意见")
        return cleaned


@login_required
def filing_list(request):
    """The county's 备案审查 list (township staff: their own filings' status)."""
    filings, county = filings_for_user(request.user)
    status = request.GET.get("status", "")
    if status in FilingStatus.values:
        filings = filings.filter(status=status)
    page = page_of(filings, request)
    return render(request, "portal/filings.html", {
        "page": page, "reviewer": county is not None, "county": county,
        "status": status, "statuses": FilingStatus.choices,
    })


@login_required
def filing_detail(request, pk):
    filings, county = filings_for_user(request.user)
    filing = get_object_or_404(filings, pk=pk)
    form = FilingReviewForm()
    if request.method == "POST":
        if county is None:
            raise PermissionDenied("只有县民政局工作人员可以审查乡镇备案")
        form = FilingReviewForm(request.POST)
        if form.is_valid():
            confirm = form.cleaned_data["outcome"] == "confirm"
            try:
                filing_review(user=request.user, filing_pk=filing.pk, confirm=confirm,
                              opinion=form.cleaned_data["opinion"])
            except ActionRefused as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "已确认备案" if confirm else "意见已记录并通知乡镇")
                return redirect("portal:filing", pk=filing.pk)
    return render(request, "portal/filing_detail.html", {
        "filing": filing, "document": filing.document, "reviewer": county is not None,
        "form": form, "may_revoke": _may_revoke(request.user, filing.document),
    })


def _may_revoke(user, document: Document) -> bool:
    return user.has_perm("engine.supervise_unit", document.case.village.county)


class RevokeForm(forms.Form):
    reason = forms.CharField(label="撤销理由", max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}))


@login_required
def document_revoke_view(request, uuid):
    """Revoke (撤销) a document: county supervisors, with a reason."""
    document = get_object_or_404(Document.objects.select_related("case__village"), uuid=uuid)
    case_get_for_user(request.user, document.case_id)  # 404 outside the jurisdiction
    if not _may_revoke(request.user, document):
        raise PermissionDenied("只有县民政局主管人员可以撤销文书")
    form = RevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            document_revoke(user=request.user, document_pk=document.pk,
                            reason=form.cleaned_data["reason"])
        except ActionRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{document.title} {document.number}已撤销")
            return redirect("portal:case", pk=document.case_id)
    return render(request, "portal/document_revoke.html", {"document": document,
                                                            "form": form})


# ---------------------------------------------------------------------------------------------
# The county setting (a section of 本县设置)


class IssuerSettingsForm(forms.Form):
    township_approval_form = forms.ChoiceField(
        label="乡镇审批的法律形式", choices=list(APPROVAL_FORMS.items()), widget=forms.RadioSelect,
        help_text="委托：乡镇受县民政局委托办理，文书以县民政局名义出具并注明受委托乡镇；"
                  "下放：审批权已依法下放乡镇，文书以乡镇人民政府名义、印章和文号出具。"
                  "两种形式下乡镇作出的文书都报县备案。")


class TownshipIssuerForm(forms.Form):
    doc_prefix = forms.CharField(label="文号前缀", max_length=20, required=False)
    office_name = forms.CharField(label="机关全称", max_length=100, required=False)


@login_required
@require_POST
def county_issuer_settings(request):
    """Save the county's township approval form and each township's prefix and name."""
    county = county_supervised_or_403(request.user)
    form = IssuerSettingsForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择乡镇审批的法律形式")
        return redirect("portal:county_settings")
    chosen = form.cleaned_data["township_approval_form"]
    townships = list(county.children.filter(level=UnitLevel.TOWNSHIP).order_by("pk"))
    changes = {}
    for township in townships:
        sub = TownshipIssuerForm(request.POST, prefix=f"t{township.pk}")
        if not sub.is_valid():
            messages.error(request, f"{township.name}：文号前缀或机关全称过长")
            return redirect("portal:county_settings")
        changes[township] = (sub.cleaned_data["doc_prefix"].strip(),
                             sub.cleaned_data["office_name"].strip())
    if chosen == "devolved":
        missing = [t.name for t, (prefix, _) in changes.items() if not prefix]
        if missing:
            messages.error(request, f"实行下放须为每个乡镇设置文号前缀：{'、'.join(missing)}未填写")
            return redirect("portal:county_settings")
    for township, (prefix, office_name) in changes.items():
        township_issuer_update(unit=township, doc_prefix=prefix, office_name=office_name,
                               actor=request.user)
    unit_settings_update(unit=county, actor=request.user,
                         changes={APPROVAL_FORM_SETTING: chosen})
    messages.success(request, f"乡镇审批形式已设为：{APPROVAL_FORMS[chosen]}")
    return redirect("portal:county_settings")


def issuer_settings_context(county: Unit) -> dict:
    """For the 本县设置 page's section (portal/_county_issuer_settings.html)."""
    townships = list(county.children.filter(level=UnitLevel.TOWNSHIP).order_by("pk"))
    return {
        "issuer_form": IssuerSettingsForm(initial={
            "township_approval_form": approval_form(county)}),
        "issuer_townships": [(t, TownshipIssuerForm(prefix=f"t{t.pk}", initial={
            "doc_prefix": t.doc_prefix, "office_name": t.office_name})) for t in townships],
    }
