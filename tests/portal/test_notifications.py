"""Portal pages for notifications, 催办 and 抄送: the header's unread count, the notification
centre, the urge/CC box of the case page and the "抄送我的" tab."""
from datetime import timedelta

import pytest
from django.urls import reverse

from engine.models import AuditAction, CaseCopy, Notification, NotificationKind
from engine.notifications import case_copy_send, notify

pytestmark = pytest.mark.django_db


def _notify(user, title, url=""):
    [notification] = notify(users=[user], kind=NotificationKind.TASK, title=title, url=url)
    return notification


def test_header_shows_the_unread_count(client_for, township_staff):
    client = client_for(township_staff)
    page = client.get(reverse("portal:inbox")).content.decode()
    assert 'id="unread-count"' not in page
    _notify(township_staff, "新待办一")
    _notify(township_staff, "新待办二")
    page = client.get(reverse("portal:inbox")).content.decode()
    assert 'id="unread-count">2</span>' in page


def test_notification_centre_lists_only_own_notifications(client_for, township_staff,
                                                          outsider):
    _notify(township_staff, "罗店镇的通知")
    _notify(outsider, "安地镇的通知")
    page = client_for(township_staff).get(reverse("portal:notifications")).content.decode()
    assert "罗店镇的通知" in page and "安地镇的通知" not in page


def test_opening_a_notification_marks_it_read_and_follows_it(client_for, township_staff,
                                                             outsider, case):
    notification = _notify(township_staff, "去看看", url=reverse("portal:case", args=[case.pk]))
    client = client_for(township_staff)
    url = reverse("portal:notification_open", args=[notification.pk])
    assert client.get(url).status_code == 405  # changes are POSTs
    assert client_for(outsider).post(url).status_code == 404
    response = client.post(url)
    assert response.status_code == 302 and response.url == f"/cases/{case.pk}/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_mark_all_read(client_for, township_staff, outsider):
    _notify(township_staff, "一")
    _notify(township_staff, "二")
    theirs = _notify(outsider, "别人的")
    response = client_for(township_staff).post(reverse("portal:notifications_read_all"))
    assert response.status_code == 302
    assert not Notification.objects.filter(user=township_staff, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


# ---------------------------------------------------------------------------------------------
# 催办 and 抄送 on the case page


def test_case_page_offers_urge_and_cc_to_staff_with_jurisdiction_only(client_for, case,
                                                                      township_leader,
                                                                      applicant, outsider):
    page = client_for(township_leader).get(reverse("portal:case", args=[case.pk])).content
    assert reverse("portal:case_urge", args=[case.pk]).encode() in page
    assert reverse("portal:case_copy", args=[case.pk]).encode() in page
    # The CC list offers colleagues within the leader's township, never 安地镇's staff.
    assert "罗店镇经办人".encode() in page and "安地镇经办人".encode() not in page
    page = client_for(applicant).get(reverse("portal:case", args=[case.pk])).content
    assert reverse("portal:case_urge", args=[case.pk]).encode() not in page


def test_urge_from_the_case_page(client_for, case, township_leader, township_staff, clock):
    client = client_for(township_leader)
    url = reverse("portal:case_urge", args=[case.pk])
    response = client.post(url, {"comment": "群众反映较急"}, follow=True)
    assert "已催办，1位经办人将收到提醒" in response.content.decode()
    assert Notification.objects.get(kind=NotificationKind.URGE).user == township_staff
    response = client.post(url, {"comment": ""}, follow=True)
    assert "每小时最多催办一次" in response.content.decode()
    assert case.audit.filter(action=AuditAction.URGED).count() == 1
    clock.shift(timedelta(hours=1, minutes=1))
    client.post(url, {"comment": ""})
    assert case.audit.filter(action=AuditAction.URGED).count() == 2


def test_urge_outsider_404_applicant_403(client_for, case, outsider, applicant):
    url = reverse("portal:case_urge", args=[case.pk])
    assert client_for(outsider).post(url).status_code == 404
    assert client_for(applicant).post(url).status_code == 403
    assert not case.audit.filter(action=AuditAction.URGED).exists()


def test_cc_from_the_case_page_and_the_copies_tab(client_for, case, township_staff,
                                                  other_village_staff, township_leader):
    url = reverse("portal:case_copy", args=[case.pk])
    response = client_for(township_staff).post(
        url, {"users": [other_village_staff.pk], "roles": ["township_leader"],
              "comment": "请协助核实"}, follow=True)
    assert "已抄送给2人" in response.content.decode()
    recipient = client_for(other_village_staff)
    # The inbox shows the tab with its unread count; the tab lists the copy.
    inbox = recipient.get(reverse("portal:inbox")).content.decode()
    assert "抄送我的" in inbox
    page = recipient.get(reverse("portal:copies")).content.decode()
    assert "请协助核实" in page and case.applicant_name in page
    copy = CaseCopy.objects.get(user=other_village_staff)
    response = recipient.post(reverse("portal:copy_open", args=[copy.pk]))
    assert response.status_code == 302 and response.url == f"/cases/{case.pk}/"
    copy.refresh_from_db()
    assert copy.read_at is not None
    # Read-only: the case page opens, without the urge/CC box.
    page = recipient.get(reverse("portal:case", args=[case.pk])).content
    assert reverse("portal:case_urge", args=[case.pk]).encode() not in page
    assert CaseCopy.objects.filter(user=township_leader).exists()


def test_cc_outside_jurisdiction_is_403(client_for, case, township_staff, outsider, applicant):
    url = reverse("portal:case_copy", args=[case.pk])
    assert client_for(township_staff).post(url, {"users": [outsider.pk]}).status_code == 403
    assert client_for(outsider).post(url, {"users": [township_staff.pk]}).status_code == 404
    assert client_for(applicant).post(url, {"roles": ["township_staff"]}).status_code == 403
    assert not CaseCopy.objects.exists()


def test_copies_are_private_and_staff_only(client_for, case, township_staff,
                                          other_village_staff, village_staff, applicant):
    [copy] = case_copy_send(user=township_staff, case_pk=case.pk,
                            recipients=[other_village_staff])
    assert client_for(village_staff).post(
        reverse("portal:copy_open", args=[copy.pk])).status_code == 404
    assert client_for(applicant).get(reverse("portal:copies")).status_code == 403


def test_opening_a_cc_notification_opens_the_copy(client_for, case, township_staff,
                                                  other_village_staff):
    [copy] = case_copy_send(user=township_staff, case_pk=case.pk,
                            recipients=[other_village_staff])
    notification = Notification.objects.get(user=other_village_staff, kind=NotificationKind.CC)
    response = client_for(other_village_staff).post(
        reverse("portal:notification_open", args=[notification.pk]))
    assert response.url == f"/cases/{case.pk}/"
    copy.refresh_from_db()
    assert copy.read_at is not None
