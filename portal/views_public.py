"""Public pages (no login): the notices (公示) of every village and township, and the
objection form; plus the staff action that enters an objection received on paper or in
person (登记异议)."""
import ipaddress

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from engine.models import CaseStatus, ObjectionSource, Unit, UnitLevel
from engine.notices import (
    notice_get_public,
    notice_live_for_case,
    notice_objection_submit,
    notice_remaining_days,
    notice_type_get,
    notices_public,
)
from engine.selectors import case_get_for_user
from engine.services import ActionRefused

from .forms_public import ObjectionForm


def client_ip(request) -> str | None:
    """The client's address: the peer's, or — when the peer is the configured reverse proxy
    (``FORWARDED_ALLOW_IPS``) — the last address of X-Forwarded-For, the one that proxy
    appended (addresses left of it are the client's own claim). Anything not an IP address
    is ignored."""
    peer = request.META.get("REMOTE_ADDR") or None
    trusted = settings.FORWARDED_ALLOW_IPS
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and ("*" in trusted or peer in trusted):
        candidate = forwarded.split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            pass
    return peer


def _unit_or_none(value, level):
    try:
        return Unit.objects.get(pk=int(value), level=level)
    except (TypeError, ValueError, Unit.DoesNotExist):
        return None


def notice_list(request):
    """公示公告: notices in progress and recently ended, filtered by township or village."""
    township = _unit_or_none(request.GET.get("township"), UnitLevel.TOWNSHIP)
    village = _unit_or_none(request.GET.get("village"), UnitLevel.VILLAGE)
    if village is not None and township is not None and village.parent_id != township.pk:
        village = None
    now = timezone.now()
    notices = list(notices_public(township=township, village=village)[:200])
    rows = [{"notice": n, "remaining": notice_remaining_days(n, now)} for n in notices]
    villages = Unit.objects.filter(level=UnitLevel.VILLAGE).select_related("parent")
    if township is not None:
        villages = villages.filter(parent=township)
    return render(request, "portal/public/notice_list.html", {
        "rows": rows, "township": township, "village": village,
        "townships": Unit.objects.filter(level=UnitLevel.TOWNSHIP), "villages": villages,
    })


def notice_detail(request, uuid):
    """One notice: what is published, the period, the days left, and the objection form."""
    notice = notice_get_public(uuid)
    form = ObjectionForm()
    if request.method == "POST":
        form = ObjectionForm(request.POST)
        if form.is_valid():
            try:
                notice_objection_submit(
                    notice_uuid=notice.uuid, client_ip=client_ip(request),
                    source=ObjectionSource.ONLINE, **form.cleaned_data)
            except ActionRefused as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "您的异议已提交。乡镇（街道）将进行核查，核查期间公示暂停计时。")
                return redirect("portal:public_notice", uuid=notice.uuid)
    try:
        notice_type = notice_type_get(notice.notice_type)
    except Exception:  # noqa: BLE001 - a type no longer registered still shows its facts
        notice_type = None
    return render(request, "portal/public/notice_detail.html", {
        "notice": notice, "notice_type": notice_type, "form": form,
        "remaining": notice_remaining_days(notice),
        "accepting": notice.status in ("open", "suspended")
        and (notice.status != "open" or notice.ends_at > timezone.now()),
        # 挂起: the case cannot move, so an objection could not reach review online.
        "case_paused": notice.case.status == CaseStatus.SUSPENDED,
    }, status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def case_notice_objection(request, pk):
    """Staff enter an objection received on paper, by phone or in person (登记异议)."""
    case = case_get_for_user(request.user, pk)
    notice = notice_live_for_case(case)
    form = ObjectionForm(request.POST)
    if notice is None:
        messages.error(request, "该案件目前没有进行中的公示")
    elif not form.is_valid():
        messages.error(request, "登记异议未保存：" + "；".join(
            f"{form.fields[name].label}{errors[0]}" for name, errors in form.errors.items()))
    else:
        try:
            notice_objection_submit(notice_uuid=notice.uuid, source=ObjectionSource.STAFF,
                                    entered_by=request.user, **form.cleaned_data)
        except PermissionDenied:
            raise
        except ActionRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "异议已登记，公示暂停计时，案件转异议核查")
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return redirect(back)
    return redirect("portal:case", pk=case.pk)
