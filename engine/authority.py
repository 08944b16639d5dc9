"""Decision authority (审批权限): what the decider of a user task may grant.

A diagram declares it on the user task (``spiffworkflow:property``):

* ``decision_limit`` — an expression evaluated in the sandbox against the task's data when
  the task opens, giving the largest amount (yuan) this decider may grant; e.g.
  ``township_limit`` (an output of the decision table that routed the case, so a supervisor
  who edits the table changes routing and authority together) or
  ``county_settings["dibao_monthly"] * 3``.
* ``decision_amount_field`` — the form field holding the granted amount (default
  ``approved_amount``).
* ``decision_grants`` — an expression over the case data updated with the completion's form
  data, true when the completion grants something (default ``decision == "approve"``). A
  completion that does not grant (refuses, or sends the case up a level) is not limited.

The limit is evaluated once, when the task opens, and kept on the inbox row
(``HumanTask.task_data["decision_authority"]``): the page shows the decider the limit the
engine will hold them to, and a later edit of the table applies to tasks opened after it.
Every completion (task page, delegate's answer and the owner's confirmation, an added
signer's stash, an API) passes ``completion_check`` inside the case lock, so an amount above
the limit is refused with nothing saved.
"""
from decimal import Decimal, InvalidOperation

from .runtime import RuntimeFailure
from .services import ActionRefused

AUTHORITY_KEY = "decision_authority"
DEFAULT_AMOUNT_FIELD = "approved_amount"
DEFAULT_GRANTS = 'decision == "approve"'
PROPERTIES = ("decision_limit", "decision_amount_field", "decision_grants")


class AuthorityRefused(ActionRefused):
    """A completion that grants cannot be checked against the decider's authority (no amount,
    not a number): refused rather than let through unchecked."""


class AuthorityExceeded(AuthorityRefused):
    """The granted amount is above what this level may decide: the case must go up a level."""


def _decimal(value) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def yuan(value) -> str:
    """3000 → "3000", 3000.01 → "3000.01" (how amounts are written in messages)."""
    number = _decimal(value)
    if number is None:
        return str(value)
    if number == number.to_integral_value():
        return str(int(number))
    return f"{number.quantize(Decimal('0.01')):f}"


def task_data_with_authority(ready_task) -> dict:
    """The inbox row's ``task_data`` for a ready task: its own, plus the decider's authority
    when the task declares ``decision_limit`` (already evaluated by the runtime)."""
    properties = ready_task.properties
    if properties.get("decision_limit") in (None, ""):
        return ready_task.data
    limit = _decimal(properties["decision_limit"])
    if limit is None or limit < 0:
        raise RuntimeFailure(f"任务“{ready_task.title}”的审批权限 decision_limit 不是金额："
                             f"{properties['decision_limit']!r}")
    authority = {
        "limit": int(limit) if limit == limit.to_integral_value() else float(limit),
        "amount_field": str(properties.get("decision_amount_field") or DEFAULT_AMOUNT_FIELD
                            ).strip(),
        "grants": str(properties.get("decision_grants") or DEFAULT_GRANTS).strip(),
    }
    return {**ready_task.data, AUTHORITY_KEY: authority}


def task_authority(task) -> dict | None:
    """The authority stored on an inbox row, or None when its task declares none."""
    return (task.task_data or {}).get(AUTHORITY_KEY)


def completion_check(*, task, case_data: dict, form_data: dict) -> None:
    """Refuse (``AuthorityExceeded``/``AuthorityRefused``) a completion of ``task`` that grants
    more than its decider's limit. The data judged is what the workflow will hold after the
    completion: the case data updated with the form data."""
    from .sandbox import SandboxEnvironment

    authority = task_authority(task)
    if not authority:
        return
    after = {**case_data, **form_data}
    try:
        grants = SandboxEnvironment({}).evaluate(authority["grants"], dict(after))
    except Exception as exc:  # noqa: BLE001 - any failure means the grant cannot be checked
        raise AuthorityRefused(f"无法判断本次办理是否批准（{authority['grants']}）：{exc}；"
                               f"未保存") from exc
    if not grants:
        return
    field = authority["amount_field"]
    raw = after.get(field)
    if raw in (None, ""):
        raise AuthorityRefused("批准时必须填写批准金额")
    amount = _decimal(raw)
    if amount is None or amount < 0:
        raise AuthorityRefused(f"批准金额“{raw}”不是有效金额")
    limit = Decimal(str(authority["limit"]))
    if amount > limit:
        raise AuthorityExceeded(f"批准金额 {yuan(amount)} 元超过本级审批权限（{yuan(limit)} 元），"
                                f"请按程序报上级审批")
