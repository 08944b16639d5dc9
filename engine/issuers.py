"""In whose name a document is issued, what becomes of it afterwards, and the county's review
of township decisions (报县备案).

The issuer follows who decided. By default the decider is the user task whose completion led
to the ``issue_document`` service task (``runtime.deciding_task_id``): its role's level says
which unit decided. A diagram may say so explicitly with the service task's ``issuer``
parameter ("county", "township" or "decider"). Documents no person's completion led to (a
timer, a message) are the county's.

A township decides under one of two legal arrangements, the county setting
``Unit.settings["township_approval_form"]``:

* ``"entrusted"`` (委托, the default): the county bureau remains the deciding organ and the
  township acts in its name. The document is issued and numbered by the county bureau and
  states the township as the entrusted handler (``entrusted_line``).
* ``"devolved"`` (下放): the power has been devolved to the township government, which decides
  in its own name: its office name (``Unit.office_name``) and seal, its own number series
  (``Unit.doc_prefix`` + the type's series, e.g. 罗店政救〔2026〕1号) and verification.

Either way, a township's document is filed with the county (``DocumentFiling``), where county
staff confirm the filing or question it.
"""
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from .models import (
    AuditAction,
    AuditEntry,
    Case,
    Document,
    DocumentFiling,
    DocumentValidity,
    FilingStatus,
    HumanTask,
    Role,
    TaskStatus,
    Unit,
    UnitLevel,
)

APPROVAL_FORM_SETTING = "township_approval_form"
ENTRUSTED = "entrusted"
DEVOLVED = "devolved"
APPROVAL_FORMS = {ENTRUSTED: "委托乡镇人民政府办理（以县民政局名义出具文书）",
                  DEVOLVED: "下放乡镇人民政府（以乡镇人民政府名义出具文书）"}

# Values of the ``issuer`` parameter of the ``issue_document`` service task.
ISSUER_COUNTY = "county"
ISSUER_TOWNSHIP = "township"  # a township decision, in the form the county setting says
# The township's own statutory power (e.g. 《殡葬管理条例》 art. 8: the township agrees to a
# rural cemetery site): always in the township government's own name, whatever the setting.
ISSUER_TOWNSHIP_OWN = "township_own"
ISSUER_DECIDER = "decider"
ISSUER_VALUES = (ISSUER_COUNTY, ISSUER_TOWNSHIP, ISSUER_TOWNSHIP_OWN, ISSUER_DECIDER)


class IssuerNotConfigured(Exception):
    """The unit that must issue a document lacks its document prefix or office name."""


@dataclass(frozen=True)
class Issuer:
    unit: Unit  # the organ whose name, seal and number the document carries
    prefix: str  # its number prefix, e.g. 婺民 or 罗店政
    handling_unit: Unit | None  # the township that decided, when not the issuer itself
    form: str  # "" (the county decided), ENTRUSTED, DEVOLVED or "own" (township's own power)


def approval_form(county: Unit) -> str:
    """The county's arrangement for township approval (entrusted unless set to devolved)."""
    return DEVOLVED if (county.settings or {}).get(APPROVAL_FORM_SETTING) == DEVOLVED \
        else ENTRUSTED


def township_office_name(township: Unit) -> str:
    return township.office_name or f"{township.name}人民政府"


def decider_level(case: Case, decider_task: str | None) -> str | None:
    """The level (county / township / village) of the role of the task that decided, from
    the inbox row of that task (its lane may come from a ``candidate_role`` expression)."""
    if not decider_task:
        return None
    row = (HumanTask.objects.filter(case=case, task_id=decider_task)
           .exclude(status=TaskStatus.CANCELLED).order_by("-pk").first())
    if row is None or not row.lane:
        return None
    return Role.objects.filter(code=row.lane).values_list("level", flat=True).first() or None


def document_issuer(*, case: Case, explicit: str | None, decider: str | None) -> Issuer:
    """Who issues a document of ``case``: ``explicit`` is the diagram's ``issuer`` parameter
    (None or "decider": follow ``decider``, the deciding role's level)."""
    county = case.village.county
    if explicit not in (None, "", ISSUER_DECIDER) and explicit not in ISSUER_VALUES:
        raise ValueError(f"出具文书的 issuer 参数只能是 {'、'.join(ISSUER_VALUES)}，"
                         f"而不是“{explicit}”")
    level = decider if explicit in (None, "", ISSUER_DECIDER) else explicit
    if level not in (ISSUER_TOWNSHIP, ISSUER_TOWNSHIP_OWN):
        # County decisions, and documents no township officer decided, stay the county's.
        return Issuer(unit=county, prefix=county.doc_prefix, handling_unit=None, form="")
    township = case.village.ancestor_at(UnitLevel.TOWNSHIP)
    if level == ISSUER_TOWNSHIP and approval_form(county) == ENTRUSTED:
        return Issuer(unit=county, prefix=county.doc_prefix, handling_unit=township,
                      form=ENTRUSTED)
    if not township.doc_prefix:
        raise IssuerNotConfigured(
            f"{township.name}尚未设置文号前缀（如“罗店政”），不能以乡镇人民政府名义出具"
            f"文书；请县民政局在“本县设置”中填写")
    return Issuer(unit=township, prefix=township.doc_prefix, handling_unit=township,
                  form=DEVOLVED if level == ISSUER_TOWNSHIP else "own")


def entrusted_line(document: Document) -> str:
    """The sentence an entrusted township's document carries under the title."""
    if document.issuer_form != ENTRUSTED or document.handling_unit is None:
        return ""
    county = document.issuer_unit
    return (f"（受{county.office_name or county.name}委托，"
            f"由{township_office_name(document.handling_unit)}办理）")


def document_issuer_name(document: Document) -> str:
    """The organ printed as issuer and shown on the verification page."""
    issuer = document.issuer_unit
    if issuer.level == UnitLevel.TOWNSHIP:
        return township_office_name(issuer)
    return issuer.office_name or issuer.name


@transaction.atomic
def township_issuer_update(*, unit: Unit, doc_prefix: str, office_name: str, actor) -> Unit:
    """Set a township's number prefix (罗店政) and full name (金华市婺城区罗店镇人民政府),
    which its own documents carry under devolved approval; audited."""
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    before = {"doc_prefix": unit.doc_prefix, "office_name": unit.office_name}
    after = {"doc_prefix": doc_prefix, "office_name": office_name}
    if before == after:
        return unit
    unit.doc_prefix, unit.office_name = doc_prefix, office_name
    unit.full_clean(exclude=["path"])
    unit.save(update_fields=["doc_prefix", "office_name"])
    AuditEntry.objects.create(actor=actor, action=AuditAction.SETTINGS,
                              summary=f"修改{unit.name}的文号前缀和机关全称",
                              data={"unit": unit.pk, "before": before, "after": after})
    return unit


def filing_create(*, document: Document) -> DocumentFiling | None:
    """File a township's document with the county (called when it is issued)."""
    if document.handling_unit is None:
        return None
    return DocumentFiling.objects.create(document=document, county=document.case.village.county,
                                         township=document.handling_unit)


# ---------------------------------------------------------------------------------------------
# Validity: revoke (撤销) and void (作废)


def _require_reason(reason: str, what: str) -> str:
    from .services import ActionRefused

    reason = (reason or "").strip()
    if not reason:
        raise ActionRefused(f"请填写{what}")
    return reason


def _supervises(user, county: Unit) -> bool:
    return bool(user and user.is_authenticated and
                user.has_perm("engine.supervise_unit", county))


@transaction.atomic
def document_revoke(*, user, document_pk: int, reason: str) -> Document:
    """Revoke (撤销) an issued document: a county supervisor, with a reason. The document
    stays on file; its verification page says 已撤销 from now on."""
    from .selectors import case_get_for_user
    from .services import ActionRefused

    document = Document.objects.select_for_update(of=("self",)).select_related(
        "case__village").get(pk=document_pk)
    case_get_for_user(user, document.case_id)  # 404 outside the jurisdiction
    if not _supervises(user, document.case.village.county):
        raise PermissionDenied("只有县民政局主管人员可以撤销文书")
    reason = _require_reason(reason, "撤销理由")
    if document.validity != DocumentValidity.VALID:
        raise ActionRefused(f"该文书{document.get_validity_display()}，不能撤销")
    _validity_set(document=document, validity=DocumentValidity.REVOKED, user=user,
                  reason=reason)
    return document


def documents_void_for_case(*, case: Case, user, reason: str) -> int:
    """Mark every valid document of a voided case 已作废 (called inside ``case_void``)."""
    documents = list(Document.objects.select_for_update().filter(
        case=case, validity=DocumentValidity.VALID))
    for document in documents:
        _validity_set(document=document, validity=DocumentValidity.VOIDED, user=user,
                      reason=reason)
    return len(documents)


def _validity_set(*, document: Document, validity: str, user, reason: str) -> None:
    document.validity = validity
    document.validity_changed_at = timezone.now()
    document.validity_changed_by = user
    document.validity_reason = reason
    document.save(update_fields=["validity", "validity_changed_at", "validity_changed_by",
                                 "validity_reason"])
    label = DocumentValidity(validity).label
    AuditEntry.objects.create(case=document.case, actor=user, action=AuditAction.DOCUMENT,
                              summary=f"{document.title} {document.number}{label}：{reason}"[:300],
                              data={"document": str(document.uuid), "number": document.number,
                                    "validity": validity, "reason": reason})


# ---------------------------------------------------------------------------------------------
# 报县备案: the county's review of township decisions


@transaction.atomic
def filing_review(*, user, filing_pk: int, confirm: bool, opinion: str = "") -> DocumentFiling:
    """The county's 备案审查 of a township decision: confirm the filing (确认备案), or question
    it (提出意见) — the opinion is recorded and the township's staff are notified. Only the
    county bureau's own staff of the filing's county may review (``may_review``)."""
    from .services import ActionRefused

    filing = DocumentFiling.objects.select_for_update(of=("self",)).select_related(
        "document__case", "township", "county").get(pk=filing_pk)
    if not may_review(user, filing.county):
        raise PermissionDenied("只有县民政局工作人员可以审查乡镇备案")
    if filing.status != FilingStatus.PENDING:
        raise ActionRefused(f"该备案{filing.get_status_display()}，不能重复审查")
    opinion = (opinion or "").strip()
    if not confirm and not opinion:
        raise ActionRefused("提出意见时请写明具体意见")
    filing.status = FilingStatus.CONFIRMED if confirm else FilingStatus.QUESTIONED
    filing.reviewed_by = user
    filing.reviewed_at = timezone.now()
    filing.opinion = opinion
    filing.save(update_fields=["status", "reviewed_by", "reviewed_at", "opinion"])
    document = filing.document
    summary = (f"县民政局{'确认备案' if confirm else '对备案提出意见'}："
               f"{document.title} {document.number}{'' if confirm else '，' + opinion}")[:300]
    AuditEntry.objects.create(case=document.case, actor=user, action=AuditAction.DOCUMENT,
                              summary=summary,
                              data={"document": str(document.uuid), "filing": filing.pk,
                                    "status": filing.status, "opinion": opinion})
    if not confirm:
        _notify_township(filing=filing, user=user, opinion=opinion)
    return filing


def _notify_township(*, filing: DocumentFiling, user, opinion: str) -> None:
    from django.contrib.auth import get_user_model

    from .models import NotificationKind
    from .notifications import _url, notify

    document = filing.document
    township_roles = list(Role.objects.filter(level=UnitLevel.TOWNSHIP)
                          .values_list("code", flat=True))
    recipients = get_user_model().objects.filter(
        role_assignments__unit=filing.township,
        role_assignments__role_id__in=township_roles).distinct()
    notify(users=recipients, kind=NotificationKind.RESULT, case=document.case,
           title=f"县民政局对备案文书{document.number}提出意见", body=opinion,
           url=_url("portal:filings"))


# Roles of the county bureau itself (not the other departments a procedure consults): they
# review township filings. A county may name others in settings["filing_review_roles"].
FILING_REVIEW_ROLES = ("county_staff", "county_leader")


def filing_review_roles(county: Unit) -> tuple[str, ...]:
    return tuple((county.settings or {}).get("filing_review_roles") or FILING_REVIEW_ROLES)


def may_review(user, county: Unit) -> bool:
    """County bureau staff of ``county`` (and its supervisors) review its filings."""
    if not (user and user.is_authenticated):
        return False
    if _supervises(user, county):
        return True
    return user.role_assignments.filter(unit=county,
                                        role_id__in=filing_review_roles(county)).exists()
