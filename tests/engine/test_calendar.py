"""Working days across a year the holiday package does not know (2027 with chinesecalendar
1.11): the deadline is flagged, never silently counted Monday–Friday; entering the year
(county page, import lines, or the product administrator) recounts open tasks."""
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm

from engine.calendar import (
    CalendarEntryError,
    WorkingCalendar,
    calendar_import_parse,
    calendar_year_save,
    package_covers,
    task_due_fields,
)
from engine.models import AuditAction, AuditEntry, CalendarYear, TaskStatus, UnitLevel
from engine.services import case_start, definition_deploy, role_assign, unit_create

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent.parent / "data" / "calendar"
TZ = ZoneInfo("Asia/Shanghai")
# 2027 is a year the package does not cover; the tests are about such a year. If a future
# package release covers 2027, they must move to the next uncovered year, not pass vacuously.
YEAR = 2027


@pytest.fixture(autouse=True)
def _year_is_unknown_to_the_package():
    assert not package_covers(YEAR), "move these tests to a year the package does not cover"
    assert package_covers(2026)


def _at(y, m, d, hour=9):
    return datetime(y, m, d, hour, 0, tzinfo=TZ)


def test_without_the_year_the_deadline_is_flagged(demo):
    fields = task_due_fields({"due_working_days": "5"}, demo, _at(2026, 12, 28))
    # 12-29, 12-30, 12-31, then 2027-01-01 and 01-04 counted as plain weekdays.
    assert timezone.localtime(fields["due_at"]).date() == date(2027, 1, 4)
    assert fields["due_uncertain_years"] == [YEAR]
    assert fields["due_working_days"] == 5 and fields["due_start"] == _at(2026, 12, 28)


def test_a_deadline_within_known_years_is_not_flagged(demo):
    fields = task_due_fields({"due_working_days": "2"}, demo, _at(2026, 12, 28))
    assert timezone.localtime(fields["due_at"]).date() == date(2026, 12, 30)
    assert fields["due_uncertain_years"] == []


def test_hour_deadlines_need_no_calendar(demo):
    fields = task_due_fields({"due_hours": "24"}, demo, _at(2026, 12, 31))
    assert fields["due_uncertain_years"] == [] and fields["due_working_days"] is None


def test_with_new_year_entered_the_deadline_is_right(demo, supervisor):
    calendar_year_save(year=YEAR, county=None, holidays=["2027-01-01"], workdays=[],
                       actor=supervisor)
    fields = task_due_fields({"due_working_days": "5"}, demo, _at(2026, 12, 28))
    assert timezone.localtime(fields["due_at"]).date() == date(2027, 1, 5)
    assert fields["due_uncertain_years"] == []


def test_a_make_up_working_day_counts(demo, supervisor):
    # A Saturday entered as 调休上班 is a working day of that year.
    calendar_year_save(year=YEAR, county=demo, holidays=["2027-01-01"],
                       workdays=["2027-01-02"], actor=supervisor)
    calendar = WorkingCalendar.for_county(demo)
    assert calendar.is_working_day(date(2027, 1, 2))
    assert not calendar.is_working_day(date(2027, 1, 1))
    assert not calendar.is_working_day(date(2027, 1, 3))  # a Sunday, not entered
    assert calendar.uncertain == set()


def test_a_countys_entry_is_its_own_and_the_national_one_applies_elsewhere(demo, supervisor):
    other = unit_create(name="金东区", level=UnitLevel.COUNTY, doc_prefix="金东民")
    calendar_year_save(year=YEAR, county=demo, holidays=["2027-01-01", "2027-01-04"],
                       workdays=[], actor=supervisor)
    assert not WorkingCalendar.for_county(demo).is_working_day(date(2027, 1, 4))
    other_calendar = WorkingCalendar.for_county(other)
    assert other_calendar.is_working_day(date(2027, 1, 4))
    assert other_calendar.uncertain == {YEAR}  # the other county still lacks the year
    calendar_year_save(year=YEAR, county=None, holidays=["2027-01-01"], workdays=[],
                       actor=None)
    other_calendar = WorkingCalendar.for_county(other)
    assert not other_calendar.is_working_day(date(2027, 1, 1))
    assert other_calendar.uncertain == set()
    # The county's own entry still wins for the county.
    assert not WorkingCalendar.for_county(demo).is_working_day(date(2027, 1, 4))


def test_a_year_the_package_covers_cannot_be_overridden(demo, supervisor):
    with pytest.raises(CalendarEntryError, match="已由系统日历数据提供"):
        calendar_year_save(year=2026, county=None, holidays=["2026-12-28"], workdays=[],
                           actor=supervisor)
    assert not CalendarYear.objects.exists()


def test_dates_outside_the_year_are_refused(demo, supervisor):
    with pytest.raises(CalendarEntryError, match="不属于2027年"):
        calendar_year_save(year=YEAR, county=None, holidays=["2028-01-01"], workdays=[],
                           actor=supervisor)


# ---------------------------------------------------------------------------------------------
# Import parser


def test_import_lines_ranges_and_csv():
    parsed = calendar_import_parse(
        "日期,类型,说明\n2027-01-01,休,元旦\n"
        "# 春节\n2027-02-06 至 2027-02-08 休 春节\n2027-02-14 班\n\n2027-2-9~2027-2-10 休",
        year=YEAR)
    assert parsed.holidays == ["2027-01-01", "2027-02-06", "2027-02-07", "2027-02-08",
                               "2027-02-09", "2027-02-10"]
    assert parsed.workdays == ["2027-02-14"]


@pytest.mark.parametrize(("text", "message"), [
    ("2027-01-01 休\n2027-13-01 休", "第2行：“2027-13-01”不是有效日期"),
    ("2027-01-01 休\n2027-01-02 放", "第2行：类型“放”无法识别"),
    ("2027-01-01", "第1行“2027-01-01”：应为“日期 休”或“日期 班”"),
    ("2027-01-01 休\n2028-01-01 休", "第2行：2028-01-01不属于2027年"),
    ("2027-02-10 至 2027-02-06 休", "第1行：结束日期早于开始日期"),
    ("2027-01-01 休\n2027-01-01 班", "日期不能既是休息日又是上班日：2027-01-01"),
    ("2027-02-14 班", "没有读到2027年的任何休息日"),
    ("元旦 休", "第1行：“元旦”不是有效日期"),
])
def test_import_refuses_malformed_lines(text, message):
    with pytest.raises(CalendarEntryError) as caught:
        calendar_import_parse(text, year=YEAR)
    assert any(message in m for m in caught.value.messages), caught.value.messages


def test_import_lists_every_bad_line_at_once():
    with pytest.raises(CalendarEntryError) as caught:
        calendar_import_parse("2027-01-01 休\nfoo 休\n2027-01-32 休\n2027-02-07 上", year=YEAR)
    assert [m.split("：")[0] for m in caught.value.messages] == ["第2行", "第3行", "第4行"]


# ---------------------------------------------------------------------------------------------
# Tasks: flagged on the row, recounted when the year is entered


@pytest.fixture
def deployed(demo):
    definition_deploy(key="five_days", name="五个工作日",
                      bpmn_xml=(DATA / "five_days.bpmn").read_text(encoding="utf-8"),
                      dmn_xmls=[])


def _start_on_dec_28(clock, village, village_staff):
    clock.shift(_at(2026, 12, 28) - timezone.now())
    case = case_start(procedure="five_days", title="五个工作日", village=village,
                      applicant_name="张建国", data={}, started_by=village_staff)
    return case.tasks.get(status=TaskStatus.OPEN)


def test_task_opened_dec_28_is_flagged_then_recounted(deployed, clock, village, village_staff,
                                                      supervisor):
    task = _start_on_dec_28(clock, village, village_staff)
    assert timezone.localtime(task.due_at).date() == date(2027, 1, 4)
    assert task.due_uncertain_years == [YEAR]
    assert task.due_uncertain_label == "2027年节假日未配置"
    assert task.due_working_days == 5

    calendar_year_save(year=YEAR, county=demo_county(village), holidays=["2027-01-01"],
                       workdays=[], source="测试", actor=supervisor)
    task.refresh_from_db()
    assert timezone.localtime(task.due_at).date() == date(2027, 1, 5)
    assert timezone.localtime(task.due_at).hour == 23
    assert task.due_uncertain_years == [] and task.due_uncertain_label == ""
    entry = AuditEntry.objects.get(action=AuditAction.SETTINGS, data__calendar_year=YEAR)
    assert entry.actor == supervisor and entry.data["recounted_tasks"] == [task.pk]
    assert entry.data["after"]["holidays"] == ["2027-01-01"] and entry.data["before"] is None


def test_completed_tasks_keep_their_history(deployed, clock, village, village_staff,
                                            township_staff, supervisor):
    from engine.services import task_complete

    task = _start_on_dec_28(clock, village, village_staff)
    task_complete(user=township_staff, task_pk=task.pk, form_data={"opinion": "同意"})
    calendar_year_save(year=YEAR, county=None, holidays=["2027-01-01"], workdays=[],
                       actor=supervisor)
    task.refresh_from_db()
    assert task.due_uncertain_years == [YEAR]  # closed rows are not rewritten


def demo_county(village):
    return village.county


# ---------------------------------------------------------------------------------------------
# Pages: inbox, task page, dashboard, the county's entry page


def test_flag_shown_in_inbox_task_page_and_dashboard(deployed, clock, village, village_staff,
                                                     township_staff, supervisor, client):
    task = _start_on_dec_28(clock, village, village_staff)
    client.force_login(township_staff)
    assert "2027年节假日未配置" in client.get(reverse("portal:inbox")).content.decode()
    assert "2027年节假日未配置" in client.get(reverse("portal:task", args=[task.pk])
                                           ).content.decode()
    client.force_login(supervisor)
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert "2027年节假日未配置：1项待办" in page
    data = client.get(reverse("portal:dashboard_data")).json()
    assert data["calendar_warnings"][0]["year"] == YEAR
    assert data["calendar_warnings"][0]["tasks"] == 1

    response = client.post(reverse("portal:county_calendar") + "?year=2027",
                           {"year": "2027", "entries": "2027-01-01 休 元旦", "source": "通知"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.due_uncertain_years == []
    assert client.get(reverse("portal:dashboard_data")).json()["calendar_warnings"] == []
    client.force_login(township_staff)
    assert "节假日未配置" not in client.get(reverse("portal:inbox")).content.decode()


def test_county_page_lists_the_year_and_refuses_bad_lines(client, supervisor, demo):
    client.force_login(supervisor)
    url = reverse("portal:county_calendar")
    page = client.get(url).content.decode()
    assert "2027年" in page and "2027年节假日未配置" in page
    response = client.post(url + "?year=2027", {"year": "2027",
                                                 "entries": "2027-01-01 休\n2027-1-1x 班"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "第2行" in page and "不是有效日期" in page
    assert not CalendarYear.objects.exists()  # nothing saved on error
    # A year the package covers cannot be entered through the page either.
    response = client.post(url + "?year=2026", {"year": "2026", "entries": "2026-12-28 休"})
    assert response.status_code == 302 and not CalendarYear.objects.exists()


@pytest.mark.parametrize("query", ["", "?year=abc", "?year=99999", "?year=2026"])
def test_a_save_must_name_a_year_that_may_be_entered(client, supervisor, demo, query):
    client.force_login(supervisor)
    response = client.post(reverse("portal:county_calendar") + query,
                           {"entries": "2027-01-01 休"})
    assert response.status_code == 302
    assert not CalendarYear.objects.exists()
    assert client.get(response["Location"]).status_code == 200


def test_county_page_saves_for_the_supervisors_county_only(client, supervisor, demo):
    client.force_login(supervisor)
    client.post(reverse("portal:county_calendar") + "?year=2027",
                {"year": "2027", "entries": "2027-01-01 休\n2027-02-07 班", "source": "通知"})
    entry = CalendarYear.objects.get()
    assert entry.county == demo and entry.holidays == ["2027-01-01"]
    assert entry.workdays == ["2027-02-07"] and entry.updated_by == supervisor
    assert "2027-02-07 班" in client.get(reverse("portal:county_calendar") + "?year=2027"
                                        ).content.decode()


@pytest.mark.parametrize("persona", ["county_leader", "county_staff", "township_staff",
                                     "applicant", "outsider"])
def test_others_may_not_enter_holidays(client, request, persona, demo):
    client.force_login(request.getfixturevalue(persona))
    url = reverse("portal:county_calendar")
    assert client.get(url).status_code == 403
    assert client.post(url + "?year=2027", {"year": "2027", "entries": "2027-01-01 休"}
                       ).status_code == 403
    assert not CalendarYear.objects.exists()


def test_another_countys_supervisor_edits_only_their_own_county(client, demo):
    other = unit_create(name="金东区", level=UnitLevel.COUNTY, doc_prefix="金东民")
    user = get_user_model().objects.create_user("jindong_supervisor", password="x")
    role_assign(user=user, role="county_leader", unit=other)
    assign_perm("engine.supervise_unit", user, other)
    client.force_login(user)
    client.post(reverse("portal:county_calendar") + "?year=2027",
                {"year": "2027", "entries": "2027-01-01 休\n2027-01-04 休"})
    entry = CalendarYear.objects.get()
    assert entry.county == other
    # 婺城区 is untouched: still unknown there.
    calendar = WorkingCalendar.for_county(demo)
    assert calendar.is_working_day(date(2027, 1, 4)) and calendar.uncertain == {YEAR}


def test_product_administrator_enters_the_national_year_in_admin(client, demo, deployed, clock,
                                                                 village, village_staff):
    task = _start_on_dec_28(clock, village, village_staff)
    admin_user = get_user_model().objects.create_superuser("root", password="x")
    client.force_login(admin_user)
    url = reverse("admin:engine_calendaryear_add")
    response = client.post(url, {"year": "2027", "county": "", "source": "国办发明电",
                                 "entries": "2027-01-01 休\n2027-01-32 休"})
    assert response.status_code == 200 and "第2行" in response.content.decode()
    assert not CalendarYear.objects.exists()
    for year in ("2026", "99999"):
        response = client.post(url, {"year": year, "county": "", "entries": f"{year}-01-01 休"})
        assert response.status_code == 200 and "errornote" in response.content.decode()
    assert not CalendarYear.objects.exists()
    response = client.post(url, {"year": "2027", "county": "", "source": "国办发明电",
                                 "entries": "2027-01-01 休"})
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = CalendarYear.objects.get()
    assert entry.county is None and entry.updated_by == admin_user
    task.refresh_from_db()
    assert task.due_uncertain_years == []
    assert timezone.localtime(task.due_at).date() == date(2027, 1, 5)


def test_staff_without_superuser_cannot_use_the_admin_page(client, supervisor, demo):
    supervisor.is_staff = True
    supervisor.save(update_fields=["is_staff"])
    client.force_login(supervisor)
    url = reverse("admin:engine_calendaryear_add")
    assert client.get(url).status_code == 403
    assert client.post(url, {"year": "2027", "county": "", "entries": "2027-01-01 休"}
                       ).status_code == 403
    assert not CalendarYear.objects.exists()
