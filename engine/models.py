"""Engine data: the organisation tree, process definitions, cases, the inbox and the audit trail.

The engine knows nothing about any single procedure. A procedure is a BPMN diagram (plus DMN
tables) deployed as a ``ProcessDefinition``; a ``Case`` is one running instance of it; each
ready user task of a case is one ``HumanTask`` row, which is what inboxes read, so listing
tasks never deserialises a workflow.
"""
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone


class UnitLevel(models.TextChoices):
    COUNTY = "county", "县/区"
    TOWNSHIP = "township", "乡镇/街道"
    VILLAGE = "village", "村/社区"


class Unit(models.Model):
    """A node of the jurisdiction tree: county → township → village.

    ``path`` is a materialised path ("/1/4/9/") so that "jurisdiction contains village" is one
    indexed prefix test instead of a recursive query.
    """

    name = models.CharField(max_length=100)
    level = models.CharField(max_length=10, choices=UnitLevel.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children")
    path = models.CharField(max_length=255, blank=True, db_index=True, editable=False)
    # Issuer prefix for document numbers, e.g. "婺民" for 婺城区民政局 (county units only).
    doc_prefix = models.CharField(max_length=20, blank=True)
    # Issuing office printed on documents, e.g. "金华市婺城区民政局".
    office_name = models.CharField(max_length=100, blank=True)
    # Per-unit settings read by diagrams, e.g. {"dibao_monthly": 1050}.
    settings = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["path"]
        permissions = [("supervise_unit", "可修改本辖区审批流程")]

    def __str__(self):
        return self.name

    _PARENT_LEVEL = {UnitLevel.COUNTY: None, UnitLevel.TOWNSHIP: UnitLevel.COUNTY,
                     UnitLevel.VILLAGE: UnitLevel.TOWNSHIP}

    def clean(self):
        expected = self._PARENT_LEVEL[self.level]
        actual = self.parent.level if self.parent_id else None
        if expected != actual:
            raise ValidationError(f"{self.get_level_display()}的上级必须是"
                                  f"{UnitLevel(expected).label if expected else '无'}")

    def ancestor_at(self, level: str) -> "Unit | None":
        """The unit at ``level`` on the way up from here (self included)."""
        unit = self
        while unit is not None and unit.level != level:
            unit = unit.parent
        return unit

    def contains(self, other: "Unit") -> bool:
        return other.path.startswith(self.path)

    @property
    def county(self) -> "Unit":
        return self.ancestor_at(UnitLevel.COUNTY)


class RoleReach(models.TextChoices):
    """Which cases a role's holders see (engine.selectors ``case_visible_q``)."""

    # The bureau's own roles: every case within the holder's unit of a procedure whose
    # diagram names the role (``ProcessDefinition.roles``).
    PROCEDURE = "procedure", "辖区内本角色参与流程的全部案件"
    # Everyone else (departments, assessors, providers, supervising units): only the cases
    # where the role has or had a task. The default, so a new role sees least.
    TASK = "task", "仅本角色有（或曾有）任务的案件"


class Role(models.Model):
    """A role that BPMN lanes name (``township_staff``, ``department:公安`` ...).

    ``level`` says which unit of the case's village the role's candidate jurisdiction is;
    ``reach`` which of those cases its holders see at all.
    """

    code = models.CharField(max_length=60, primary_key=True)
    name = models.CharField(max_length=60)
    level = models.CharField(max_length=10, choices=UnitLevel.choices, blank=True,
                             help_text="empty for the applicant role")
    reach = models.CharField(max_length=10, choices=RoleReach.choices, default=RoleReach.TASK)

    def __str__(self):
        return self.name


APPLICANT_ROLE = "applicant"


class RoleAssignment(models.Model):
    """User ``user`` holds ``role`` for every case whose village lies within ``unit``."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="role_assignments")
    role = models.ForeignKey(Role, on_delete=models.PROTECT)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role", "unit"],
                                               name="unique_role_assignment")]

    def __str__(self):
        return f"{self.user} {self.role_id}@{self.unit}"


class ProcessDefinition(models.Model):
    """One deployed version of a procedure's diagram and decision tables. Immutable."""

    key = models.CharField(max_length=60, help_text="procedure key, e.g. temporary_relief")
    name = models.CharField(max_length=100)
    # The county whose supervisors deployed this version; null for the version the product
    # ships for every county. A county runs its own latest version if it has one.
    county = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    version = models.PositiveIntegerField()
    process_id = models.CharField(max_length=100, help_text="id of the executable BPMN process")
    bpmn_xml = models.TextField()
    dmn_xml = models.JSONField(default=list, blank=True,
                               help_text="list of DMN documents (XML strings)")
    content_hash = models.CharField(max_length=64, db_index=True)
    # Serialised spec (JSON text), stored once per version rather than once per case. Text,
    # not jsonb: PostgreSQL's jsonb reorders keys and SpiffWorkflow's format depends on order.
    spec_json = models.TextField()
    deployed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    deployed_at = models.DateTimeField(auto_now_add=True)
    comment = models.TextField(blank=True)
    # Role codes the diagram's user tasks are offered to (their lanes, or a literal
    # ``candidate_role``), computed on deploy: holders of a ``RoleReach.PROCEDURE`` role see
    # this version's cases only if it is listed, so an edited diagram changes who sees what.
    roles = models.JSONField(default=list, blank=True, editable=False)
    # Call activities resolved in the county's process library on deploy (engine.library):
    # [{"process_id", "key", "version", "definition" (pk), "element_id"}]. The called
    # versions' specs are in ``spec_json``: a new version of a called process does not
    # change this version; deploying the caller again picks up the newest.
    calls = models.JSONField(default=list, blank=True, editable=False)

    class Meta:
        ordering = ["key", "-version"]
        constraints = [models.UniqueConstraint(fields=["key", "version"],
                                               name="unique_definition_version")]

    def __str__(self):
        return f"{self.key} v{self.version}"


class CaseStatus(models.TextChoices):
    RUNNING = "running", "办理中"
    COMPLETED = "completed", "已办结"
    ERROR = "error", "异常"
    SUSPENDED = "suspended", "已挂起"
    VOIDED = "voided", "已作废"


class Case(models.Model):
    """One running (or finished) instance of a process definition, for one applicant."""

    definition = models.ForeignKey(ProcessDefinition, on_delete=models.PROTECT,
                                   related_name="cases")
    procedure = models.CharField(max_length=60, db_index=True)
    title = models.CharField(max_length=200)
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="cases")
    applicant_name = models.CharField(max_length=50)
    applicant_id_number = models.CharField(max_length=18, blank=True)
    village = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="cases")
    village_path = models.CharField(max_length=255, db_index=True, editable=False)
    status = models.CharField(max_length=12, choices=CaseStatus.choices,
                              default=CaseStatus.RUNNING, db_index=True)
    # What the workflow knows; a copy of the workflow's data kept for pages and documents.
    data = models.JSONField(default=dict)
    # Serialised workflow without its spec (the spec lives on the definition), as JSON text:
    # jsonb would reorder keys, and the order of the task data deltas matters.
    state = models.TextField(blank=True)
    serializer_version = models.CharField(max_length=20, blank=True)
    # Earliest due time of a waiting timer; the periodic sweep reads this index.
    next_timer_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The case list walks this newest first and stops at the page (bench/README.md).
            models.Index(fields=["-created_at"], name="case_newest_first"),
            # Full-ID search and the relief duplicate check (relief_grants_this_year).
            models.Index(fields=["applicant_id_number"], name="case_applicant_id_number"),
            # The dashboard's open cases per village and procedure: index-only (the path and
            # definition are what the count filters on; PostgreSQL, elsewhere the plain
            # index). Not the status: the inbox's capped counts would then hash-join every
            # running case from it instead of looking up the few cases they need (41 vs
            # 10 ms a count at a county's scale, bench/README.md).
            models.Index(fields=["village", "procedure", "definition"], name="case_open_count",
                         include=["village_path", "id"],
                         condition=models.Q(status__in=["running", "suspended", "error"])),
        ]
        # PostgreSQL only (engine/migrations/0021_scale.py, engine/search.py): the name
        # fragments (GIN) and reversed ID numbers (suffix search) indexes.

    def __str__(self):
        return f"{self.title}（{self.applicant_name}）"


class TaskStatus(models.TextChoices):
    OPEN = "open", "待办"
    COMPLETED = "completed", "已办"
    CANCELLED = "cancelled", "已取消"


class HumanTask(models.Model):
    """A ready user task, denormalised for the inbox. Written in the same transaction as the
    case's state, so the inbox never disagrees with the workflow."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    procedure = models.CharField(max_length=60, db_index=True)
    task_id = models.UUIDField(help_text="SpiffWorkflow task id")
    spec_name = models.CharField(max_length=100, help_text="BPMN element id")
    # The diagram's ``form`` property, e.g. "generic:decision" for a task without a form of
    # its own (see engine.validation).
    form_key = models.CharField(max_length=60, blank=True)
    title = models.CharField(max_length=200)
    lane = models.CharField(max_length=60, db_index=True, help_text="role code")
    village = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    village_path = models.CharField(max_length=255, db_index=True)
    # The unit at the lane's level containing the village, shown as "候选辖区".
    candidate_unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+")
    township = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="claimed_tasks")
    # Not indexed on its own: three values over a million rows, and the planner took that
    # index to read every open row instead of the partial indexes below (bench/README.md).
    status = models.CharField(max_length=12, choices=TaskStatus.choices,
                              default=TaskStatus.OPEN)
    # Data the diagram chose to show the task's form (``task_data`` property), e.g. the item
    # of one multi-instance child.
    task_data = models.JSONField(default=dict, blank=True)
    form_data = models.JSONField(default=dict, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # 委派: the owner who delegated the work; the delegate's answer comes back to them.
    delegated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    delegate_answer = models.JSONField(null=True, blank=True)
    # Deadline sweep bookkeeping: each is sent once.
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # Working-day deadlines: what ``due_at`` was counted from, so it can be recounted once a
    # year's holidays are entered (engine.calendar), and the years it crossed whose national
    # holidays were unknown then (the due time is flagged "2027年节假日未配置" until then).
    due_start = models.DateTimeField(null=True, blank=True)
    due_working_days = models.PositiveIntegerField(null=True, blank=True)
    due_uncertain_years = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["due_at", "created_at"]
        # A SpiffWorkflow task re-opened by a return or withdrawal keeps its id, so only one
        # *open* row per task id.
        constraints = [models.UniqueConstraint(fields=["case", "task_id"],
                                               condition=models.Q(status="open"),
                                               name="unique_open_task_per_case")]
        # Open rows are a tenth of the table after a few years: the inbox reads only
        # indexes limited to them (bench/README.md has the EXPLAINs). On PostgreSQL also the
        # "-due" order (due_at DESC NULLS LAST) and the open rows with an unknown-holiday
        # year (engine/migrations/0021_scale.py).
        indexes = [
            # The inbox's order; it also covers the dashboard's overdue count (due before now,
            # grouped by village and procedure, joined to the case): index-only on PostgreSQL.
            # A separate index for the count made the planner scan it whole for the inbox.
            models.Index(fields=["due_at", "created_at", "id"], name="open_task_due",
                         include=["case", "village", "procedure", "village_path"],
                         condition=models.Q(status="open")),
            # Pattern opclasses (PostgreSQL; ignored elsewhere): the jurisdiction test is a
            # LIKE 'path%' prefix, which a plain btree of a non-C collation cannot serve.
            models.Index(fields=["lane", "village_path"], name="open_task_lane_path",
                         opclasses=["varchar_pattern_ops", "varchar_pattern_ops"],
                         condition=models.Q(status="open")),
            models.Index(fields=["assignee"], name="open_task_assignee",
                         condition=models.Q(status="open")),
            # All rows: the visibility rule's "offered to a role of the reader" EXISTS, asked
            # only for the procedures some version of which does not name the role
            # (engine.selectors._task_reach_q) — an empty range of this index, usually.
            models.Index(fields=["lane", "procedure", "village_path"],
                         name="task_lane_procedure_path",
                         opclasses=["varchar_pattern_ops"] * 3),
        ]

    def __str__(self):
        return f"{self.title}（{self.case.applicant_name}）"

    @property
    def due_uncertain_label(self) -> str:
        """"2027年节假日未配置" when the due time crossed a year without holiday data."""
        if not self.due_uncertain_years:
            return ""
        return "、".join(f"{year}年" for year in self.due_uncertain_years) + "节假日未配置"


class StepStat(models.Model):
    """The dashboard's handling times, kept as a running sum: one row per township (or the
    village, for a village outside any township) and step, bumped in the transaction that
    completes a task (``engine.reports.step_stat_record``), so the dashboard never rescans
    the completed tasks."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    unit_path = models.CharField(max_length=255, db_index=True)
    procedure = models.CharField(max_length=60)
    spec_name = models.CharField(max_length=100)
    title = models.CharField(max_length=200)
    completed = models.PositiveIntegerField(default=0)
    total_seconds = models.FloatField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["unit", "procedure", "spec_name", "title"], name="unique_step_stat")]


class CaseMonthStat(models.Model):
    """The dashboard's 12-month trend, kept as running counts: per township (or the village,
    for a village outside any township), procedure and calendar month (local time, stored as
    its first day) the cases filed and the cases decided (办结), bumped in the transaction that
    files or finishes a case (``engine.reports.case_month_filed`` / ``case_month_decided``),
    so the trend never rescans the cases."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    unit_path = models.CharField(max_length=255, db_index=True)
    procedure = models.CharField(max_length=60)
    month = models.DateField()
    filed = models.PositiveIntegerField(default=0)
    decided = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["unit", "procedure", "month"], name="unique_case_month_stat")]


class AuditAction(models.TextChoices):
    DEPLOYED = "deployed", "部署流程"
    STARTED = "started", "发起申请"
    CLAIMED = "claimed", "认领"
    RELEASED = "released", "释放"
    COMPLETED = "completed", "办理"
    DECISION = "decision", "作出决定"
    DOCUMENT = "document", "生成文书"
    TIMER = "timer", "定时器触发"
    FINISHED = "finished", "办结"
    ERROR = "error", "异常"
    QUOTA = "quota", "名额"
    MESSAGE = "message", "外部事件"
    DRAW = "draw", "随机抽取"
    ATTACHMENT = "attachment", "上传附件"
    SETTINGS = "settings", "修改设置"
    RETURNED = "returned", "退回"
    WITHDRAWN = "withdrawn", "撤回"
    TRANSFERRED = "transferred", "转办"
    DELEGATED = "delegated", "委派"
    URGED = "urged", "催办"
    COPIED = "copied", "抄送"
    SUSPENDED = "suspended", "挂起"
    RESUMED = "resumed", "恢复"
    VOIDED = "voided", "作废"
    SIGNER_ADDED = "signer_added", "加签"
    SIGNER_REMOVED = "signer_removed", "减签"
    REMINDED = "reminded", "到期提醒"
    ESCALATED = "escalated", "超时督办"
    MIGRATED = "migrated", "迁移版本"
    NOTICE = "notice", "公示"


class AuditEntry(models.Model):
    """Append-only trail: who did what to which case, when, and what data changed."""

    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="audit")
    task = models.ForeignKey(HumanTask, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    # The user the actor acted for (代理), when not themself.
    on_behalf_of = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    # Set before saving (not auto_now_add) because the entry's hash covers it.
    at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    summary = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    # Tamper evidence (engine.audit): position in the case's chain, the previous entry's hash
    # and this entry's HMAC.
    chain = models.CharField(max_length=40, blank=True, editable=False)
    seq = models.PositiveIntegerField(default=0, editable=False)
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    entry_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name_plural = "audit entries"
        constraints = [models.UniqueConstraint(fields=["chain", "seq"],
                                               condition=~models.Q(chain=""),
                                               name="one_audit_entry_per_chain_position")]

    def save(self, *args, **kwargs):
        # The one place every entry passes (objects.create calls it), so chaining cannot be
        # forgotten by a caller; the database trigger backs up the append-only rule.
        if self.pk is not None:
            raise ValidationError("audit entries are append-only")
        from .audit import audit_entry_link

        # No savepoint of its own inside the caller's transaction (two round trips per
        # entry): a failure here fails the whole step, which is what must happen anyway.
        with transaction.atomic(savepoint=False):
            audit_entry_link(self)
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("audit entries are append-only")


class AuditChain(models.Model):
    """The head of one audit chain (a case's, or the system's): its length and last hash.
    Its row lock serialises appends to the chain."""

    key = models.CharField(max_length=40, unique=True)
    length = models.PositiveIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True)

    def __str__(self):
        return f"{self.key} ({self.length})"


class DocumentSequence(models.Model):
    """The last number used per issuer, document type and year (婺民救〔2026〕12号)."""

    issuer_code = models.CharField(max_length=20)
    doc_type = models.CharField(max_length=60)
    year = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer_code", "doc_type", "year"],
                                               name="unique_document_sequence")]


class DocumentStatus(models.TextChoices):
    PENDING = "pending", "生成中"
    READY = "ready", "已生成"
    FAILED = "failed", "生成失败"


class DocumentValidity(models.TextChoices):
    VALID = "valid", "有效"
    REVOKED = "revoked", "已撤销"
    VOIDED = "voided", "已作废"


class Document(models.Model):
    """An issued document. Its number is allocated with the decision and never changes;
    re-rendering keeps it. The PDF lives in the database so every server can serve it."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="documents")
    doc_type = models.CharField(max_length=60)
    title = models.CharField(max_length=100)
    issuer_code = models.CharField(max_length=20)
    year = models.PositiveIntegerField()
    sequence = models.PositiveIntegerField()
    number = models.CharField(max_length=60, unique=True)
    issued_on = models.DateField()
    issuer_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    holder_name = models.CharField(max_length=50)
    holder_id_masked = models.CharField(max_length=18, blank=True)
    # Case data frozen at issue time, so a re-render prints the same facts.
    context = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=DocumentStatus.choices,
                              default=DocumentStatus.PENDING)
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Last time the outbox sweep handed a pending render to the broker (engine.outbox).
    enqueued_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Who decided, and in which legal form (engine/issuers.py): the township whose officer
    # decided, when it was not the issuer's own officer (委托: the county issues, the
    # township handles; 下放: the township issues in its own name). Null: the issuer decided.
    handling_unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    issuer_form = models.CharField(max_length=10, blank=True,
                                   help_text='"" (the county decided), "entrusted", "devolved" or '
                                             '"own" (the township\'s own power)')
    # Current legal status, shown on the public verification page.
    validity = models.CharField(max_length=10, choices=DocumentValidity.choices,
                                default=DocumentValidity.VALID)
    validity_changed_at = models.DateTimeField(null=True, blank=True)
    validity_changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                            on_delete=models.PROTECT, related_name="+")
    validity_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["issuer_code", "doc_type", "year",
                                                       "sequence"],
                                               name="unique_document_sequence_number")]

    def __str__(self):
        return f"{self.title} {self.number}"


# ---------------------------------------------------------------------------------------------
# 报县备案: a township's decision filed with the county (engine/issuers.py)


class FilingStatus(models.TextChoices):
    PENDING = "pending", "待审查"
    CONFIRMED = "confirmed", "已确认备案"
    QUESTIONED = "questioned", "已提出意见"


class DocumentFiling(models.Model):
    """A document a township decided, filed with the county (报县备案) for its review: the
    county confirms the filing or records an opinion questioning it."""

    document = models.OneToOneField(Document, on_delete=models.PROTECT, related_name="filing")
    county = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    township = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=FilingStatus.choices,
                              default=FilingStatus.PENDING, db_index=True)
    filed_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    opinion = models.TextField(blank=True)

    class Meta:
        ordering = ["-filed_at", "-pk"]

    def __str__(self):
        return f"{self.township}备案：{self.document}"


class Quota(models.Model):
    """A yearly number of places per unit for a programme run against quotas (e.g. 50
    elderly-home adaptations for 罗店镇 in 2026). The county edits ``capacity``; ``used``
    changes only through ``engine.services`` under this row's lock."""

    key = models.CharField(max_length=60)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="quotas")
    year = models.PositiveIntegerField()
    capacity = models.PositiveIntegerField()
    used = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["key", "year", "unit__path"]
        constraints = [
            models.UniqueConstraint(fields=["key", "unit", "year"], name="unique_quota"),
            models.CheckConstraint(condition=models.Q(used__lte=models.F("capacity")),
                                   name="quota_used_within_capacity"),
        ]

    def __str__(self):
        return f"{self.unit} {self.year} {self.key} {self.used}/{self.capacity}"

    @property
    def remaining(self) -> int:
        return self.capacity - self.used


class QuotaReservation(models.Model):
    """One case holding one place of a quota; released on rejection, withdrawal or void."""

    quota = models.ForeignKey(Quota, on_delete=models.PROTECT, related_name="reservations")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="quota_reservations")
    reserved_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["quota", "case"], condition=models.Q(released_at__isnull=True),
            name="one_live_reservation_per_case")]


class WaitingStatus(models.TextChoices):
    WAITING = "waiting", "候补中"
    GRANTED = "granted", "已递补"
    LEFT = "left", "已退出候补"


class QuotaWaiting(models.Model):
    """A case approved while its quota was full, waiting for a place (候补), in filing order.

    Written only by ``engine.services`` under the quota row's lock. A place that frees
    (release, void, capacity raised) goes to the first waiting row at once — ``used`` and a
    ``QuotaReservation`` change in that same locked transaction, so no approval can take the
    place in between —, and the case's workflow is told (message ``quota_granted``) under the
    case's own lock: in the same transaction when that lock is free, else right after commit
    or by the periodic sweep (``delivered_at`` still empty is the outbox)."""

    quota = models.ForeignKey(Quota, on_delete=models.PROTECT, related_name="waiting")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="quota_waiting")
    # The queue's order: when the application was filed (ties by pk).
    filed_at = models.DateTimeField()
    joined_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=WaitingStatus.choices,
                              default=WaitingStatus.WAITING, db_index=True)
    granted_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["filed_at", "pk"]
        constraints = [models.UniqueConstraint(
            fields=["quota", "case"], condition=models.Q(status="waiting"),
            name="one_waiting_row_per_case")]
        indexes = [models.Index(fields=["quota", "status", "filed_at"],
                                name="quota_waiting_queue")]

    def __str__(self):
        return f"{self.quota} 候补：{self.case_id}（{self.get_status_display()}）"


class PersonRole(models.TextChoices):
    APPLICANT = "applicant", "申请人"
    MEMBER = "member", "家庭成员"


class CasePerson(models.Model):
    """One person named in an application (the applicant, each household member), written
    when the case starts from the fields the procedure declares (``engine.persons``), so
    duplicate applications are found by anyone's ID number with one indexed query."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="persons")
    procedure = models.CharField(max_length=60)
    role = models.CharField(max_length=10, choices=PersonRole.choices)
    id_number = models.CharField(max_length=18)
    name = models.CharField(max_length=50, blank=True)
    relation = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["case_id", "pk"]
        constraints = [models.UniqueConstraint(fields=["case", "id_number"],
                                               name="one_person_row_per_case")]
        # engine.persons.earlier_cases_for: "which cases of this procedure name these IDs".
        indexes = [models.Index(fields=["procedure", "id_number"], name="case_person_lookup")]

    def __str__(self):
        return f"{self.name}（{self.get_role_display()}，案件 {self.case_id}）"


class Attachment(models.Model):
    """A file attached to a case (bills, photos, certificates). Kept in the database so every
    server can serve it; workflow data holds only its id, never the content."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attachments")
    task = models.ForeignKey(HumanTask, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="attachments")
    field = models.CharField(max_length=60, help_text="form field it was uploaded with")
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField(editable=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self):
        return self.name


class DefinitionDraft(models.Model):
    """A supervisor's unsaved edit of a procedure's diagram and tables (one per procedure and
    county), kept until it is deployed or discarded."""

    key = models.CharField(max_length=60)
    county = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    based_on = models.ForeignKey(ProcessDefinition, null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    bpmn_xml = models.TextField()
    dmn_xml = models.JSONField(default=list, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "county"],
                                               name="one_draft_per_procedure_and_county")]

    def __str__(self):
        return f"{self.key} draft ({self.county})"


class NotificationKind(models.TextChoices):
    TASK = "task", "新待办"
    URGE = "urge", "催办"
    CC = "cc", "抄送"
    REMINDER = "reminder", "到期提醒"
    ESCALATION = "escalation", "超时督办"
    RESULT = "result", "办理结果"
    SYSTEM = "system", "系统提醒"


class Notification(models.Model):
    """A message to one user, shown in the in-app notification centre and, per channel,
    delivered by Celery (``NotificationDelivery``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notifications")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="notifications")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]

    def __str__(self):
        return self.title


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "待发送"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败"


class NotificationDelivery(models.Model):
    """One channel's delivery of a notification (email, SMS). Each channel retries on its
    own, so a failing SMS gateway does not hold back the email."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE,
                                     related_name="deliveries")
    channel = models.CharField(max_length=20)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Last time the outbox sweep handed it to the broker again (engine.outbox).
    enqueued_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notification", "channel"],
                                               name="one_delivery_per_channel")]


class CaseCopy(models.Model):
    """A read-only copy of a case sent to a user (抄送), listed under "抄送我的"."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="copies")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="case_copies")
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="+")
    comment = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["case", "user"], name="one_copy_per_user")]


class Substitution(models.Model):
    """``substitute`` may act for ``user`` between two dates (代理): tasks offered to ``user``
    are offered to the substitute too, whose actions are recorded "on behalf of"."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="substitutions")
    substitute = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                   related_name="substituting")
    starts_on = models.DateField()
    ends_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")),
                                              name="substitution_dates_ordered")]

    def clean(self):
        if self.user_id and self.user_id == self.substitute_id:
            raise ValidationError("不能指定自己为代理人")


# ---------------------------------------------------------------------------------------------
# Holiday calendar for years the ``chinesecalendar`` package does not cover yet


class CalendarYear(models.Model):
    """One year's national holidays and make-up working days (调休), entered by an
    administrator for a year the ``chinesecalendar`` package has no data for (the State
    Council publishes them in the autumn before; package releases follow later).

    ``county`` null: the product administrator's entry, for every county. A county's
    supervisor may enter the year for their own county meanwhile; that entry is used for the
    county's cases instead of the national one. A county's *own* extra days stay in
    ``Unit.settings`` as before. Changed only through ``engine.calendar.calendar_year_save``.
    """

    year = models.PositiveIntegerField()
    county = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    holidays = models.JSONField(default=list, blank=True, help_text="休息日，如 2027-01-01")
    workdays = models.JSONField(default=list, blank=True, help_text="调休上班日")
    source = models.CharField(max_length=200, blank=True,
                              help_text="依据，如 国务院办公厅关于2027年部分节假日安排的通知")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["year", "county_id"]
        constraints = [
            models.UniqueConstraint(fields=["year", "county"], name="unique_calendar_year"),
            models.UniqueConstraint(fields=["year"], condition=models.Q(county__isnull=True),
                                    name="unique_national_calendar_year"),
        ]

    def __str__(self):
        return f"{self.year}年节假日（{self.county.name if self.county_id else '全国'}）"
class CaseClock(models.Model):
    """A deadline that runs on the whole case rather than on one task (e.g. 先行救助 within 24
    hours of filing), started and stopped by the diagram's ``start_clock`` / ``stop_clock``
    service tasks (``engine.clocks``). A row, so inbox pages show it without loading the
    workflow."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="clocks")
    name = models.CharField(max_length=60)
    label = models.CharField(max_length=100)
    started_at = models.DateTimeField()
    deadline = models.DateTimeField(db_index=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    # Set once by the periodic sweep when the deadline passed while the clock ran.
    overdue_flagged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["case", "name"],
                                               name="one_clock_per_name")]

    def __str__(self):
        return f"{self.label}（案件 {self.case_id}）"
# Public notices (公示), see engine/notices.py


class NoticeStatus(models.TextChoices):
    OPEN = "open", "公示中"
    SUSPENDED = "suspended", "异议核查中（暂停计时）"
    ENDED = "ended", "公示期满"
    WITHDRAWN = "withdrawn", "已撤回"


class PublicNotice(models.Model):
    """A case's public notice (公示), opened by the ``open_public_notice`` service task.

    ``facts`` is the frozen list of what was published ([{"label", "value"}]), built only from
    the fields the procedure declared public; the page never reads the case data. The clock is
    this row: the notice ends when ``ends_at`` passes while it is open; an objection suspends
    it (``suspended_at``) and a rejected objection resumes it with the time that was left.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="public_notices")
    notice_type = models.CharField(max_length=60)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+",
                             help_text="the village where the notice is posted")
    unit_path = models.CharField(max_length=255, db_index=True)
    title = models.CharField(max_length=200)
    facts = models.JSONField(default=list)
    days = models.PositiveSmallIntegerField()
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=12, choices=NoticeStatus.choices,
                              default=NoticeStatus.OPEN, db_index=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    # [{"from": iso, "to": iso}] of every suspension, so the page can explain a later end.
    suspensions = models.JSONField(default=list, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=200, blank=True)
    # Set only by the demo seed: the start date was chosen by the seed, not lived through.
    seed_note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at", "-pk"]

    def __str__(self):
        return self.title


class ObjectionSource(models.TextChoices):
    ONLINE = "online", "网上提交"
    STAFF = "staff", "工作人员登记"


class ObjectionOutcome(models.TextChoices):
    PENDING = "pending", "待核查"
    UPHELD = "upheld", "异议成立"
    REJECTED = "rejected", "异议不成立"


class NoticeObjection(models.Model):
    """An objection to a public notice, filed online by anyone or entered by staff; its
    review outcome is recorded here (and in the audit trail)."""

    notice = models.ForeignKey(PublicNotice, on_delete=models.PROTECT, related_name="objections")
    name = models.CharField(max_length=50)
    contact = models.CharField(max_length=100)
    content = models.TextField(max_length=2000)
    source = models.CharField(max_length=10, choices=ObjectionSource.choices)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    submitted_at = models.DateTimeField(db_index=True)
    outcome = models.CharField(max_length=10, choices=ObjectionOutcome.choices,
                               default=ObjectionOutcome.PENDING)
    outcome_note = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["submitted_at", "pk"]

    def __str__(self):
        return f"{self.notice}：{self.name}"


class CamundaMappingKind(models.TextChoices):
    GROUP = "group", "组或泳道"
    USER = "user", "用户"


class CamundaMapping(models.Model):
    """What a Camunda group (or lane name) or user of an imported Camunda 7 model is in a
    county: a role code, or a user name (``engine.camunda_mapping``; the import itself,
    ``engine.camunda``, takes the mapping as a plain dict). An empty ``target`` is a name the
    county has seen in an import and not mapped yet."""

    county = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="camunda_mappings")
    kind = models.CharField(max_length=5, choices=CamundaMappingKind.choices)
    name = models.CharField(max_length=200)
    target = models.CharField(max_length=150, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["county", "kind", "name"],
                                               name="unique_camunda_mapping")]

    def __str__(self):
        return f"{self.name} → {self.target or '（未对应）'}"
