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

Per-task views (最小必要, least privilege): a user who sees a case *only* through tasks — a
department, the assessor, the works provider, the supervising unit (roles of reach
``RoleReach.TASK``, see ``engine.selectors``) — sees only what those tasks declare in the
policy's ``task_views`` (``TaskView``: application fields, upload fields, document types,
and earlier steps whose submitted forms the handler reads). Everything else is absent from
the case and task pages, the history, downloads and the data an API would return. A task
with no declaration shows nothing but the case's title, applicant name and village. The
applicant, copy recipients and the bureau's own roles are not restricted this way (the
sensitive-field rules above still apply to them).
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
class TaskView:
    """What the handler of one step needs of the case, when that step is their only way in.

    ``fields``: application / case-data field names; ``attachments``: upload field names
    (of the application or of any step); ``documents``: document type codes they may open;
    ``steps``: earlier steps (BPMN ids) whose submitted forms they read in the history. Their
    own step's submissions are always theirs to see."""

    fields: tuple[str, ...] = ()
    attachments: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()


@dataclass(frozen=True)
class VisibilityPolicy:
    fields: Mapping[str, Sensitive] = field(default_factory=dict)
    attachments: Mapping[str, Sensitive] = field(default_factory=dict)
    # None: the steps whose form records a ``decision`` (filled in by ``workflows`` when the
    # procedure is registered).
    deciding_steps: frozenset[str] | None = None
    # BPMN user-task id → what its handler sees when the task is their only way in.
    task_views: Mapping[str, TaskView] = field(default_factory=dict)

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
    # None: the whole case (sensitive items aside). Otherwise the steps through which alone
    # the user sees the case: only their ``TaskView``s are shown.
    task_scope: frozenset[str] | None = None
    # The user's own tasks of the case when task-scoped (their submissions are theirs to see).
    task_pks: frozenset[int] = frozenset()

    def _full(self, rule: Sensitive) -> bool:
        if self.own_case:
            return True
        return bool(self.steps & (set(self.policy.deciding_steps or ()) | set(rule.also_for)))

    @property
    def restricted(self) -> bool:
        return self.task_scope is not None

    def _views(self) -> list[TaskView]:
        return [self.policy.task_views[spec] for spec in sorted(self.task_scope or ())
                if spec in self.policy.task_views]

    def shows(self, name: str) -> bool:
        """Is field ``name`` on the user's pages at all (masked or not)?"""
        if self.task_scope is None:
            return True
        return any(name in view.fields for view in self._views())

    def shows_step(self, spec_name: str, task_pk: int | None = None) -> bool:
        """May the user read what was submitted at step ``spec_name`` (task ``task_pk``)? A
        task-scoped user: their own tasks, and the earlier steps their tasks declare — not a
        fellow department's answer to the same step."""
        if self.task_scope is None:
            return True
        return (task_pk is not None and task_pk in self.task_pks) or any(
            spec_name in view.steps for view in self._views())

    def for_step(self, spec_name: str, task_pk: int | None = None) -> "CaseViewer":
        """The view of what was submitted at a step the user may read (``shows_step``):
        all of that step's form, sensitive items still masked."""
        if self.task_scope is None or not self.shows_step(spec_name, task_pk):
            return self
        from dataclasses import replace

        return replace(self, task_scope=None)

    def shows_document(self, doc_type_code: str) -> bool:
        if self.task_scope is None:
            return True
        return any(doc_type_code in view.documents for view in self._views())

    def sees(self, name: str) -> bool:
        """May the user see field ``name`` in full? (Fields not declared: yes, when shown.)"""
        if not self.shows(name):
            return False
        rule = self.policy.fields.get(name)
        return rule is None or self._full(rule)

    def value(self, name: str, value):
        """``value`` of field ``name`` as this user may see it (None when not shown)."""
        if not self.shows(name):
            return None
        if self.sees(name):
            return value
        return masked(self.policy.fields[name].kind, value)

    def data(self, data: dict) -> dict:
        """A copy of case or form data with every sensitive field masked and every field not
        shown left out, for this user (for any output that passes data on whole: exports,
        JSON, templates)."""
        return {name: self.value(name, value) for name, value in data.items()
                if self.shows(name)}

    def sees_upload(self, field_name: str, uploaded_by_pk: int | None) -> bool:
        if uploaded_by_pk is not None and uploaded_by_pk == self.user_pk:
            return True
        if self.task_scope is not None and not any(field_name in view.attachments
                                                   for view in self._views()):
            return False
        rule = self.policy.attachments.get(field_name)
        if rule is None:
            return True
        return self._full(rule)

    def shows_upload(self, field_name: str, uploaded_by_pk: int | None) -> bool:
        """Is the upload listed at all (perhaps as hidden)? Not for a task-scoped user
        whose tasks do not declare it."""
        if self.task_scope is None or (uploaded_by_pk is not None
                                       and uploaded_by_pk == self.user_pk):
            return True
        return any(field_name in view.attachments for view in self._views())

    def sees_attachment(self, attachment) -> bool:
        return self.sees_upload(attachment.field, attachment.uploaded_by_id)

    def shows_attachment(self, attachment) -> bool:
        return self.shows_upload(attachment.field, attachment.uploaded_by_id)

    @property
    def masks_anything(self) -> bool:
        return not self.own_case and any(
            not self._full(rule) for rule in (*self.policy.fields.values(),
                                              *self.policy.attachments.values()))


def case_viewer(user, case) -> CaseViewer:
    """The user's view of ``case``: the applicant sees their own data; staff see in full what
    a step they may act on now, or have acted on, needs (see the module docstring); a user
    who sees the case only through tasks sees only what those tasks declare."""
    from .models import Case, TaskStatus
    from .selectors import case_full_view_q, task_stakes, user_can_act_on_task

    policy = policy_for(case.procedure)
    user_pk = user.pk if user.is_authenticated else None
    if user_pk is None:
        return CaseViewer(policy=policy, user_pk=None, task_scope=frozenset())
    if case.applicant_id is not None and case.applicant_id == user_pk:
        return CaseViewer(policy=policy, user_pk=user_pk, own_case=True)
    task_scope, task_pks = None, frozenset()
    if not Case.objects.filter(pk=case.pk).filter(case_full_view_q(user)).exists():
        stakes = task_stakes(user, case)
        task_scope = frozenset(spec for _, spec in stakes)
        task_pks = frozenset(pk for pk, _ in stakes)
    needed = policy.steps_needed()
    if not needed:
        return CaseViewer(policy=policy, user_pk=user_pk, task_scope=task_scope,
                          task_pks=task_pks)
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
    return CaseViewer(policy=policy, user_pk=user_pk, steps=frozenset(steps),
                      task_scope=task_scope, task_pks=task_pks)
