"""The public notice pages (/public/notices/, no login), the objection form, the staff's
登记异议 on the case page, and the notice period on the county settings page."""
import pytest
from django.test import Client
from django.urls import reverse

from engine.models import NoticeObjection, NoticeStatus, ObjectionSource, Unit
from tests.workflows.temporary_relief.helpers import VALID_ID, file_application, open_task, \
    walk_to_notice

pytestmark = pytest.mark.django_db

LIST = reverse("portal:public_notices")
GOOD = {"name": "李四", "contact": "13800000009", "content": "该户家中有营运货车，收入不低，请核查"}


@pytest.fixture
def notice(applicant, village, village_staff, township_staff):
    case = file_application(user=applicant, village=village)
    walk_to_notice(case, village_staff=village_staff, township_staff=township_staff)
    return case.public_notices.get()


def _detail(notice):
    return reverse("portal:public_notice", args=[notice.uuid])


def test_the_public_list_shows_the_notice_without_login(notice):
    page = Client().get(LIST)
    html = page.content.decode()
    assert page.status_code == 200
    assert "临时救助对象公示" in html and "张*国" in html and "罗店村" in html
    assert "突发重大疾病" in html and "2500元" in html and "剩余7天" in html
    for secret in (VALID_ID, "6217000000000001", "脑梗", "张建国"):
        assert secret not in html


def test_the_list_filters_by_township_and_village(notice):
    andi = Unit.objects.get(name="安地镇")
    luodian = Unit.objects.get(name="罗店镇")
    assert "张*国" not in Client().get(LIST, {"township": andi.pk}).content.decode()
    assert "张*国" in Client().get(LIST, {"township": luodian.pk}).content.decode()
    other_village = Unit.objects.get(name="后溪村")
    assert "张*国" not in Client().get(LIST, {"village": other_village.pk}).content.decode()
    assert "张*国" in Client().get(LIST, {"village": notice.unit.pk}).content.decode()
    for junk in ({"township": "abc"}, {"village": "-1"}, {"township": "9" * 30}):
        assert Client().get(LIST, junk).status_code == 200


def test_the_notice_page_shows_period_remaining_days_and_the_form(notice):
    page = Client().get(_detail(notice))
    html = page.content.decode()
    assert page.status_code == 200
    assert "公示期：7天" in html and "剩余7天" in html and "提出异议" in html
    assert VALID_ID not in html and "6217000000000001" not in html


@pytest.mark.parametrize("post", [
    {},
    {"name": "", "contact": "", "content": ""},
    {"name": "李四", "contact": "1", "content": "短"},
    {"name": "李" * 51, "contact": "13800000009", "content": "长" * 2001},
    {"name": "李四\x00", "contact": "13800000009\x00", "content": "有\x00异议" * 5},
    {"name": ["a", "b"], "content": "x"},
])
def test_a_malformed_objection_gets_a_chinese_error_and_saves_nothing(notice, post):
    response = Client().post(_detail(notice), post)
    html = response.content.decode()
    assert response.status_code == 400
    assert any(message in html for message in ("此项为必填项", "至少填写", "不能超过",
                                               "不允许的字符"))
    assert not NoticeObjection.objects.exists()
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.OPEN


def test_an_objection_online_suspends_the_notice_and_routes_to_review(notice):
    client = Client()
    response = client.post(_detail(notice), GOOD, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 302
    objection = NoticeObjection.objects.get()
    assert (objection.source, objection.client_ip) == (ObjectionSource.ONLINE, "203.0.113.9")
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.SUSPENDED
    assert open_task(notice.case).spec_name == "objection_review"
    html = client.get(_detail(notice)).content.decode()
    assert "异议已提交" in html and "暂停计时" in html
    # the page does not publish the objector
    assert "13800000009" not in html


def test_too_many_objections_from_one_address_are_refused_in_chinese(notice):
    client = Client()
    for _ in range(5):
        assert client.post(_detail(notice), GOOD, REMOTE_ADDR="203.0.113.9").status_code == 302
    response = client.post(_detail(notice), GOOD, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 400 and "提交过于频繁" in response.content.decode()
    assert NoticeObjection.objects.count() == 5


def test_unknown_or_withdrawn_notice_is_404(notice):
    assert Client().get("/public/notices/00000000-0000-0000-0000-000000000000/"
                        ).status_code == 404
    assert Client().get("/public/notices/not-a-uuid/").status_code == 404
    notice.status = NoticeStatus.WITHDRAWN
    notice.save(update_fields=["status"])
    assert Client().get(_detail(notice)).status_code == 404
    assert "张*国" not in Client().get(LIST).content.decode()


# ---------------------------------------------------------------------------------------------
# Staff: the case page


def test_staff_see_the_notice_and_enter_an_objection_on_the_case_page(
        notice, client_for, village_staff, township_staff):
    case = notice.case
    client = client_for(village_staff)
    html = client.get(reverse("portal:case", args=[case.pk])).content.decode()
    assert "登记收到的异议" in html and "公示中" in html
    response = client.post(reverse("portal:case_notice_objection", args=[case.pk]),
                           {**GOOD, "next": reverse("portal:case", args=[case.pk])})
    assert response.status_code == 302
    objection = NoticeObjection.objects.get()
    assert (objection.source, objection.entered_by) == (ObjectionSource.STAFF, village_staff)
    review = open_task(case, "objection_review")
    client = client_for(township_staff)
    response = client.post(reverse("portal:task", args=[review.pk]), {
        "objection_outcome": "reject", "objection_review_note": "经核查车辆已报废"})
    assert response.status_code == 302
    html = client.get(reverse("portal:case", args=[case.pk])).content.decode()
    assert "异议不成立" in html and "经核查车辆已报废" in html
    assert "李四" in html  # staff see who objected


def test_a_bad_staff_objection_is_not_saved(notice, client_for, township_staff):
    response = client_for(township_staff).post(
        reverse("portal:case_notice_objection", args=[notice.case.pk]),
        {"name": "", "contact": "1", "content": ""}, follow=True)
    assert "登记异议未保存" in response.content.decode()
    assert not NoticeObjection.objects.exists()


def test_outsider_staff_cannot_enter_an_objection_on_another_townships_case(
        notice, client_for, outsider):
    response = client_for(outsider).post(
        reverse("portal:case_notice_objection", args=[notice.case.pk]), GOOD)
    assert response.status_code == 404
    assert not NoticeObjection.objects.exists()


def test_the_applicant_sees_no_staff_objection_form(notice, client_for, applicant):
    html = client_for(applicant).get(reverse("portal:case", args=[notice.case.pk])
                                     ).content.decode()
    assert "登记收到的异议" not in html
    response = client_for(applicant).post(
        reverse("portal:case_notice_objection", args=[notice.case.pk]), GOOD)
    assert response.status_code == 403
    assert not NoticeObjection.objects.exists()


# ---------------------------------------------------------------------------------------------
# County settings: the notice period


SETTINGS = reverse("portal:county_settings")


@pytest.mark.parametrize("days", [3, 7])
def test_county_sets_the_notice_period(client_for, supervisor, demo, days):
    response = client_for(supervisor).post(SETTINGS, {
        "holidays": "", "workdays": "", "dibao_monthly": "1050", "notice_days": str(days)})
    assert response.status_code == 302
    demo.refresh_from_db()
    assert demo.settings["notice_days"] == days
    assert demo.settings["notice_mask_name"] is True


@pytest.mark.parametrize(("days", "message"), [("2", "公示期不能少于3天"),
                                               ("8", "公示期不能超过7天"),
                                               ("七", "公示期应为整数天")])
def test_county_cannot_set_a_notice_period_outside_3_to_7(client_for, supervisor, demo,
                                                          days, message):
    response = client_for(supervisor).post(SETTINGS, {
        "holidays": "", "workdays": "", "dibao_monthly": "1050", "notice_days": days})
    assert response.status_code == 200 and message in response.content.decode()
    demo.refresh_from_db()
    assert "notice_days" not in demo.settings


def test_behind_the_proxy_the_limit_counts_each_client_not_the_proxy(notice, settings):
    """bin/serve behind nginx (docs/DEPLOY.md): every request comes from 127.0.0.1, and the
    client is the address nginx appends to X-Forwarded-For."""
    settings.FORWARDED_ALLOW_IPS = ["127.0.0.1"]
    client = Client()
    for _ in range(5):
        assert client.post(_detail(notice), GOOD, REMOTE_ADDR="127.0.0.1",
                           HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 302
    refused = client.post(_detail(notice), GOOD, REMOTE_ADDR="127.0.0.1",
                          HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert refused.status_code == 400 and "提交过于频繁" in refused.content.decode()
    # another citizen behind the same proxy is not refused; a forged left part is ignored
    assert client.post(_detail(notice), GOOD, REMOTE_ADDR="127.0.0.1",
                       HTTP_X_FORWARDED_FOR="198.51.100.7, 192.0.2.44").status_code == 302
    assert set(NoticeObjection.objects.values_list("client_ip", flat=True)) == {
        "198.51.100.7", "192.0.2.44"}


@pytest.mark.parametrize("forwarded", ["198.51.100.7", "garbage", "", "1.2.3.4, not-an-ip"])
def test_a_forwarded_header_from_anyone_but_the_proxy_or_malformed_is_ignored(
        notice, settings, forwarded):
    settings.FORWARDED_ALLOW_IPS = ["127.0.0.1"]
    peer = "203.0.113.9" if forwarded == "198.51.100.7" else "127.0.0.1"
    response = Client().post(_detail(notice), GOOD, REMOTE_ADDR=peer,
                             HTTP_X_FORWARDED_FOR=forwarded)
    assert response.status_code == 302
    assert NoticeObjection.objects.get().client_ip == peer

