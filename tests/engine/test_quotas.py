"""Quotas as a general engine capability: a service task reserves a place under a row lock."""
import threading
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from engine.models import Quota, TaskStatus
from engine.services import (
    QuotaExceeded,
    case_start,
    definition_deploy,
    quota_set,
    task_complete,
)

BPMN = (Path(__file__).resolve().parent.parent / "data" / "quota" / "quota.bpmn").read_text(
    encoding="utf-8")


@pytest.fixture
def quota_process(demo):
    definition_deploy(key="quota_test", name="名额测试", bpmn_xml=BPMN, dmn_xmls=[])


def _case(village, user):
    case = case_start(procedure="quota_test", title="名额测试", village=village,
                      applicant_name="张建国", data={"withdrawn": False}, started_by=user)
    return case, case.tasks.get(status=TaskStatus.OPEN)


@pytest.mark.django_db
def test_approval_beyond_quota_is_refused_and_withdrawal_releases(quota_process, village,
                                                                  township_leader):
    township = village.parent
    quota_set(key="test_quota", unit=township, year=timezone.localdate().year, capacity=1)
    first, first_task = _case(village, township_leader)
    second, second_task = _case(village, township_leader)
    task_complete(user=township_leader, task_pk=first_task.pk, form_data={"decision": "approve"})
    with pytest.raises(QuotaExceeded, match="名额（共1个）已用完"):
        task_complete(user=township_leader, task_pk=second_task.pk,
                      form_data={"decision": "approve"})
    second_task.refresh_from_db()
    assert second_task.status == TaskStatus.OPEN  # nothing lost: the step can be retried
    # The first case is withdrawn during works: its place comes back.
    works = first.tasks.get(status=TaskStatus.OPEN)
    task_complete(user=township_leader, task_pk=works.pk, form_data={"withdrawn": True})
    assert Quota.objects.get(key="test_quota").used == 0
    task_complete(user=township_leader, task_pk=second_task.pk,
                  form_data={"decision": "approve"})
    assert Quota.objects.get(key="test_quota").used == 1


@pytest.mark.django_db
def test_no_quota_set_gives_a_clear_message(quota_process, village, township_leader):
    _, task = _case(village, township_leader)
    with pytest.raises(QuotaExceeded, match="尚未设置名额"):
        task_complete(user=township_leader, task_pk=task.pk, form_data={"decision": "approve"})


@pytest.mark.django_db
def test_capacity_cannot_drop_below_places_used(quota_process, village, township_leader):
    township = village.parent
    year = timezone.localdate().year
    quota_set(key="test_quota", unit=township, year=year, capacity=2)
    _, task = _case(village, township_leader)
    task_complete(user=township_leader, task_pk=task.pk, form_data={"decision": "approve"})
    with pytest.raises(ValueError, match="不能少于"):
        quota_set(key="test_quota", unit=township, year=year, capacity=0)


@pytest.mark.django_db(transaction=True)
def test_two_approvals_racing_for_the_last_place(quota_process, village, township_leader):
    assert connection.vendor == "postgresql"
    quota_set(key="test_quota", unit=village.parent, year=timezone.localdate().year,
              capacity=1)
    tasks = [_case(village, township_leader)[1] for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes = []

    def approve(task):
        try:
            barrier.wait()
            task_complete(user=township_leader, task_pk=task.pk,
                          form_data={"decision": "approve"})
            outcomes.append("approved")
        except QuotaExceeded:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(task,)) for task in tasks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["approved", "refused"]
    assert Quota.objects.get(key="test_quota").used == 1


@pytest.mark.django_db
def test_deploy_refuses_a_waiting_reservation_without_a_gateway_for_the_answer(demo):
    from engine.services import DefinitionError

    waiting = BPMN.replace(
        '<spiffworkflow:parameter id="level" type="str" value="&quot;township&quot;"/>',
        '<spiffworkflow:parameter id="level" type="str" value="&quot;township&quot;"/>'
        '<spiffworkflow:parameter id="wait" type="bool" value="True"/>')
    with pytest.raises(DefinitionError, match="候补.*quota_granted.*quota_waiting"):
        definition_deploy(key="quota_wait", name="候补", bpmn_xml=waiting, dmn_xmls=[])
    for bad, message in ((waiting.replace('value="True"', 'value="&quot;maybe&quot;"'),
                          "wait 只能是 True 或 False"),
                         (BPMN.replace("&quot;township&quot;", "&quot;village&quot;"),
                          "level 只能是 township 或 county")):
        with pytest.raises(DefinitionError, match=message):
            definition_deploy(key="quota_wait", name="候补", bpmn_xml=bad, dmn_xmls=[])


@pytest.mark.django_db
def test_the_shipped_waiting_diagram_passes_validation(demo):
    # demo deploys every shipped diagram: elderly-home adaptation with wait=True among them.
    from engine.models import ProcessDefinition

    assert 'id="wait"' in ProcessDefinition.objects.filter(
        key="elderly_home_adaptation").latest("version").bpmn_xml
