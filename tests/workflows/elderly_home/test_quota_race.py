"""Races for a township's places, on PostgreSQL with real threads (each its own connection):
two approvals for the last place — exactly one gets it, the other goes on the waiting list
(候补), never over the quota —; a place freed while another approval comes in, and two
places freed at once — each goes to the first waiting case, in filing order, once."""
import threading

import pytest
from django.db import connection
from django.utils import timezone

from engine.models import HumanTask, Quota, TaskStatus, WaitingStatus
from engine.services import quota_set, task_complete
from workflows.elderly_home.services import application_withdraw

from .helpers import complete, elderly_id, file_application, open_task

QUOTA_KEY = "elderly_home_adaptation"


def _to_decision(case, township_staff, county_staff):
    complete(case, township_staff, "township_review", review_result="pass",
             review_opinion="符合")
    complete(case, county_staff, "county_review", county_opinion="建议批准")
    return open_task(case, "county_decide")


def _approve(case, user):
    task = case.tasks.get(spec_name="county_decide", status=TaskStatus.OPEN)
    task_complete(user=user, task_pk=task.pk,
                  form_data={"decision": "approve", "decision_opinion": "同意"})


def _race(*calls):
    """Run the calls at once, each in its own thread and connection; their errors."""
    barrier = threading.Barrier(len(calls))
    errors = []

    def run(call):
        try:
            barrier.wait()
            call()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _quota(village):
    return Quota.objects.get(key=QUOTA_KEY, unit=village.parent, year=timezone.localdate().year)


def _cases(wang, village, n, township_staff, county_staff):
    cases = []
    for i in range(n):
        case = file_application(user=wang, village=village, applicant_name=f"老人{i}",
                                id_number=elderly_id(i + 1))
        _to_decision(case, township_staff, county_staff)
        cases.append(case)
    return cases


def _state(case):
    case.refresh_from_db()
    if case.quota_reservations.filter(released_at__isnull=True).exists():
        return "place"
    if case.quota_waiting.filter(status=WaitingStatus.WAITING).exists():
        return "waiting"
    return "none"


@pytest.mark.django_db(transaction=True)
def test_two_approvals_racing_for_the_last_place(wang, village, township_staff, county_staff,
                                                 county_leader, supervisor):
    assert connection.vendor == "postgresql"
    quota_set(key=QUOTA_KEY, unit=village.parent, year=timezone.localdate().year, capacity=1)
    cases = _cases(wang, village, 2, township_staff, county_staff)
    tasks = [open_task(case, "county_decide") for case in cases]
    # Two county leaders (the supervisor holds county_leader too), each on a connection.
    errors = _race(lambda: _approve(cases[0], county_leader),
                   lambda: _approve(cases[1], supervisor))
    assert errors == []
    quota = _quota(village)
    assert quota.used == 1 and quota.reservations.filter(released_at__isnull=True).count() == 1
    assert sorted(_state(case) for case in cases) == ["place", "waiting"]
    # Both approvals stand: the one without a place waits, with its notice, position 1.
    assert [HumanTask.objects.get(pk=t.pk).status for t in tasks] == [TaskStatus.COMPLETED] * 2
    waiting = next(case for case in cases if _state(case) == "waiting")
    assert waiting.data["quota_waiting"]["position"] == 1
    assert waiting.documents.filter(doc_type="elderly_home_waiting").count() == 1
    winner = next(case for case in cases if _state(case) == "place")
    assert open_task(winner, "assess")


@pytest.mark.django_db(transaction=True)
def test_a_freed_place_and_a_new_approval_racing(wang, village, township_staff, county_staff,
                                                 county_leader, supervisor):
    quota_set(key=QUOTA_KEY, unit=village.parent, year=timezone.localdate().year, capacity=1)
    holder, first_waiting, second_waiting, newcomer = _cases(wang, village, 4, township_staff,
                                                             county_staff)
    for case in (holder, first_waiting, second_waiting):
        _approve(case, county_leader)
    assert [_state(c) for c in (holder, first_waiting, second_waiting)] == \
        ["place", "waiting", "waiting"]
    # The holder withdraws while the leader approves a case filed after both waiting ones.
    errors = _race(lambda: application_withdraw(case_pk=holder.pk, user=wang, reason="不需要了"),
                   lambda: _approve(newcomer, supervisor))
    assert errors == []
    assert _quota(village).used == 1
    # The place went to the first waiting case (filing order), not to the newcomer.
    assert [_state(c) for c in (holder, first_waiting, second_waiting, newcomer)] == \
        ["none", "place", "waiting", "waiting"]
    assert open_task(first_waiting, "assess")
    assert first_waiting.data["quota_granted"]["from_waiting_list"] is True
    # Position when it joined: 3 if it came first, 2 if the place had already moved on.
    assert newcomer.data["quota_waiting"]["position"] in (2, 3)
    from engine.services import quota_waiting_position

    assert quota_waiting_position(newcomer.quota_waiting.get()) == 2


@pytest.mark.django_db(transaction=True)
def test_two_places_freed_at_once_go_to_two_waiting_cases(wang, village, township_staff,
                                                          county_staff, county_leader):
    quota_set(key=QUOTA_KEY, unit=village.parent, year=timezone.localdate().year, capacity=2)
    cases = _cases(wang, village, 5, township_staff, county_staff)
    for case in cases:
        _approve(case, county_leader)
    assert [_state(c) for c in cases] == ["place", "place", "waiting", "waiting", "waiting"]
    errors = _race(
        lambda: application_withdraw(case_pk=cases[0].pk, user=wang, reason="搬家"),
        lambda: application_withdraw(case_pk=cases[1].pk, user=wang, reason="住院"))
    assert errors == []
    quota = _quota(village)
    assert quota.used == 2 == quota.reservations.filter(released_at__isnull=True).count()
    assert [_state(c) for c in cases] == ["none", "none", "place", "place", "waiting"]
    for case in cases[2:4]:
        assert open_task(case, "assess")
    assert quota.waiting.filter(status=WaitingStatus.GRANTED,
                                delivered_at__isnull=True).count() == 0
