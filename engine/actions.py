"""Approval actions staff here expect beyond approve / reject, for every procedure:
return (退回) to an earlier step or to the applicant for material (补正), withdraw (撤回),
transfer (转办), delegate (委派), substitute (代理), and suspend / resume / void
(挂起 / 恢复 / 作废) a case.

Each action locks the case row like every engine advance, re-checks who may act inside the
lock, and writes a typed audit entry (who, on behalf of whom, when, comment).
"""
import uuid
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from . import runtime
from .errors import ActionRefused
from .models import (
    APPLICANT_ROLE,
    AuditAction,
    AuditEntry,
    Case,
    CaseStatus,
    HumanTask,
    RoleAssignment,
    Substitution,
    TaskStatus,
)
from .selectors import (
    case_get_for_user,
    principals_of,
    user_can_act_on_task,
    user_has_jurisdiction,
)
from .services import (
    APPLICANT_SUPPLEMENT,
    CO_SIGN,
    TaskAlreadyHandled,
    _advance,
    _ensure_open,
    _load,
    _lock_case_and_task,
    _principal,
)


def _require_comment(comment: str, what: str) -> str:
    comment = (comment or "").strip()
    if not comment:
        raise ActionRefused(f"请填写{what}")
    return comment


def _acting_task(user, task_pk: int) -> tuple[Case, HumanTask]:
    case, task = _lock_case_and_task(task_pk)
    if not user_can_act_on_task(user, task):
        raise PermissionDenied("无权办理该任务")
    _ensure_open(task, user)
    return case, task


def _audit(*, case, task, actor, action, summary, comment="", on_behalf_of=None, **data):
    AuditEntry.objects.create(case=case, task=task, actor=actor, action=action,
                              on_behalf_of=on_behalf_of, summary=summary,
                              data={"comment": comment, **data})


# ---------------------------------------------------------------------------------------------
# Return (退回)


def returnable_steps(case: Case) -> list[HumanTask]:
    """Steps already passed that the case can be sent back to: the latest completed row of
    each diagram task, oldest first."""
    latest: dict[str, HumanTask] = {}
    for row in case.tasks.filter(status=TaskStatus.COMPLETED).exclude(
            spec_name=APPLICANT_SUPPLEMENT).order_by("completed_at"):
        latest[row.spec_name] = row
    return sorted(latest.values(), key=lambda row: row.completed_at)


@transaction.atomic
def task_return(*, user, task_pk: int, target_pk: int, comment: str) -> HumanTask:
    """Send the case back from the open task to an earlier step. That step re-opens (its
    earlier form data is offered again, see ``previous_form_data``) for whoever handled it;
    what happened in between stays in the history."""
    comment = _require_comment(comment, "退回理由")
    case, task = _acting_task(user, task_pk)
    target = case.tasks.filter(pk=target_pk, status=TaskStatus.COMPLETED).first()
    if target is None or target.spec_name == APPLICANT_SUPPLEMENT:
        raise ActionRefused("只能退回到本案已经办理过的环节")
    workflow, script_engine = _load(case)
    runtime.reset_to(workflow, str(target.task_id))
    _advance(case=case, workflow=workflow, script_engine=script_engine, actor=user)
    reopened = case.tasks.filter(status=TaskStatus.OPEN, task_id=target.task_id).first()
    if reopened is None:
        raise ActionRefused(f"无法退回到“{target.title}”")
    if reopened.lane != APPLICANT_ROLE and target.completed_by_id and \
            user_can_act_on_task(target.completed_by, reopened):
        reopened.assignee_id = target.completed_by_id
        reopened.save(update_fields=["assignee"])
    _audit(case=case, task=task, actor=user, action=AuditAction.RETURNED,
           on_behalf_of=_principal(user, task), comment=comment,
           summary=f"从“{task.title}”退回到“{target.title}”",
           to_step=target.spec_name, from_step=task.spec_name)
    return reopened


@transaction.atomic
def task_return_to_applicant(*, user, task_pk: int, missing: str) -> HumanTask:
    """Ask the applicant for more material (补正) listing everything missing at once. The
    open step waits; when the applicant answers it re-opens for the same person."""
    missing = _require_comment(missing, "需要补正的材料")
    case, task = _acting_task(user, task_pk)
    if task.lane == APPLICANT_ROLE or task.spec_name == APPLICANT_SUPPLEMENT:
        raise ActionRefused("该环节已由申请人办理")
    supplement = HumanTask.objects.create(
        case=case, procedure=case.procedure, task_id=uuid.uuid4(),
        spec_name=APPLICANT_SUPPLEMENT, form_key="generic:supplement", title="补正材料",
        lane=APPLICANT_ROLE, village=case.village, village_path=case.village_path,
        township=task.township, assignee=case.applicant,
        due_at=None, task_data={"missing": missing, "held_task_id": str(task.task_id),
                                "held_title": task.title, "returned_by": user.pk})
    task.status = TaskStatus.CANCELLED
    task.completed_at = timezone.now()
    task.save(update_fields=["status", "completed_at"])
    _audit(case=case, task=task, actor=user, action=AuditAction.RETURNED,
           on_behalf_of=_principal(user, task), comment=missing,
           summary=f"“{task.title}”退回申请人补正材料", to_step=APPLICANT_SUPPLEMENT)
    return supplement


def previous_form_data(task: HumanTask) -> dict:
    """What was entered the last time this step was completed (shown again when a step is
    re-opened by a return or withdrawal), or a delegate's answer awaiting confirmation."""
    if task.delegate_answer:
        return dict(task.delegate_answer)
    earlier = (task.case.tasks.filter(spec_name=task.spec_name, status=TaskStatus.COMPLETED,
                                      task_id=task.task_id)
               .order_by("-completed_at").first())
    return dict(earlier.form_data) if earlier else {}


# ---------------------------------------------------------------------------------------------
# Withdraw (撤回)


def withdrawable(user, case: Case) -> HumanTask | None:
    """The step ``user`` completed last in this case, if it can still be taken back."""
    done = (case.tasks.filter(status=TaskStatus.COMPLETED, completed_by=user)
            .exclude(spec_name=APPLICANT_SUPPLEMENT).order_by("-completed_at").first())
    if done is None or case.status != CaseStatus.RUNNING:
        return None
    return done if _withdraw_blocker(case, done) is None else None


def _withdraw_blocker(case: Case, done: HumanTask) -> str | None:
    later = case.tasks.filter(created_at__gte=done.completed_at).exclude(pk=done.pk)
    for row in later:
        if row.status == TaskStatus.COMPLETED:
            return f"下一环节“{row.title}”已经办理，不能撤回"
        if row.status == TaskStatus.OPEN and row.assignee_id and row.lane != APPLICANT_ROLE:
            return f"下一环节“{row.title}”已被认领，不能撤回"
    if case.documents.filter(created_at__gte=done.completed_at).exists():
        return "该环节之后已出具文书，不能撤回"
    if case.tasks.filter(completed_at__gt=done.completed_at,
                         status=TaskStatus.COMPLETED).exists():
        return "之后已有环节办理，不能撤回"
    return None


@transaction.atomic
def task_withdraw(*, user, task_pk: int, comment: str = "") -> HumanTask:
    """Take back a step the user completed while the next step has not been acted on.
    Racing with the next person's claim: both queue on the case lock, so exactly one wins."""
    case, done = _lock_case_and_task(task_pk)
    if done.status != TaskStatus.COMPLETED or done.completed_by_id != user.pk:
        raise PermissionDenied("只能撤回自己办理的环节")
    if case.status != CaseStatus.RUNNING:
        raise ActionRefused(f"案件{case.get_status_display()}，不能撤回")
    blocker = _withdraw_blocker(case, done)
    if blocker:
        raise ActionRefused(blocker)
    workflow, script_engine = _load(case)
    runtime.reset_to(workflow, str(done.task_id))
    _advance(case=case, workflow=workflow, script_engine=script_engine, actor=user)
    reopened = case.tasks.filter(status=TaskStatus.OPEN, task_id=done.task_id).first()
    if reopened is None:
        raise ActionRefused(f"无法撤回“{done.title}”")
    reopened.assignee = user
    reopened.save(update_fields=["assignee"])
    _audit(case=case, task=reopened, actor=user, action=AuditAction.WITHDRAWN, comment=comment,
           summary=f"撤回“{done.title}”")
    return reopened


# ---------------------------------------------------------------------------------------------
# Transfer (转办) and delegate (委派)


def _user_offered(task: HumanTask, other) -> bool:
    from .selectors import _own_offered_q

    return HumanTask.objects.filter(pk=task.pk).filter(_own_offered_q(other)).exists()


@transaction.atomic
def task_transfer(*, user, task_pk: int, to_user, comment: str) -> HumanTask:
    """Hand the task to a colleague with the same role in the same jurisdiction."""
    case, task = _acting_task(user, task_pk)
    if task.lane == APPLICANT_ROLE or task.delegated_by_id:
        raise ActionRefused("该任务不能转办")
    if to_user.pk == user.pk or not to_user.is_active or not _user_offered(task, to_user):
        raise ActionRefused("只能转办给本辖区具有相同角色的其他人员")
    previous = task.assignee
    task.assignee = to_user
    task.save(update_fields=["assignee"])
    _audit(case=case, task=task, actor=user, action=AuditAction.TRANSFERRED,
           on_behalf_of=_principal(user, task), comment=comment,
           summary=f"“{task.title}”转办给{to_user.get_full_name() or to_user}",
           to_user=to_user.pk, from_user=previous.pk if previous else None)
    return task


@transaction.atomic
def task_delegate(*, user, task_pk: int, to_user, comment: str) -> HumanTask:
    """Ask a colleague of the case's jurisdiction to do the work; their answer comes back to
    the user to confirm (the owner still decides)."""
    case, task = _acting_task(user, task_pk)
    if task.lane == APPLICANT_ROLE or task.delegated_by_id:
        raise ActionRefused("该任务不能委派")
    if to_user.pk == user.pk or not to_user.is_active or \
            not user_has_jurisdiction(to_user, case):
        raise ActionRefused("只能委派给本辖区的工作人员")
    task.delegated_by = user
    task.delegate_answer = None
    task.assignee = to_user
    task.save(update_fields=["delegated_by", "delegate_answer", "assignee"])
    _audit(case=case, task=task, actor=user, action=AuditAction.DELEGATED,
           on_behalf_of=_principal(user, task), comment=comment,
           summary=f"“{task.title}”委派给{to_user.get_full_name() or to_user}",
           to_user=to_user.pk)
    return task


# ---------------------------------------------------------------------------------------------
# Add and remove signers (加签 / 减签)


@transaction.atomic
def signer_add(*, user, task_pk: int, signer, position: str, comment: str) -> HumanTask:
    """Add a signer to the open step: "before" — they sign before the owner may complete it;
    "after" — they sign after the owner, and the case moves on only then."""
    if position not in ("before", "after"):
        raise ActionRefused("请选择前加签或后加签")
    case, task = _acting_task(user, task_pk)
    if task.spec_name in (APPLICANT_SUPPLEMENT, CO_SIGN) or task.lane == APPLICANT_ROLE:
        raise ActionRefused("该环节不能加签")
    if signer.pk == user.pk or not signer.is_active or not user_has_jurisdiction(signer, case):
        raise ActionRefused("只能加签本辖区的其他工作人员")
    if case.tasks.filter(status=TaskStatus.OPEN, spec_name=CO_SIGN, assignee=signer,
                         task_data__held_task_id=str(task.task_id)).exists():
        raise ActionRefused("该人员已在本环节加签")
    label = "前加签" if position == "before" else "后加签"
    co_sign = HumanTask.objects.create(
        case=case, procedure=case.procedure, task_id=uuid.uuid4(), spec_name=CO_SIGN,
        form_key="generic:opinion", title=f"{label}：{task.title}", lane=task.lane,
        village=case.village, village_path=case.village_path, township=task.township,
        candidate_unit=task.candidate_unit, due_at=task.due_at,
        due_uncertain_years=task.due_uncertain_years, assignee=signer,
        task_data={"held_task_id": str(task.task_id), "position": position,
                   "added_by": user.pk, "comment": comment})
    _audit(case=case, task=task, actor=user, action=AuditAction.SIGNER_ADDED,
           on_behalf_of=_principal(user, task), comment=comment,
           summary=f"“{task.title}”{label}{signer.get_full_name() or signer}", signer=signer.pk,
           position=position)
    return co_sign


@transaction.atomic
def signer_remove(*, user, co_sign_pk: int, comment: str) -> HumanTask:
    """Remove a signer who has not signed yet (减签): an added signer, by whoever added them
    or the owner of the step (if the owner's answer was waiting only for them, it takes
    effect); or one signer of a multi-instance step (会签/或签/票签), by another signer of
    it or the county supervisor — their instance ends with ``decision = "removed"``, which
    the diagram's tally leaves out."""
    from .services import _complete_diagram_task, _open_co_signs

    case, co_sign = _lock_case_and_task(co_sign_pk)
    if co_sign.status != TaskStatus.OPEN:
        raise ActionRefused("只能减去尚未签署的人员")
    if co_sign.spec_name != CO_SIGN:
        return _multi_instance_signer_remove(case=case, task=co_sign, user=user,
                                             comment=comment)
    held = case.tasks.filter(status=TaskStatus.OPEN,
                             task_id=co_sign.task_data["held_task_id"]).first()
    if co_sign.task_data.get("added_by") != user.pk and not (
            held is not None and user_can_act_on_task(user, held)):
        raise PermissionDenied("只有加签发起人或本环节办理人可以减签")
    co_sign.status = TaskStatus.CANCELLED
    co_sign.completed_at = timezone.now()
    co_sign.save(update_fields=["status", "completed_at"])
    _audit(case=case, task=co_sign, actor=user, action=AuditAction.SIGNER_REMOVED,
           comment=comment, summary=f"减签{co_sign.assignee.get_full_name() or co_sign.assignee}")
    if held is not None:
        held.case = case
        stash = held.task_data.get("stashed_completion")
        if stash and not _open_co_signs(held, "after").exists():
            _complete_diagram_task(case=case, task=held, user=held.completed_by,
                                   form_data=stash, principal=None)
    return co_sign


def _multi_instance_signer_remove(*, case, task, user, comment) -> HumanTask:
    from .services import _complete_diagram_task

    workflow, _ = _load(case)
    if not runtime.is_multi_instance_child(workflow, str(task.task_id)):
        raise ActionRefused("只能减去尚未签署的加签或会签人员")
    siblings = case.tasks.filter(status=TaskStatus.OPEN, spec_name=task.spec_name).exclude(
        pk=task.pk)
    if not (user.has_perm("engine.supervise_unit", case.village.county)
            or any(s.assignee_id == user.pk for s in siblings)):
        raise PermissionDenied("只有同一环节的其他签署人或县级主管可以减签")
    if not siblings.exists():
        raise ActionRefused("至少要保留一名签署人")
    removed = task.assignee
    _complete_diagram_task(case=case, task=task, user=user, principal=None,
                           form_data={"decision": "removed", "opinion": comment or "减签"})
    _audit(case=case, task=task, actor=user, action=AuditAction.SIGNER_REMOVED,
           comment=comment, summary=f"减签{removed.get_full_name() or removed}")
    return task


# ---------------------------------------------------------------------------------------------
# Substitutes (代理)


@transaction.atomic
def substitution_set(*, user, substitute, starts_on: date, ends_on: date) -> Substitution:
    """While ``user`` is away, tasks offered to them are offered to ``substitute`` too."""
    if ends_on < starts_on:
        raise ActionRefused("结束日期不能早于开始日期")
    own_counties = {a.unit.county.pk for a in RoleAssignment.objects.filter(user=user)
                    .select_related("unit")}
    their_counties = {a.unit.county.pk for a in RoleAssignment.objects.filter(user=substitute)
                      .select_related("unit")}
    if not own_counties or not own_counties & their_counties or substitute.pk == user.pk:
        raise ActionRefused("代理人必须是本县（区）的其他工作人员")
    substitution = Substitution(user=user, substitute=substitute, starts_on=starts_on,
                                ends_on=ends_on)
    substitution.full_clean()
    substitution.save()
    AuditEntry.objects.create(actor=user, action=AuditAction.SETTINGS,
                              summary=f"设置代理人{substitute.get_full_name() or substitute}",
                              data={"substitute": substitute.pk, "from": str(starts_on),
                                    "to": str(ends_on)})
    return substitution


# ---------------------------------------------------------------------------------------------
# Suspend, resume, void (county supervisors)


def _supervised_case(user, case_pk: int) -> Case:
    case_get_for_user(user, case_pk)  # 404 outside the jurisdiction
    case = Case.objects.select_for_update(of=("self",)).select_related("village").get(
        pk=case_pk)
    if not user.has_perm("engine.supervise_unit", case.village.county):
        raise PermissionDenied("只有县民政局主管人员可以挂起、恢复或作废案件")
    return case


@transaction.atomic
def case_suspend(*, user, case_pk: int, reason: str) -> Case:
    """Stop a case: no action is accepted and its timers do not fire until it is resumed."""
    reason = _require_comment(reason, "挂起原因")
    case = _supervised_case(user, case_pk)
    if case.status != CaseStatus.RUNNING:
        raise ActionRefused(f"案件{case.get_status_display()}，不能挂起")
    case.status = CaseStatus.SUSPENDED
    case.save(update_fields=["status", "updated_at"])
    _audit(case=case, task=None, actor=user, action=AuditAction.SUSPENDED, comment=reason,
           summary="挂起案件")
    return case


@transaction.atomic
def case_resume(*, user, case_pk: int, reason: str) -> Case:
    reason = _require_comment(reason, "恢复原因")
    case = _supervised_case(user, case_pk)
    if case.status != CaseStatus.SUSPENDED:
        raise ActionRefused("只有已挂起的案件可以恢复")
    case.status = CaseStatus.RUNNING
    case.save(update_fields=["status", "updated_at"])
    _audit(case=case, task=None, actor=user, action=AuditAction.RESUMED, comment=reason,
           summary="恢复案件")
    # A waiting case (候补) suspended when its turn came kept the place; it is told now.
    from .services import _quota_grants_deliver
    _quota_grants_deliver(case=case, actor=user)
    return case


@transaction.atomic
def case_void(*, user, case_pk: int, reason: str) -> Case:
    """End a case for good (作废): its open tasks are cancelled; the history stays."""
    reason = _require_comment(reason, "作废原因")
    case = _supervised_case(user, case_pk)
    if case.status not in (CaseStatus.RUNNING, CaseStatus.SUSPENDED):
        raise ActionRefused(f"案件{case.get_status_display()}，不能作废")
    now = timezone.now()
    case.tasks.filter(status=TaskStatus.OPEN).update(status=TaskStatus.CANCELLED,
                                                     completed_at=now)
    case.status = CaseStatus.VOIDED
    case.next_timer_at = None
    case.completed_at = now
    case.save(update_fields=["status", "next_timer_at", "completed_at", "updated_at"])
    _audit(case=case, task=None, actor=user, action=AuditAction.VOIDED, comment=reason,
           summary="作废案件")
    # Its quota places go back (to the first case on the waiting list) and it leaves any
    # waiting list: a voided case must not keep a place nobody will use.
    from .services import quota_release_all
    quota_release_all(case=case, actor=user)
    # The case's documents lose their force with it (verification shows 已作废).
    from .issuers import documents_void_for_case
    documents_void_for_case(case=case, user=user, reason=reason)
    return case


__all__ = [
    "ActionRefused", "TaskAlreadyHandled", "case_resume", "case_suspend", "case_void",
    "previous_form_data", "principals_of", "returnable_steps", "signer_add", "signer_remove",
    "substitution_set",
    "task_delegate", "task_return", "task_return_to_applicant", "task_transfer",
    "task_withdraw", "withdrawable",
]
