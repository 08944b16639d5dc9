"""The demo seed shows a newcomer a notice in progress and one whose period has ended and is
ready for decision, without waiting and without a fake clock."""
import pytest
from django.test import Client

from engine.models import NoticeStatus, PublicNotice
from engine.notices import notice_remaining_days
from engine.selectors import task_list_for_user
from workflows.temporary_relief.demo import seed

pytestmark = pytest.mark.django_db


def test_seed_shows_a_notice_in_progress_and_one_ended(demo, township_leader):
    lines = seed()
    notices = {n.case.applicant_name: n for n in PublicNotice.objects.select_related("case")}
    running, ended = notices["李秀兰"], notices["王建华"]
    assert running.status == NoticeStatus.OPEN and notice_remaining_days(running) == 5
    assert ended.status == NoticeStatus.ENDED
    for notice in (running, ended):
        assert notice.seed_note.startswith("演示数据")
        assert notice.case.audit.filter(summary__startswith="演示数据").exists()
    # the ended one went through the ordinary sweep and waits for the township leader
    assert ended.case.data["notice_held"] is True
    decide = ended.case.tasks.get(status="open")
    assert decide.spec_name == "township_decide"
    assert decide in task_list_for_user(user=township_leader)
    # both are on the public page, marked as demo data
    html = Client().get("/public/notices/").content.decode()
    assert "李*兰" in html and "王*华" in html and "剩余5天" in html and "公示期满" in html
    assert "演示数据" in Client().get(f"/public/notices/{running.uuid}/").content.decode()
    notes = "\n".join(lines)
    assert f"/public/notices/{running.uuid}/" in notes and "luodian_leader" in notes
    # running it again adds nothing
    seed()
    assert PublicNotice.objects.count() == 2


def test_seed_demo_command_prints_the_notice_notes(demo, settings):
    """The notes, every demo account in the table (those procedures' seeds make too), and
    the site's address as configured (bin/demo sets SITE_URL from PORT), not a fixed :8000."""
    from io import StringIO

    from django.core.management import call_command

    settings.SITE_URL = "http://127.0.0.1:8123"
    out = StringIO()
    call_command("seed_demo", stdout=out)
    text = out.getvalue()
    assert "临时救助公示" in text and "http://127.0.0.1:8123/public/notices/" in text
    table = text.split("演示账号", 1)[1].split("各事项演示说明", 1)[0]
    for username in ("applicant_zhang", "applicant_wang", "org_laonian", "wucheng_supervisor",
                     "wucheng_dept_police"):
        assert f"  {username} " in table, username
    assert "打开 http://127.0.0.1:8123 登录" in text
    # Documents are signed: the demo CA and the issuing units' certificates exist.
    assert "演示电子签章" in text
    from engine.signing import unit_files

    assert unit_files("婺民").cert.is_file() and unit_files("罗店政").cert.is_file()
    assert ":8000" not in text
