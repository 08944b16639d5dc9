"""Notifications (one delivery per channel, sent by Celery after commit, retried alone),
催办 (urge) and 抄送 (CC): who may, to whom, how often."""
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from engine.models import (
    AuditAction,
    CaseCopy,
    DeliveryStatus,
    Notification,
    NotificationDelivery,
    NotificationKind,
    Unit,
)
from engine.notifications import case_copy_send, case_urge, notify, task_offered_users
from engine.selectors import case_get_for_user, task_list_for_user
from engine.services import role_assign, task_claim
from engine.tasks import notification_deliver_task
from portal.models import ApplicantProfile
from tests.workflows.temporary_relief.helpers import file_application, open_task

pytestmark = pytest.mark.django_db


class BrokenSmsBackend:
    """An SMS gateway that is down."""

    calls = 0

    def send(self, *, phone, message):
        type(self).calls += 1
        raise ConnectionError("短信网关无响应")


@pytest.fixture
def channels(settings):
    settings.NOTIFICATION_CHANNELS = ["email", "sms"]
    settings.SMS_BACKEND = "engine.notifications.ConsoleSmsBackend"
    return settings


@pytest.fixture
def reachable_applicant(applicant):
    applicant.email = "zhang@example.cn"
    applicant.save(update_fields=["email"])
    ApplicantProfile.objects.create(user=applicant, id_number="330702198001011232",
                                    phone="13800000001")
    return applicant


@pytest.fixture
def case(applicant, village):
    return file_application(user=applicant, village=village)


def _notified(kind) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("user__username", flat=True))


# ---------------------------------------------------------------------------------------------
# Delivery


def test_deliveries_are_sent_after_commit_one_per_channel(
        channels, reachable_applicant, django_capture_on_commit_callbacks, capsys):
    with django_capture_on_commit_callbacks() as callbacks:
        [notification] = notify(users=[reachable_applicant, reachable_applicant],
                                kind=NotificationKind.RESULT, title="您的申请已办结",
                                body="详见平台")
        # Nothing goes out inside the request's transaction.
        assert mail.outbox == []
    assert set(notification.deliveries.values_list("channel", "status")) == {
        ("email", DeliveryStatus.PENDING), ("sms", DeliveryStatus.PENDING)}
    assert len(callbacks) == 2
    for callback in callbacks:
        callback()
    assert [m.to for m in mail.outbox] == [["zhang@example.cn"]]
    assert mail.outbox[0].subject == "您的申请已办结"
    assert "13800000001" in capsys.readouterr().out
    assert set(notification.deliveries.values_list("status", flat=True)) == {DeliveryStatus.SENT}


def test_a_failing_sms_gateway_retries_alone_and_the_email_still_goes_out(
        channels, reachable_applicant, django_capture_on_commit_callbacks):
    channels.SMS_BACKEND = "tests.engine.test_notifications.BrokenSmsBackend"
    BrokenSmsBackend.calls = 0
    with django_capture_on_commit_callbacks(execute=True):
        [notification] = notify(users=[reachable_applicant], kind=NotificationKind.RESULT,
                                title="您的申请已办结")
    email = notification.deliveries.get(channel="email")
    sms = notification.deliveries.get(channel="sms")
    assert email.status == DeliveryStatus.SENT and len(mail.outbox) == 1
    # The first attempt and 5 retries, then it is given up and marked failed.
    assert BrokenSmsBackend.calls == 6
    assert sms.status == DeliveryStatus.FAILED
    assert sms.attempts == 6
    assert "短信网关无响应" in sms.last_error


def test_on_a_worker_a_failing_channel_is_retried_with_backoff_then_marked_failed(
        channels, reachable_applicant, monkeypatch):
    from celery.exceptions import Retry

    channels.SMS_BACKEND = "tests.engine.test_notifications.BrokenSmsBackend"
    [notification] = notify(users=[reachable_applicant], kind=NotificationKind.RESULT,
                            title="您的申请已办结")
    sms = notification.deliveries.get(channel="sms")
    scheduled = []

    def retry(*, exc, countdown):
        scheduled.append(countdown)
        return Retry(exc=exc, when=countdown)

    monkeypatch.setattr(notification_deliver_task, "retry", retry)
    for retries in range(6):
        notification_deliver_task.push_request(retries=retries, is_eager=False)
        try:
            if retries < 5:
                with pytest.raises(Retry):
                    notification_deliver_task.run(sms.pk)
                sms.refresh_from_db()
                assert sms.status == DeliveryStatus.PENDING and sms.attempts == retries + 1
            else:
                assert notification_deliver_task.run(sms.pk) == DeliveryStatus.FAILED
        finally:
            notification_deliver_task.pop_request()
    assert scheduled == [60, 120, 240, 480, 960]
    sms.refresh_from_db()
    assert sms.status == DeliveryStatus.FAILED and sms.attempts == 6


def test_a_redelivered_task_does_not_send_twice(channels, reachable_applicant,
                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        [notification] = notify(users=[reachable_applicant], kind=NotificationKind.RESULT,
                                title="您的申请已办结")
    email = notification.deliveries.get(channel="email")
    assert notification_deliver_task(email.pk) == DeliveryStatus.SENT
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert email.attempts == 1


def test_users_without_email_or_phone_are_recorded_not_retried(
        channels, township_staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        [notification] = notify(users=[township_staff], kind=NotificationKind.TASK, title="新待办")
    deliveries = {d.channel: d for d in notification.deliveries.all()}
    assert mail.outbox == []
    assert deliveries["email"].status == DeliveryStatus.FAILED
    assert deliveries["email"].attempts == 1
    assert "未登记电子邮箱" in deliveries["email"].last_error
    assert "未登记手机号码" in deliveries["sms"].last_error
    # The in-app notification is there regardless.
    assert notification.read_at is None


# ---------------------------------------------------------------------------------------------
# 催办


def test_urge_notifies_everyone_a_free_task_is_offered_to(case, county_staff, township_staff,
                                                         outsider):
    sent = case_urge(user=county_staff, case_pk=case.pk, comment="请尽快受理")
    assert {n.user for n in sent} == {township_staff}
    notification = sent[0]
    assert notification.kind == NotificationKind.URGE
    assert "请尽快受理" in notification.body
    assert notification.url == f"/tasks/{open_task(case).pk}/"
    entry = case.audit.get(action=AuditAction.URGED)
    assert entry.actor == county_staff
    assert entry.data["recipients"] == [township_staff.pk]
    assert outsider.username not in _notified(NotificationKind.URGE)


def test_urge_of_a_claimed_task_goes_to_its_assignee_only(case, village, county_staff,
                                                          township_staff, clock):
    colleague = get_user_model().objects.create_user("luodian_staff_2", first_name="罗店镇经办人二")
    role_assign(user=colleague, role="township_staff", unit=village.parent)
    task = open_task(case)
    assert set(task_offered_users(task)) == {township_staff, colleague}
    task_claim(user=colleague, task_pk=task.pk)
    sent = case_urge(user=county_staff, case_pk=case.pk, comment="")
    assert [n.user for n in sent] == [colleague]


def test_urge_reaches_the_substitute_of_an_away_assignee(case, county_staff, township_staff,
                                                        township_leader):
    from django.utils import timezone

    from engine.models import Substitution

    today = timezone.localdate()
    Substitution.objects.create(user=township_staff, substitute=township_leader,
                                starts_on=today, ends_on=today + timedelta(days=3))
    task_claim(user=township_staff, task_pk=open_task(case).pk)
    sent = case_urge(user=county_staff, case_pk=case.pk, comment="")
    assert {n.user for n in sent} == {township_staff, township_leader}


def test_urge_at_most_once_an_hour_per_case(case, county_staff, township_leader, clock):
    case_urge(user=county_staff, case_pk=case.pk, comment="")
    with pytest.raises(ValidationError, match="每小时最多催办一次"):
        case_urge(user=township_leader, case_pk=case.pk, comment="")
    clock.shift(timedelta(minutes=50))
    with pytest.raises(ValidationError, match="每小时最多催办一次"):
        case_urge(user=county_staff, case_pk=case.pk, comment="")
    clock.shift(timedelta(minutes=11))
    case_urge(user=township_leader, case_pk=case.pk, comment="")
    assert case.audit.filter(action=AuditAction.URGED).count() == 2


def test_urge_needs_jurisdiction(case, outsider, applicant, other_village_staff,
                                 township_staff):
    with pytest.raises(Http404):
        case_urge(user=outsider, case_pk=case.pk, comment="")
    with pytest.raises(PermissionDenied):
        case_urge(user=applicant, case_pk=case.pk, comment="")
    # A copy grants reading, not acting.
    case_copy_send(user=township_staff, case_pk=case.pk, recipients=[other_village_staff])
    with pytest.raises(PermissionDenied):
        case_urge(user=other_village_staff, case_pk=case.pk, comment="")
    assert not case.audit.filter(action=AuditAction.URGED).exists()


# ---------------------------------------------------------------------------------------------
# 抄送


def test_cc_gives_a_colleague_of_the_township_read_only_access(case, township_staff,
                                                               other_village_staff):
    with pytest.raises(Http404):
        case_get_for_user(other_village_staff, case.pk)
    [copy] = case_copy_send(user=township_staff, case_pk=case.pk,
                            recipients=[other_village_staff], comment="请知悉")
    assert copy.user == other_village_staff and copy.read_at is None
    assert case_get_for_user(other_village_staff, case.pk) == case
    assert not task_list_for_user(user=other_village_staff).filter(case=case).exists()
    notification = Notification.objects.get(user=other_village_staff, kind=NotificationKind.CC)
    assert notification.kind == NotificationKind.CC and "请知悉" in notification.body
    entry = case.audit.get(action=AuditAction.COPIED)
    assert entry.actor == township_staff and entry.data["users"] == [other_village_staff.pk]
    # Copying again to the same person sends nothing new.
    with pytest.raises(ValidationError, match="均已抄送"):
        case_copy_send(user=township_staff, case_pk=case.pk, recipients=[other_village_staff])


def test_cc_outside_the_senders_jurisdiction_is_refused(case, township_staff, village_staff,
                                                       other_village_staff, outsider):
    with pytest.raises(PermissionDenied, match="辖区外"):
        case_copy_send(user=township_staff, case_pk=case.pk, recipients=[outsider])
    # 罗店村's staff may not copy to 后溪村: neither within 罗店村 nor over the case.
    with pytest.raises(PermissionDenied, match="辖区外"):
        case_copy_send(user=village_staff, case_pk=case.pk, recipients=[other_village_staff])
    with pytest.raises(Http404):
        case_copy_send(user=outsider, case_pk=case.pk, recipients=[township_staff])
    assert not CaseCopy.objects.exists()
    assert not Notification.objects.exclude(kind=NotificationKind.TASK).exists()
    assert not NotificationDelivery.objects.exists()


def test_cc_to_a_role_means_its_holders_over_the_case(case, village_staff, township_leader,
                                                      outsider_leader):
    copies = case_copy_send(user=village_staff, case_pk=case.pk, recipients=["township_leader"])
    assert [c.user for c in copies] == [township_leader]
    assert outsider_leader.username not in _notified(NotificationKind.CC)
    with pytest.raises(ValidationError, match="未知的角色"):
        case_copy_send(user=village_staff, case_pk=case.pk, recipients=["mayor"])


def test_applicants_cannot_cc(case, applicant, township_staff):
    with pytest.raises(PermissionDenied):
        case_copy_send(user=applicant, case_pk=case.pk, recipients=[township_staff])


def test_county_staff_may_copy_within_the_county(case, county_staff, outsider):
    """The county's jurisdiction contains 安地镇 too: its staff may be told."""
    assert Unit.objects.get(name="婺城区").contains(outsider.role_assignments.get().unit)
    [copy] = case_copy_send(user=county_staff, case_pk=case.pk, recipients=[outsider])
    assert case_get_for_user(outsider, case.pk) == case
    assert copy.sent_by == county_staff


def test_a_new_task_is_announced_in_the_notification_centre_only(applicant, village,
                                                                  township_staff, outsider):
    from engine.models import Notification, NotificationKind
    from tests.workflows.temporary_relief.helpers import file_application as file_relief

    case = file_relief(user=applicant, village=village)
    notice = Notification.objects.get(user=township_staff, kind=NotificationKind.TASK)
    assert notice.case == case and "受理审查" in notice.title
    assert not notice.deliveries.exists()  # no email or SMS for routine new tasks
    assert not Notification.objects.filter(user=outsider).exists()
