"""Pages for notifications, 催办 and 抄送: the notification centre, "抄送我的", and the urge
and CC actions of the case page. Thin: an access helper, one service, redirect."""
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from engine.notifications import (
    case_copy_mark_read,
    case_copy_send,
    case_urge,
    copy_list_for_user,
    notification_list_for_user,
    notification_mark_read,
    notifications_mark_all_read,
)
from engine.selectors import case_get_for_user

from .forms_actions import ids_only
from .paging import page_of
from .selectors import staff_required



@login_required
def notification_list(request):
    """通知中心: the user's notifications, unread first in attention, newest first."""
    page = page_of(notification_list_for_user(user=request.user), request)
    return render(request, "portal/notifications.html", {"page": page})


@login_required
@require_POST
def notification_open(request, pk):
    """Mark a notification read and go where it points."""
    notification = notification_mark_read(user=request.user, notification_pk=pk)
    target = notification.url
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("portal:notifications")


@login_required
@require_POST
def notification_read_all(request):
    count = notifications_mark_all_read(user=request.user)
    messages.success(request, f"已将{count}条通知标为已读" if count else "没有未读通知")
    return redirect("portal:notifications")


@login_required
def copy_list(request):
    """抄送我的: read-only copies of cases sent to the user."""
    staff_required(request.user)
    page = page_of(copy_list_for_user(user=request.user), request)
    return render(request, "portal/copies.html", {"page": page})


@login_required
@require_POST
def copy_open(request, pk):
    """Opening a copy marks it read."""
    copy = case_copy_mark_read(user=request.user, copy_pk=pk)
    return redirect("portal:case", pk=copy.case_id)


@login_required
@require_POST
def case_urge_view(request, pk):
    """催办: staff with jurisdiction; 404 outside it, 403 for applicants."""
    case = case_get_for_user(request.user, pk)
    try:
        sent = case_urge(user=request.user, case_pk=case.pk,
                         comment=request.POST.get("comment", ""))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已催办，{len(sent)}位经办人将收到提醒")
    return redirect("portal:case", pk=case.pk)


@login_required
@require_POST
def case_copy_view(request, pk):
    """抄送: to users (``users``: ids) and/or roles (``roles``: codes) of the sender's
    jurisdiction; anyone outside it is refused with 403 by the service."""
    case = case_get_for_user(request.user, pk)
    user_ids = ids_only(request.POST.getlist("users"))
    recipients = [*get_user_model().objects.filter(pk__in=user_ids),
                  *request.POST.getlist("roles")]
    try:
        copies = case_copy_send(user=request.user, case_pk=case.pk, recipients=recipients,
                                comment=request.POST.get("comment", ""))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已抄送给{len(copies)}人")
    return redirect("portal:case", pk=case.pk)
