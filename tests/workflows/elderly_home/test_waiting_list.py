"""The waiting list (候补) of a full township quota: an eligible applicant is approved onto
it with a 候补通知书 giving the position (not an ineligibility refusal); a freed place —
withdrawal, void, an approval taken back and refused, the quota raised — moves the first
waiting case on; a suspended waiting case keeps its place. (Races: test_quota_race.py.)"""
import pytest
from django.utils import timezone

from engine.actions import case_resume, case_suspend, case_void, task_withdraw
from engine.documents import APPEAL_SENTENCE
from engine.models import Notification, Quota, TaskStatus, WaitingStatus
from engine.services import quota_set, quota_waiting_position
from workflows.elderly_home.services import application_withdraw

from .helpers import complete, elderly_id, file_application, pdf_text

pytestmark = pytest.mark.django_db

QUOTA_KEY = "elderly_home_adaptation"
APPEAL = "".join(APPEAL_SENTENCE.format(county="婺城区").split())


def _quota(village):
    return Quota.objects.get(key=QUOTA_KEY, unit=village.parent, year=timezone.localdate().year)


def _approved(wang, village, n, township_staff, county_staff, county_leader):
    cases = []
    for i in range(n):
        case = file_application(user=wang, village=village, applicant_name=f"老人{i}",
                                id_number=elderly_id(i + 1))
        complete(case, township_staff, "township_review", review_result="pass",
                 review_opinion="符合")
        complete(case, county_staff, "county_review", county_opinion="建议批准")
        complete(case, county_leader, "county_decide", decision="approve",
                 decision_opinion="同意")
        cases.append(case)
    return cases


def _waiting(case):
    return case.quota_waiting.filter(status=WaitingStatus.WAITING).exists()


def _moved_on(case):
    case.refresh_from_db()
    return case.tasks.filter(spec_name="assess", status=TaskStatus.OPEN).exists()


@pytest.fixture
def full(village):
    quota_set(key=QUOTA_KEY, unit=village.parent, year=timezone.localdate().year, capacity=1)


def test_waiting_notice_gives_the_position_and_is_no_refusal(
        full, wang, village, township_staff, county_staff, county_leader):
    holder, first, second = _approved(wang, village, 3, township_staff, county_staff,
                                      county_leader)
    assert _moved_on(holder) and not _moved_on(first) and not _moved_on(second)
    assert [first.data["quota_waiting"]["position"],
            second.data["quota_waiting"]["position"]] == [1, 2]
    notice = second.documents.get(doc_type="elderly_home_waiting")
    text = pdf_text(notice)
    year = timezone.localdate().year
    assert "居家适老化改造候补通知书" in text and f"婺民适老候〔{year}〕2号" in text
    for fact in ("符合居家适老化改造补贴条件", "本局同意纳入居家适老化改造",
                 f"罗店镇{year}年度居家适老化改造名额（共1户）已全部分配", "列入候补名单",
                 "目前排在第2位", "无需重新申请", "金华市婺城区民政局"):
        assert fact in text, fact
    assert "不符合" not in text and APPEAL not in text and "决定不予批准" not in text
    assert second.applicant_id_number not in text
    # The applicant is told, in the notification centre too.
    assert Notification.objects.get(user=wang, case=second).title.endswith("名额候补名单第2位")


def test_withdrawal_moves_the_first_waiting_case_on(
        full, wang, village, township_staff, county_staff, county_leader):
    holder, first, second = _approved(wang, village, 3, township_staff, county_staff,
                                      county_leader)
    application_withdraw(case_pk=holder.pk, user=wang, reason="已搬去女儿家")
    assert _moved_on(first) and not _moved_on(second)
    assert _quota(village).used == 1
    assert first.data["quota_granted"]["from_waiting_list"] is True
    assert first.audit.filter(summary__startswith="候补递补").exists()
    assert Notification.objects.filter(case=first, title__contains="递补获得").exists()
    assert quota_waiting_position(second.quota_waiting.get(status=WaitingStatus.WAITING)) == 1
    # A waiting case may withdraw too: it leaves the list, the others move up.
    application_withdraw(case_pk=second.pk, user=wang, reason="不需要了")
    second.refresh_from_db()
    assert second.status == "completed" and not _waiting(second)
    assert second.quota_waiting.get().status == WaitingStatus.LEFT


def test_raising_the_quota_and_voiding_a_case_give_places(
        full, wang, village, township_staff, county_staff, county_leader, supervisor):
    holder, first, second, third = _approved(wang, village, 4, township_staff, county_staff,
                                             county_leader)
    quota_set(key=QUOTA_KEY, unit=village.parent, year=timezone.localdate().year, capacity=2)
    assert _moved_on(first) and not _moved_on(second)
    case_void(user=supervisor, case_pk=holder.pk, reason="重复录入")
    assert _moved_on(second) and not _moved_on(third)
    quota = _quota(village)
    assert quota.used == 2 == quota.reservations.filter(released_at__isnull=True).count()
    assert not holder.quota_reservations.filter(released_at__isnull=True).exists()


def test_a_suspended_waiting_case_keeps_its_place(
        full, wang, village, township_staff, county_staff, county_leader, supervisor):
    holder, first, second = _approved(wang, village, 3, township_staff, county_staff,
                                      county_leader)
    case_suspend(user=supervisor, case_pk=first.pk, reason="核查户籍")
    application_withdraw(case_pk=holder.pk, user=wang, reason="不需要了")
    # The place is the first case's (filing order), held for it while it is suspended.
    assert first.quota_reservations.filter(released_at__isnull=True).exists()
    assert not _moved_on(first) and not _moved_on(second) and _waiting(second)
    case_resume(user=supervisor, case_pk=first.pk, reason="核查完毕")
    assert _moved_on(first) and _waiting(second)
    assert _quota(village).used == 1


def test_an_approval_taken_back_and_refused_gives_the_place_back(
        full, wang, village, township_staff, county_staff, county_leader):
    holder, waiting = _approved(wang, village, 2, township_staff, county_staff, county_leader)
    done = holder.tasks.get(spec_name="county_decide", status=TaskStatus.COMPLETED)
    task_withdraw(user=county_leader, task_pk=done.pk, comment="重新审查")
    holder.refresh_from_db()
    complete(holder, county_leader, "county_decide", decision="refuse", decision_opinion="不同意",
             refusal_reason="经复查，住房已列入拆迁计划")
    assert not holder.quota_reservations.filter(released_at__isnull=True).exists()
    assert _moved_on(waiting) and _quota(village).used == 1
