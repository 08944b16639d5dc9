"""The audit trail is tamper-evident: entries are chained per case with an HMAC, the database
refuses UPDATE and DELETE, and verification finds any change made behind the trigger's back."""
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from engine.audit import GENESIS, audit_verify_case, chain_key
from engine.models import AuditChain, AuditEntry
from tests.workflows.temporary_relief.helpers import complete, file_application

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(applicant, village, township_staff):
    case = file_application(user=applicant, village=village)
    complete(case, township_staff, "accept", acceptance="accept")
    return case


def test_entries_are_chained_in_order(case):
    entries = list(AuditEntry.objects.filter(case=case).order_by("seq"))
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert entries[0].prev_hash == GENESIS
    for before, after in zip(entries, entries[1:]):
        assert after.prev_hash == before.entry_hash
    assert {e.chain for e in entries} == {chain_key(case.pk)}
    head = AuditChain.objects.get(key=chain_key(case.pk))
    assert head.length == len(entries) and head.last_hash == entries[-1].entry_hash
    assert audit_verify_case(case).ok


@pytest.mark.parametrize("sql", [
    "UPDATE engine_auditentry SET summary = 'x' WHERE case_id = %s",
    "DELETE FROM engine_auditentry WHERE case_id = %s",
])
def test_the_database_refuses_update_and_delete(case, sql):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute(sql, [case.pk])


def test_orm_update_and_delete_are_refused_too(case):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(case=case).update(summary="改写")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(case=case).delete()


def _behind_the_trigger(sql, params):
    """What a database superuser could still do: switch user triggers off for a session."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        cursor.execute("SET session_replication_role = origin")


def test_a_changed_entry_fails_verification(case, client, township_staff):
    entry = AuditEntry.objects.filter(case=case, action="completed").get()
    _behind_the_trigger("UPDATE engine_auditentry SET data = %s WHERE id = %s",
                        ['{"form": {"acceptance": "reject"}}', entry.pk])
    check = audit_verify_case(case)
    assert not check.ok
    assert any(f"第{entry.seq}条记录" in p and "已被改动" in p for p in check.problems)
    client.force_login(township_staff)
    page = client.get(reverse("portal:case", args=[case.pk])).content.decode()
    assert "办理记录校验未通过" in page
    with pytest.raises(CommandError, match="审计记录校验失败"):
        call_command("audit_verify", "--case", str(case.pk), stdout=io.StringIO(),
                     stderr=io.StringIO())


def test_a_removed_entry_fails_verification(case):
    first = AuditEntry.objects.filter(case=case).order_by("seq").first()
    _behind_the_trigger("DELETE FROM engine_auditentry WHERE id = %s", [first.pk])
    problems = audit_verify_case(case).problems
    assert any("第1条记录缺失" in p for p in problems)


def test_a_forged_entry_without_the_key_fails_verification(case):
    last = AuditEntry.objects.filter(case=case).order_by("-seq").first()
    forged = AuditEntry(case=case, action="decision", summary="伪造的决定", data={},
                        chain=last.chain, seq=last.seq + 1, prev_hash=last.entry_hash,
                        entry_hash="f" * 64, at=last.at)
    # Inserted with raw SQL, as the code would chain it properly.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO engine_auditentry (case_id, action, at, summary, data, chain, seq, "
            "prev_hash, entry_hash) VALUES (%s, %s, %s, %s, '{}', %s, %s, %s, %s)",
            [case.pk, forged.action, forged.at, forged.summary, forged.chain, forged.seq,
             forged.prev_hash, forged.entry_hash])
    problems = audit_verify_case(case).problems
    assert any("伪造的决定" in p for p in problems)
    assert any("链头" in p for p in problems)


def test_the_case_page_shows_a_verified_trail(case, client, township_staff):
    client.force_login(township_staff)
    page = client.get(reverse("portal:case", args=[case.pk])).content.decode()
    assert "记录完整性已校验" in page


def test_audit_verify_command_passes_on_an_untouched_database(case):
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    assert "审计记录完整" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_to_one_chain_never_fork_it(applicant, village):
    """Entries written by parallel transactions (no case lock held, e.g. system settings)
    queue on the chain head: every position is taken once and the chain verifies."""
    import threading

    from engine.audit import SYSTEM_CHAIN, audit_verify

    assert connection.vendor == "postgresql"
    barrier = threading.Barrier(4)
    errors = []

    def write(number):
        try:
            barrier.wait()
            for index in range(5):
                with transaction.atomic():
                    AuditEntry.objects.create(action="settings", summary=f"{number}-{index}")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    check = audit_verify(chain=SYSTEM_CHAIN)
    assert check.ok, check.problems
    assert check.checked >= 20
