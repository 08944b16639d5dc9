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
    lines = seed(stages=True)
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
    # running it again adds nothing (the four notices: in progress, ended and waiting, ended
    # and gone to the county, ended and decided)
    assert PublicNotice.objects.count() == 4
    seed(stages=True)
    assert PublicNotice.objects.count() == 4


# The seed_demo command itself (account table, printed address, every stage, idempotence):
# tests/workflows/test_demo_stages.py


def test_seed_demo_command_sets_up_signing(demo, settings):
    """Documents are signed: seed_demo makes the demo CA and the issuing units' certificates
    (under SIGNING_DIR, never in the repository) and says so."""
    from io import StringIO

    from django.core.management import call_command

    from engine.signing import unit_files

    out = StringIO()
    call_command("seed_demo", "--no-stages", stdout=out)
    assert "演示电子签章" in out.getvalue()
    assert unit_files("婺民").cert.is_file() and unit_files("罗店政").cert.is_file()
