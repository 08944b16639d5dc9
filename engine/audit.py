"""The audit trail's tamper evidence: every entry is chained to the one before it.

Each case has its own chain (``case:<pk>``); entries without a case (deploys, settings,
quotas, draws) form the ``system`` chain. An entry stores its position (``seq``), the previous
entry's hash and its own: an HMAC-SHA256, keyed by ``settings.AUDIT_CHAIN_KEY`` (the
SECRET_KEY unless set), over its content and the previous hash. Someone who can write to the
database but does not hold the key cannot change, remove or insert an entry without
``audit_verify`` noticing; on PostgreSQL (and SQLite) a trigger refuses UPDATE and DELETE on the
table outright (migration 0012_audit_chain). What the chain cannot show on its own is the
removal of a chain's newest entries together with its head row: anchor the heads elsewhere
(e.g. print them in a report) where that matters.

Appending takes the chain's head row lock (``AuditChain``, like document numbering), so two
transactions writing to one chain queue and never fork it.
"""
import hashlib
import hmac
import json
from dataclasses import dataclass, field

from django.conf import settings

SYSTEM_CHAIN = "system"
GENESIS = "0" * 64


def chain_key(case_id: int | None) -> str:
    return f"case:{case_id}" if case_id else SYSTEM_CHAIN


def _key() -> bytes:
    return (getattr(settings, "AUDIT_CHAIN_KEY", "") or settings.SECRET_KEY).encode()


def entry_digest(entry, prev_hash: str) -> str:
    """The HMAC of an entry's recorded facts and its predecessor's hash. Canonical JSON
    (sorted keys), so the value survives PostgreSQL's jsonb key reordering."""
    payload = json.dumps({
        "chain": entry.chain, "seq": entry.seq, "prev": prev_hash,
        "case": entry.case_id, "task": entry.task_id, "actor": entry.actor_id,
        "on_behalf_of": entry.on_behalf_of_id, "action": entry.action,
        "at": entry.at.isoformat(), "summary": entry.summary, "data": entry.data,
    }, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(_key(), payload.encode("utf-8"), hashlib.sha256).hexdigest()


def audit_entry_link(entry) -> None:
    """Give a new entry its place in its chain (called by ``AuditEntry.save`` inside the
    saving transaction, so a rolled-back entry gives its place back)."""
    from .models import AuditChain

    entry.chain = chain_key(entry.case_id)
    head = AuditChain.objects.select_for_update().filter(key=entry.chain).first()
    if head is None:  # the chain's first entry; a concurrent first entry may create it too
        AuditChain.objects.bulk_create([AuditChain(key=entry.chain)], ignore_conflicts=True)
        head = AuditChain.objects.select_for_update().get(key=entry.chain)
    entry.seq = head.length + 1
    entry.prev_hash = head.last_hash or GENESIS
    entry.entry_hash = entry_digest(entry, entry.prev_hash)
    head.length = entry.seq
    head.last_hash = entry.entry_hash
    head.save(update_fields=["length", "last_hash"])


@dataclass
class ChainCheck:
    chain: str
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def audit_verify(*, chain: str) -> ChainCheck:
    """Recompute one chain: each entry's hash, its link to the previous one, gapless
    positions, and the head row's length and last hash."""
    from .models import AuditChain, AuditEntry

    check = ChainCheck(chain=chain)
    previous_hash, expected_seq = GENESIS, 1
    for entry in AuditEntry.objects.filter(chain=chain).order_by("seq").iterator():
        check.checked += 1
        if entry.seq != expected_seq:
            check.problems.append(f"第{expected_seq}条记录缺失（下一条为第{entry.seq}条）")
        if entry.prev_hash != previous_hash:
            check.problems.append(f"第{entry.seq}条记录与上一条记录不衔接")
        if not hmac.compare_digest(entry.entry_hash, entry_digest(entry, entry.prev_hash)):
            check.problems.append(f"第{entry.seq}条记录（{entry.summary}）内容已被改动")
        previous_hash, expected_seq = entry.entry_hash, entry.seq + 1
    head = AuditChain.objects.filter(key=chain).first()
    if head is not None and (head.length != check.checked or
                             (head.last_hash or GENESIS) != previous_hash):
        check.problems.append(f"记录条数或末条记录与链头不符（链头记载{head.length}条，"
                              f"实有{check.checked}条）")
    return check


def audit_verify_case(case) -> ChainCheck:
    return audit_verify(chain=chain_key(case.pk))


def audit_verify_all() -> list[ChainCheck]:
    """Every chain (``manage.py audit_verify``)."""
    from .models import AuditChain, AuditEntry

    keys = set(AuditChain.objects.values_list("key", flat=True)) | set(
        AuditEntry.objects.values_list("chain", flat=True).distinct())
    return [audit_verify(chain=key) for key in sorted(keys)]


def audit_chains_backfill(entry_model, chain_model) -> int:
    """Chain entries written before the chain existed, in the order they were written.
    Takes the models as arguments so migration 0012_audit_chain can pass its historical
    ones. Returns how many entries were linked."""
    linked = 0
    heads = {}
    for entry in entry_model.objects.filter(entry_hash="").order_by("at", "pk").iterator():
        key = chain_key(entry.case_id)
        head = heads.get(key) or chain_model.objects.get_or_create(key=key)[0]
        heads[key] = head
        entry.chain, entry.seq = key, head.length + 1
        entry.prev_hash = head.last_hash or GENESIS
        entry.entry_hash = entry_digest(entry, entry.prev_hash)
        entry_model.objects.filter(pk=entry.pk).update(
            chain=entry.chain, seq=entry.seq, prev_hash=entry.prev_hash,
            entry_hash=entry.entry_hash)
        head.length, head.last_hash = entry.seq, entry.entry_hash
        linked += 1
    for head in heads.values():
        head.save(update_fields=["length", "last_hash"])
    return linked
