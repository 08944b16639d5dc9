"""Document numbers (婺民救〔2026〕12号): consecutive per issuer, type and year, allocated in
the deciding transaction — no duplicates under concurrency, no gap after a rollback."""
import threading

import pytest
from django.db import connection, transaction

from engine.models import DocumentSequence
from engine.services import _allocate_sequence

SERIES = {"issuer_code": "婺民救", "doc_type": "relief_decision", "year": 2026}


class Rollback(Exception):
    pass


def allocate_in_threads(count: int, *, roll_back=lambda index: False) -> list[int | None]:
    """``count`` threads, each in its own transaction on its own connection, allocate from
    the same series at once. Returns the committed numbers (None for rolled-back ones)."""
    barrier = threading.Barrier(count)
    results: list[int | None] = [None] * count
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            try:
                with transaction.atomic():
                    number = _allocate_sequence(**SERIES)
                    # Hold the row lock a moment longer, as a decision's other writes do.
                    connection.cursor().execute("SELECT pg_sleep(0.02)")
                    if roll_back(index):
                        raise Rollback
                    results[index] = number
            except Rollback:
                pass
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "allocation deadlocked"
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_allocations_are_one_to_ten():
    # given: no sequence row yet, so the threads also race to create it
    assert not DocumentSequence.objects.exists()

    # when
    numbers = allocate_in_threads(10)

    # then
    assert sorted(numbers) == list(range(1, 11))
    assert DocumentSequence.objects.get(**SERIES).last_number == 10


@pytest.mark.django_db(transaction=True)
def test_concurrent_rollbacks_leave_no_gap():
    numbers = allocate_in_threads(10, roll_back=lambda index: index % 2 == 0)

    committed = sorted(n for n in numbers if n is not None)
    assert committed == list(range(1, 6))
    assert DocumentSequence.objects.get(**SERIES).last_number == 5


@pytest.mark.django_db(transaction=True)
def test_rolled_back_allocation_gives_its_number_back():
    with transaction.atomic():
        assert _allocate_sequence(**SERIES) == 1

    with pytest.raises(Rollback), transaction.atomic():
        assert _allocate_sequence(**SERIES) == 2
        raise Rollback

    with transaction.atomic():
        assert _allocate_sequence(**SERIES) == 2


@pytest.mark.django_db
def test_series_are_separate_per_issuer_type_and_year():
    assert _allocate_sequence(**SERIES) == 1
    assert _allocate_sequence(**SERIES) == 2
    assert _allocate_sequence(**{**SERIES, "doc_type": "relief_refusal"}) == 1
    assert _allocate_sequence(**{**SERIES, "year": 2027}) == 1
    assert _allocate_sequence(**{**SERIES, "issuer_code": "金民救"}) == 1
    assert _allocate_sequence(**SERIES) == 3
