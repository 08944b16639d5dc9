"""Approval actions on the task and case pages: return, 补正, transfer, delegate, add and
remove signers, withdraw, suspend / resume / void, substitutes. Each view: access through
``engine.selectors``, one call into ``engine.actions``, a message, a redirect."""
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from engine import actions
from engine.models import Substitution
from engine.selectors import case_get_for_user, is_staff_member, task_get_for_user
from engine.services import RuntimeFailure

from .errors import engine_failure
from .forms_actions import (
    CommentForm,
    PersonForm,
    ReasonForm,
    ReturnForm,
    ReturnToApplicantForm,
    SignerForm,
    SubstitutionForm,
    form_errors_text,
)
from .selectors import staff_required

_REFUSALS = (actions.ActionRefused, actions.TaskAlreadyHandled)


class _Malformed(Exception):
    def __init__(self, form):
        super().__init__(form_errors_text(form))


def _posted(request, form_class) -> dict:
    """The post's cleaned values, or ``_Malformed`` (answered with a 400) when its shape is
    wrong: a non-numeric id, an unknown choice, an over-long text."""
    form = form_class(request.POST)
    if not form.is_valid():
        raise _Malformed(form)
    return form.cleaned_data


def _bad_request(request, exc: _Malformed):
    return render(request, "400.html", {"exception": str(exc)}, status=400)


def _user_or_refuse(pk: int) -> object:
    user = get_user_model().objects.filter(pk=pk, is_active=True).first()
    if user is None:
        raise actions.ActionRefused("请选择人员")
    return user


def _run(request, call, success: str, *, case=None) -> bool:
    try:
        call()
    except _REFUSALS as exc:
        messages.error(request, str(exc))
        return False
    except RuntimeFailure as exc:  # the diagram failed (e.g. a gateway no condition satisfies)
        messages.error(request, engine_failure(
            user=request.user, county=case.village.county if case is not None else None,
            where=f"{case.title}·{success}" if case is not None else success, error=str(exc)))
        return False
    messages.success(request, success)
    return True


def _after_task_action(ok: bool, task):
    """The inbox once the task has left the user's hands; otherwise back to the task, where
    the message says why."""
    return redirect("portal:inbox") if ok else redirect("portal:task", task.pk)


@login_required
@require_POST
def task_return_view(request, pk):
    task = task_get_for_user(request.user, pk)
    try:
        post = _posted(request, ReturnForm)
    except _Malformed as exc:
        return _bad_request(request, exc)
    ok = _run(request, lambda: actions.task_return(
        user=request.user, task_pk=task.pk, target_pk=post["target"],
        comment=post["comment"]), "已退回", case=task.case)
    return _after_task_action(ok, task)


@login_required
@require_POST
def task_return_to_applicant_view(request, pk):
    task = task_get_for_user(request.user, pk)
    try:
        post = _posted(request, ReturnToApplicantForm)
    except _Malformed as exc:
        return _bad_request(request, exc)
    ok = _run(request, lambda: actions.task_return_to_applicant(
        user=request.user, task_pk=task.pk, missing=post["missing"]),
        "已退回申请人补正材料", case=task.case)
    return _after_task_action(ok, task)


@login_required
@require_POST
def task_transfer_view(request, pk):
    task = task_get_for_user(request.user, pk)
    try:
        post = _posted(request, PersonForm)
    except _Malformed as exc:
        return _bad_request(request, exc)
    ok = _run(request, lambda: actions.task_transfer(
        user=request.user, task_pk=task.pk, to_user=_user_or_refuse(post["to_user"]),
        comment=post["comment"]), "已转办", case=task.case)
    return _after_task_action(ok, task)


@login_required
@require_POST
def task_delegate_view(request, pk):
    task = task_get_for_user(request.user, pk)
    try:
        post = _posted(request, PersonForm)
    except _Malformed as exc:
        return _bad_request(request, exc)
    ok = _run(request, lambda: actions.task_delegate(
        user=request.user, task_pk=task.pk, to_user=_user_or_refuse(post["to_user"]),
        comment=post["comment"]), "已委派，对方办理后将交回您确认", case=task.case)
    return _after_task_action(ok, task)


@login_required
@require_POST
def task_add_signer_view(request, pk):
    task = task_get_for_user(request.user, pk)
    try:
        post = _posted(request, SignerForm)
    except _Malformed as exc:
        return _bad_request(request, exc)
    _run(request, lambda: actions.signer_add(
        user=request.user, task_pk=task.pk, signer=_user_or_refuse(post["signer"]),
        position=post["position"], comment=post["comment"]), "已加签")
    return redirect("portal:task", task.pk)


@login_required
@require_POST
def task_remove_signer_view(request, pk):
    co_sign = task_get_for_user(request.user, pk)
    try:
        post = _posted(request, CommentForm)
    except _Malformed as exc:
        return _bad_request(request, exc)
    _run(request, lambda: actions.signer_remove(user=request.user, co_sign_pk=co_sign.pk,
                                                comment=post["comment"]), "已减签")
    held = co_sign.case.tasks.filter(status="open", task_id=co_sign.task_data.get(
        "held_task_id")).first()
    return redirect("portal:task", held.pk) if held else redirect("portal:case", co_sign.case_id)


@login_required
@require_POST
def case_take_back_view(request, pk):
    """撤回: the user takes back the step they completed last."""
    case = case_get_for_user(request.user, pk)
    try:
        post = _posted(request, CommentForm)
    except _Malformed as exc:
        return _bad_request(request, exc)
    done = actions.withdrawable(request.user, case)
    if done is None:
        messages.error(request, "没有可以撤回的环节：下一环节可能已被认领或办理")
        return redirect("portal:case", case.pk)
    try:
        reopened = actions.task_withdraw(user=request.user, task_pk=done.pk,
                                         comment=post["comment"])
    except _REFUSALS as exc:
        messages.error(request, str(exc))
        return redirect("portal:case", case.pk)
    except RuntimeFailure as exc:
        messages.error(request, engine_failure(user=request.user, county=case.village.county,
                                               where=f"{case.title}·撤回", error=str(exc)))
        return redirect("portal:case", case.pk)
    messages.success(request, f"已撤回“{done.title}”，可以重新办理")
    return redirect("portal:task", reopened.pk)


_CASE_ACTIONS = {
    "suspend": (actions.case_suspend, "案件已挂起"),
    "resume": (actions.case_resume, "案件已恢复办理"),
    "void": (actions.case_void, "案件已作废"),
}


@login_required
@require_POST
def case_state_view(request, pk, action):
    """挂起 / 恢复 / 作废 by a county supervisor, with a reason."""
    case = case_get_for_user(request.user, pk)
    if action not in _CASE_ACTIONS:
        raise PermissionDenied("未知操作")
    call, success = _CASE_ACTIONS[action]
    try:
        post = _posted(request, ReasonForm)
    except _Malformed as exc:
        return _bad_request(request, exc)
    _run(request, lambda: call(user=request.user, case_pk=case.pk, reason=post["reason"]),
         success, case=case)
    return redirect("portal:case", case.pk)


@login_required
def substitutes_view(request):
    """Staff set who acts for them while they are away (代理)."""
    staff_required(request.user)
    if request.method == "POST":
        form = SubstitutionForm(request.POST)
        if not form.is_valid():
            messages.error(request, form_errors_text(form))
        else:
            post = form.cleaned_data
            _run(request, lambda: actions.substitution_set(
                user=request.user, substitute=_user_or_refuse(post["substitute"]),
                starts_on=post["starts_on"], ends_on=post["ends_on"]), "代理人已设置")
        return redirect("portal:substitutes")
    from .selectors import substitute_candidates

    return render(request, "portal/substitutes.html", {
        "mine": Substitution.objects.filter(user=request.user).select_related("substitute"),
        "for_others": Substitution.objects.filter(substitute=request.user).select_related(
            "user"),
        "candidates": substitute_candidates(request.user),
        "is_staff": is_staff_member(request.user),
    })
