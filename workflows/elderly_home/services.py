"""Writes of the elderly-home adaptation programme beyond the engine's own steps."""
from django.core.exceptions import PermissionDenied, ValidationError

from engine.models import Case
from engine.selectors import case_get_for_user, role_assignments
from engine.services import (
    RuntimeFailure,
    TaskAlreadyHandled,
    case_send_message,
    case_waiting_messages,
)

PROCEDURE_KEY = "elderly_home_adaptation"
# The BPMN message every step before works waits for (boundary events in the diagram).
WITHDRAW_MESSAGE = "withdraw"


def may_withdraw(user, case: Case) -> bool:
    """The applicant, or for a case filed on someone's behalf the village's staff."""
    if case.applicant_id is not None:
        return case.applicant_id == user.pk
    # Filed on behalf (村委会代办): the village staff who act for the applicant withdraw.
    return any(a.role_id == "village_staff" and case.village.path.startswith(a.unit.path)
               for a in role_assignments(user))


def application_withdraw(*, case_pk: int, user, reason: str) -> Case:
    """The applicant withdraws before works start; a quota place already taken is released
    by the diagram (``release_quota``). Outsiders get 404, others 403; after works started
    (or once finished) a ``ValidationError`` says the application can no longer be withdrawn.
    """
    case = case_get_for_user(user, case_pk)
    if case.procedure != PROCEDURE_KEY:
        raise ValidationError("该案件不是居家适老化改造申请")
    if not may_withdraw(user, case):
        raise PermissionDenied("只有申请人本人（或代办的村协理员）可以撤回申请")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请填写撤回原因")
    not_now = ValidationError("改造已开始施工或申请已办结，不能再撤回")
    if case.status != "running" or WITHDRAW_MESSAGE not in case_waiting_messages(case):
        raise not_now
    try:
        return case_send_message(case_pk=case.pk, message=WITHDRAW_MESSAGE,
                                 payload={"reason": reason,
                                          "by": user.get_full_name() or user.username},
                                 actor=user)
    except (RuntimeFailure, TaskAlreadyHandled):  # the case moved on between the check and the lock
        raise not_now from None
