"""The staff inbox: columns, scoping, filters, sorting, counts, pagination."""
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from engine.models import HumanTask, Unit
from engine.services import role_assign, task_claim
from tests.workflows.temporary_relief.helpers import file_application, open_task

pytestmark = pytest.mark.django_db

INBOX = reverse("portal:inbox")


def _tasks(response) -> list[int]:
    return [task.pk for task in response.context["page"]]


@pytest.fixture
def two_townships(applicant, village):
    """An accept task in 罗店村 (罗店镇) and one in 安地村 (安地镇)."""
    luodian = open_task(file_application(user=applicant, village=village), "accept")
    andi_case = file_application(user=applicant, village=Unit.objects.get(name="安地村"),
                                 applicant_name="李安地")
    return luodian, open_task(andi_case, "accept")


def test_township_staff_see_their_tasks_with_all_columns(client_for, township_staff, case):
    task = open_task(case, "accept")
    response = client_for(township_staff).get(INBOX)
    assert response.status_code == 200
    assert _tasks(response) == [task.pk]
    content = response.content.decode()
    for text in ("事项", "申请人", "村/社区", "任务", "候选辖区", "到期时间", "状态",
                 "临时救助", "张建国", "罗店村", "受理审查", "罗店镇", "待认领",
                 reverse("portal:task", args=[task.pk])):
        assert text in content, text
    assert "row-overdue" not in content


def test_outsider_inbox_does_not_show_other_townships(client_for, outsider, case):
    response = client_for(outsider).get(INBOX)
    assert response.status_code == 200
    assert _tasks(response) == []
    assert "张建国" not in response.content.decode()


def test_applicants_may_not_open_the_inbox(client_for, applicant, case):
    response = client_for(applicant).get(INBOX)
    assert response.status_code == 403
    assert "仅供经办人员使用" in response.content.decode()


def test_overdue_tasks_are_flagged_and_filtered(client_for, township_staff, applicant,
                                                village):
    late = open_task(file_application(user=applicant, village=village), "accept")
    on_time = open_task(file_application(user=applicant, village=village,
                                         applicant_name="王五"), "accept")
    HumanTask.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=1))
    client = client_for(township_staff)
    response = client.get(INBOX)
    assert response.context["counts"] == {"all": 2, "free": 2, "mine": 0, "overdue": 1}
    content = response.content.decode()
    assert content.count('class="row-overdue"') == 1
    assert '<span class="badge badge-danger">超期</span>' in content
    assert _tasks(client.get(INBOX, {"overdue": "yes"})) == [late.pk]
    assert _tasks(client.get(INBOX, {"overdue": "no"})) == [on_time.pk]


def test_claimed_by_me_filter_and_counts(client_for, township_staff, applicant, village):
    mine = open_task(file_application(user=applicant, village=village), "accept")
    free = open_task(file_application(user=applicant, village=village, applicant_name="王五"),
                     "accept")
    task_claim(user=township_staff, task_pk=mine.pk)
    client = client_for(township_staff)
    response = client.get(INBOX)
    assert response.context["counts"] == {"all": 2, "free": 1, "mine": 1, "overdue": 0}
    assert "我已认领" in response.content.decode()
    assert _tasks(client.get(INBOX, {"claimed": "mine"})) == [mine.pk]
    assert _tasks(client.get(INBOX, {"claimed": "free"})) == [free.pk]


def test_township_and_procedure_filters(client_for, township_staff, two_townships):
    luodian, andi = two_townships
    client = client_for(township_staff)
    response = client.get(INBOX)
    township_choices = list(response.context["filter"].form.fields["township"].queryset)
    assert township_choices == [Unit.objects.get(name="罗店镇")]
    assert _tasks(client.get(INBOX, {"procedure": "temporary_relief"})) == [luodian.pk]
    response = client.get(INBOX, {"township": Unit.objects.get(name="安地镇").pk})
    assert _tasks(response) == [luodian.pk]  # not a township the user can see: ignored
    assert "township" in response.context["filter"].errors
    assert _tasks(client.get(INBOX, {"procedure": "nonexistent"})) == [luodian.pk]


def test_county_user_filters_by_township(client_for, two_townships, county_staff):
    luodian, andi = two_townships
    # Offer both townships' accept tasks to the county user: township_staff at county level.
    role_assign(user=county_staff, role="township_staff", unit=Unit.objects.get(name="婺城区"))
    client = client_for(county_staff)
    assert sorted(_tasks(client.get(INBOX))) == sorted([luodian.pk, andi.pk])
    townships = list(client.get(INBOX).context["filter"].form.fields["township"].queryset)
    assert [t.name for t in townships] == ["罗店镇", "安地镇", "蒋堂镇"]
    for task in (luodian, andi):
        assert _tasks(client.get(INBOX, {"township": task.township_id})) == [task.pk]


def test_sorting_by_due_time(client_for, township_staff, applicant, village):
    now = timezone.now()
    tasks = []
    for days, name in ((3, "甲"), (1, "乙"), (2, "丙")):
        task = open_task(file_application(user=applicant, village=village, applicant_name=name),
                         "accept")
        HumanTask.objects.filter(pk=task.pk).update(due_at=now + timedelta(days=days))
        tasks.append(task.pk)
    no_due = open_task(file_application(user=applicant, village=village, applicant_name="丁"),
                       "accept")
    HumanTask.objects.filter(pk=no_due.pk).update(due_at=None)
    client = client_for(township_staff)
    ascending = [tasks[1], tasks[2], tasks[0], no_due.pk]
    assert _tasks(client.get(INBOX)) == ascending
    assert _tasks(client.get(INBOX, {"sort": "due"})) == ascending
    response = client.get(INBOX, {"sort": "-due"})
    assert _tasks(response) == [tasks[0], tasks[2], tasks[1], no_due.pk]  # undated last
    assert response.context["next_sort"] == "due"


def test_pagination_25_per_page(client_for, township_staff, applicant, village):
    first = open_task(file_application(user=applicant, village=village), "accept")
    # Copies of one inbox row are enough to page through; the inbox reads only these rows.
    HumanTask.objects.bulk_create([
        HumanTask(case=first.case, procedure=first.procedure, task_id=f"{i:08d}-0000-4000-8000-"
                  f"000000000000", spec_name="accept", title="受理审查", lane="township_staff",
                  village=first.village, village_path=first.village_path,
                  candidate_unit=first.candidate_unit, township=first.township,
                  due_at=first.due_at)
        for i in range(1, 26)])
    client = client_for(township_staff)
    response = client.get(INBOX)
    assert len(response.context["page"]) == 25
    assert "第 1 / 2 页，共 26 条" in response.content.decode()
    response = client.get(INBOX, {"page": 2})
    assert len(response.context["page"]) == 1


def test_inbox_shows_time_left(client, township_staff, applicant, village, clock):
    from datetime import timedelta

    from tests.workflows.temporary_relief.helpers import file_application

    file_application(user=applicant, village=village)
    client.force_login(township_staff)
    assert "剩余" in client.get(reverse("portal:inbox")).content.decode()
    clock.shift(timedelta(days=10))
    assert "超期" in client.get(reverse("portal:inbox")).content.decode()


def test_a_later_page_shows_the_next_rows_in_order(client_for, township_staff, applicant,
                                                   village):
    """Pages past the first are read in two steps (their ids, then the rows,
    ``portal.paging.page_rows``): together the pages list every task once, in order."""
    cases = [file_application(user=applicant, village=village, applicant_name=f"申请人{i}")
             for i in range(27)]
    tasks = {open_task(case).pk for case in cases}
    client = client_for(township_staff)
    first = _tasks(client.get(reverse("portal:inbox")))
    second = _tasks(client.get(reverse("portal:inbox") + "?page=2"))
    assert len(first) == 25 and len(second) == 2
    assert set(first + second) == tasks
    ordered = list(HumanTask.objects.filter(pk__in=tasks)
                   .order_by("due_at", "created_at", "pk").values_list("pk", flat=True))
    assert first + second == ordered
