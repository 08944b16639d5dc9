"""Field-level visibility: who sees a case's sensitive data in full (最小必要).

A procedure declares, in its ``VisibilityPolicy`` (registered from ``workflows/``):

* ``fields``: case-data / form field names that are sensitive, each with its kind —
  ``bank_account`` (shown as 6222********1234) or ``confidential`` (free text such as a
  diagnosis, shown as "（仅审批人员可见）");
* ``attachments``: upload field names whose files are sensitive (e.g. 诊断证明);
* ``deciding_steps``: the diagram's user-task ids that carry a decision.

Who sees a sensitive item in full is decided here, the same way for every page and output:
the applicant (it is their own data); and staff who may act now on, or have acted on, a
deciding step of the case — or a step the item itself lists in ``also_for`` (e.g. the
acceptance check that must open the certificates to judge completeness). Everyone else —
village staff, reviewers of other steps, CC recipients — sees the masked form. The uploader
of a file always sees their own upload. The engine names no role: "deciding" is whatever
steps the procedure declares, so a county's edited diagram or a later least-privilege rule
changes data, not this module.
"""
from collections.abc import Mapping
from dataclasses import dataclass, field

BANK_ACCOUNT = "bank_account"
CONFIDENTIAL = "confidential"
KINDS = (BANK_ACCOUNT, CONFIDENTIAL)
HIDDEN_TEXT = "（仅审批人员可见）"


@dataclass(frozen=True)
class Sensitive:
    kind: str
    # Further steps (BPMN user-task ids) whose handlers need the item in full.
    also_for: tuple[str, ...] = ()

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown sensitive kind {self.kind!r}; one of {KINDS}")


@dataclass(frozen=True)
class VisibilityPolicy:
    fields: Mapping[str, Sensitive] = field(default_factory=dict)
    attachments: Mapping[str, Sensitive] = field(default_factory=dict)
    # None: the steps whose form records a ``decision`` (filled in by ``workflows`` when the
    # procedure is registered).
    deciding_steps: frozenset[str] | None = None

    def steps_needed(self) -> set[str]:
        steps = set(self.deciding_steps or ())
        for rule in (*self.fields.values(), *self.attachments.values()):
            steps.update(rule.also_for)
        return steps


NO_POLICY = VisibilityPolicy()
_POLICIES: dict[str, VisibilityPolicy] = {}


def register_policy(procedure_key: str, policy: VisibilityPolicy) -> None:
    _POLICIES[procedure_key] = policy


def policy_for(procedure_key: str) -> VisibilityPolicy:
    """The procedure's policy; a procedure that declares none has nothing sensitive."""
    return _POLICIES.get(procedure_key, NO_POLICY)


def mask_bank_account(value) -> str:
    """"6222021234567891234" → "6222***********1234": the bank and the last four digits,
    enough to confirm the account with the applicant, not enough to use it."""
    text = "".join(str(value).split())
    if len(text) <= 8:
        return "*" * len(text)
    return text[:4] + "*" * (len(text) - 8) + text[-4:]


def masked(kind: str, value) -> str:
    if value in (None, ""):
        return value
    if kind == BANK_ACCOUNT:
        return mask_bank_account(value)
    return HIDDEN_TEXT


@dataclass
class CaseViewer:
    """What one user may see of one case; build it once per page (``case_viewer``)."""

    policy: VisibilityPolicy
    user_pk: int | None
    own_case: bool = False
    steps: frozenset[str] = frozenset()

    def _full(self, rule: Sensitive) -> bool:
        if self.own_case:
            return True
        return bool(self.steps & (set(self.policy.deciding_steps or ()) | set(rule.also_for)))

    def sees(self, name: str) -> bool:
        """May the user see field ``name`` in full? (Fields not declared: yes.)"""
        rule = self.policy.fields.get(name)
        return rule is None or self._full(rule)

    def value(self, name: str, value):
        """``value`` of field ``name`` as this user may see it."""
        if self.sees(name):
            return value
        return masked(self.policy.fields[name].kind, value)

    def data(self, data: dict) -> dict:
        """A copy of case or form data with every sensitive field masked for this user (for
        any output that passes data on whole: exports, JSON, templates)."""
        return {name: self.value(name, value) for name, value in data.items()}

    def sees_upload(self, field_name: str, uploaded_by_pk: int | None) -> bool:
        rule = self.policy.attachments.get(field_name)
        if rule is None or (uploaded_by_pk is not None and uploaded_by_pk == self.user_pk):
            return True
        return self._full(rule)

    def sees_attachment(self, attachment) -> bool:
        return self.sees_upload(attachment.field, attachment.uploaded_by_id)

    @property
    def masks_anything(self) -> bool:
        return not self.own_case and any(
            not self._full(rule) for rule in (*self.policy.fields.values(),
                                              *self.policy.attachments.values()))


def case_viewer(user, case) -> CaseViewer:
    """The user's view of ``case``: the applicant sees their own data; staff see in full what
    a step they may act on now, or have acted on, needs (see the module docstring)."""
    from .models import TaskStatus
    from .selectors import user_can_act_on_task

    policy = policy_for(case.procedure)
    user_pk = user.pk if user.is_authenticated else None
    if user_pk is None:
        return CaseViewer(policy=policy, user_pk=None)
    if case.applicant_id is not None and case.applicant_id == user_pk:
        return CaseViewer(policy=policy, user_pk=user_pk, own_case=True)
    needed = policy.steps_needed()
    if not needed:
        return CaseViewer(policy=policy, user_pk=user_pk)
    steps = set()
    rows = case.tasks.filter(spec_name__in=needed,
                             status__in=[TaskStatus.OPEN, TaskStatus.COMPLETED])
    for task in rows:
        if task.spec_name in steps:
            continue
        if task.status == TaskStatus.COMPLETED:
            # Acted on by the user themself (a substitute's own view is its open tasks).
            if task.completed_by_id == user_pk:
                steps.add(task.spec_name)
        elif user_can_act_on_task(user, task):  # substitutes included (代理)
            steps.add(task.spec_name)
    return CaseViewer(policy=policy, user_pk=user_pk, steps=frozenset(steps))
