"""Two county approvals racing for a township's last place, on PostgreSQL: exactly one is
approved, the other is refused by the engine's quota lock."""
import threading

import pytest
from django.db import connection
from django.utils import timezone

from engine.models import HumanTask, Quota, TaskStatus
from engine.services import QuotaExceeded, quota_set, task_complete

from .helpers import complete, file_application


@pytest.mark.django_db(transaction=True)
def test_two_approvals_racing_for_the_last_place(wang, village, township_staff, county_staff,
                                                 county_leader, supervisor):
    assert connection.vendor == "postgresql"
    quota_set(key="elderly_home_adaptation", unit=village.parent,
              year=timezone.localdate().year, capacity=1)
    tasks = []
    for _ in range(2):
        case = file_application(user=wang, village=village)
        complete(case, township_staff, "township_review", review_result="pass",
                 review_opinion="符合")
        complete(case, county_staff, "county_review", county_opinion="建议批准")
        tasks.append(case.tasks.get(spec_name="county_decide", status=TaskStatus.OPEN))
    barrier = threading.Barrier(2)
    outcomes = []

    def approve(task, user):
        try:
            barrier.wait()
            task_complete(user=user, task_pk=task.pk,
                          form_data={"decision": "approve", "decision_opinion": "同意"})
            outcomes.append("approved")
        except QuotaExceeded as exc:
            outcomes.append(f"refused: {exc}")
        finally:
            connection.close()

    # Two county leaders (the supervisor holds county_leader too), each on a connection.
    threads = [threading.Thread(target=approve, args=(task, user))
               for task, user in zip(tasks, (county_leader, supervisor), strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 2 and "approved" in outcomes, outcomes
    refused = [o for o in outcomes if o != "approved"]
    assert len(refused) == 1 and "罗店镇" in refused[0] and "名额（共1个）已用完" in refused[0]
    quota = Quota.objects.get(key="elderly_home_adaptation", unit=village.parent)
    assert quota.used == 1 and quota.reservations.filter(released_at__isnull=True).count() == 1
    statuses = sorted(HumanTask.objects.get(pk=t.pk).status for t in tasks)
    assert statuses == [TaskStatus.COMPLETED, TaskStatus.OPEN]
