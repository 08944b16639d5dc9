"""The demo shows every stage of every procedure: ``seed_demo`` files one case per stage through
the engine (forms, task completion, the timer sweep), the notice periods of temporary relief
included, without faking the clock; running it again duplicates nothing; the README's table
of demo cases is the seed's own list."""
import re
from importlib import import_module
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from engine.models import (
    AuditEntry,
    Case,
    CaseStatus,
    Document,
    HumanTask,
    NoticeStatus,
    PublicNotice,
    TaskStatus,
)
from engine.selectors import case_list_for_user, task_list_for_user
from workflows.demo import demo_case, demo_user
from workflows.procedures import DEMO_SEEDS, PROCEDURES
from workflows.registry import procedure_get

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parents[2] / "README.md"


def _stages():
    return [stage for module in DEMO_SEEDS for stage in import_module(module).STAGES]


def _counts():
    return {model.__name__: model.objects.count()
            for model in (Case, HumanTask, Document, PublicNotice, AuditEntry)}


def test_seed_demo_makes_every_stage_once(demo, settings):
    """One test, so the seed (about 40 cases walked through the engine) runs once for the
    suite: without stages, with them, and again."""
    stages = _stages()
    call_command("seed_demo", "--no-stages", stdout=StringIO())
    for stage in stages:
        if stage.procedure != "annual_inspection" and stage.applicant_name != "张建国":
            assert demo_case(stage) is None, stage  # only the procedures' own demo data
    # bin/demo sets SITE_URL from PORT: the printed links follow it, not a fixed :8000
    settings.SITE_URL = "http://127.0.0.1:8123"
    out = StringIO()
    call_command("seed_demo", stdout=out)
    text = out.getvalue()
    # every demo account is in the table, those the procedures' seeds make too
    table = text.split("演示账号", 1)[1].split("各阶段演示案件", 1)[0]
    for username in {s.account for s in stages} | {
            "applicant_zhang", "applicant_wang", "org_laonian", "wucheng_supervisor"}:
        assert f"  {username} " in table, username
    assert "AnonymousUser" not in table  # django-guardian's, nobody logs in as it
    assert "打开 http://127.0.0.1:8123 登录" in text
    for stage in stages:
        case = demo_case(stage)
        assert case is not None, stage
        account = demo_user(stage.account)
        # the account named in the README finds the case
        assert case_list_for_user(user=account).filter(pk=case.pk).exists(), stage
        open_specs = set(case.tasks.filter(status=TaskStatus.OPEN)
                         .values_list("spec_name", flat=True))
        if stage.spec_name:
            assert case.status == CaseStatus.RUNNING, stage
            assert stage.spec_name in open_specs, (stage, open_specs)
            # ... and has the stage's task in their inbox
            assert task_list_for_user(user=account).filter(
                case=case, spec_name=stage.spec_name).exists(), stage
        if stage.doc_type:
            assert case.documents.filter(doc_type=stage.doc_type).exists(), stage
        # ... and opens its page, and the task's
        client = Client()
        client.force_login(account)
        assert client.get(f"/cases/{case.pk}/").status_code == 200, stage
        if stage.spec_name:
            task = task_list_for_user(user=account).filter(
                case=case, spec_name=stage.spec_name).first()
            assert client.get(f"/tasks/{task.pk}/").status_code == 200, stage
        # the printed table lists the case by applicant and number
        assert f"｜{stage.stage}｜{stage.applicant_name}（#{case.pk}）｜{stage.account}" in text
    # Every procedure a newcomer can file has its stages: filed, returned, decided...
    procedures = {stage.procedure for stage in stages}
    assert procedures >= {p.key for p in PROCEDURES} - {"org_revocation"}
    for key in procedures - {"annual_inspection"}:
        mine = [s for s in stages if s.procedure == key]
        assert any(s.doc_type for s in mine), key  # decided, with its document
        assert len(mine) >= 2, key
    # Temporary relief: one case in its 公示 period, one whose period ended and which waits
    # for the township leader, both through the real timer path.
    relief = {s.applicant_name: demo_case(s) for s in stages if s.procedure == "temporary_relief"}
    running = relief["李秀兰"].public_notices.get()
    assert running.status == NoticeStatus.OPEN and running.seed_note.startswith("演示数据")
    assert not relief["李秀兰"].tasks.filter(status=TaskStatus.OPEN).exists()
    assert relief["李秀兰"].next_timer_at == running.ends_at
    ended = relief["王建华"].public_notices.get()
    assert ended.status == NoticeStatus.ENDED and relief["王建华"].data["notice_held"] is True
    assert relief["王建华"].audit.filter(action="timer").exists()
    assert set(relief["王建华"].tasks.filter(status=TaskStatus.OPEN)
               .values_list("spec_name", flat=True)) == {"township_decide"}
    assert relief["刘德明"].status == CaseStatus.COMPLETED
    assert relief["黄小红"].documents.filter(doc_type="relief_refusal").exists()
    assert "http://127.0.0.1:8123/public/notices/" in text and ":8000" not in text

    # Idempotent: a second run adds no case, task, document, notice or audit entry.
    before = _counts()
    call_command("seed_demo", stdout=StringIO())
    assert _counts() == before


def _readme_table() -> list[tuple[str, str, str, str]]:
    """Rows of the README's demo-case table: (procedure, stage, applicant, account)."""
    text = README.read_text(encoding="utf-8")
    section = text.split("<!-- demo-stages:start -->", 1)[1].split("<!-- demo-stages:end -->", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[0] in ("事项", "") or set(cells[0]) <= {"-", ":"}:
            continue
        rows.append(tuple(re.sub(r"`", "", cell) for cell in cells))
    return rows


def test_readme_lists_exactly_the_seeded_stages():
    """What the README tells a newcomer to open is what seed_demo makes (no database)."""
    expected = [(procedure_get(s.procedure).name, s.stage, s.applicant_name, s.account)
                for s in _stages()]
    assert _readme_table() == expected
