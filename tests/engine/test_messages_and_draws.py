"""External results delivered as BPMN messages; reproducible random draws."""
from pathlib import Path

import pytest

from engine.models import AuditAction, AuditEntry, TaskStatus
from engine.services import (
    RuntimeFailure,
    case_send_message,
    case_start,
    case_waiting_messages,
    definition_deploy,
    random_draw,
    random_draw_record,
)

BPMN = (Path(__file__).resolve().parent.parent / "data" / "message" / "message.bpmn"
        ).read_text(encoding="utf-8")


@pytest.mark.django_db
def test_external_result_reaches_waiting_case(demo, village, county_staff):
    definition_deploy(key="message_test", name="外部结果测试", bpmn_xml=BPMN, dmn_xmls=[])
    case = case_start(procedure="message_test", title="测试", village=village,
                      applicant_name="张建国", data={}, started_by=county_staff)
    assert case_waiting_messages(case) == ["external_result"]
    with pytest.raises(RuntimeFailure, match="不在等待"):
        case_send_message(case_pk=case.pk, message="other", payload={}, actor=county_staff)
    case_send_message(case_pk=case.pk, message="external_result",
                      payload={"province_doc_number": "浙民函〔2026〕8号", "approved": True},
                      actor=county_staff)
    case.refresh_from_db()
    assert case.tasks.get(status=TaskStatus.OPEN).spec_name == "file"
    assert case.data["external_result"]["province_doc_number"] == "浙民函〔2026〕8号"
    assert case.audit.filter(action=AuditAction.MESSAGE).exists()


def test_random_draw_is_reproducible_and_takes_at_least_the_ratio():
    population = [f"org{i:03d}" for i in range(100)]
    first = random_draw(population=population, ratio=0.03, minimum=1, seed="2026-抽查")
    assert len(first) == 3
    assert first == random_draw(population=list(reversed(population)), ratio=0.03, minimum=1,
                                seed="2026-抽查")
    assert first != random_draw(population=population, ratio=0.03, minimum=1, seed="other")
    assert len(random_draw(population=population[:10], ratio=0.03, minimum=1, seed="x")) == 1


@pytest.mark.django_db
def test_random_draw_is_recorded_in_the_audit_trail(demo, county_staff):
    population = [f"org{i:03d}" for i in range(40)]
    chosen = random_draw_record(purpose="2026年度社会组织抽查", population=population,
                                ratio=0.03, minimum=1, seed="seed-1", actor=county_staff)
    entry = AuditEntry.objects.get(action=AuditAction.DRAW)
    assert entry.data["chosen"] == chosen and entry.data["seed"] == "seed-1"
    assert random_draw(population=entry.data["population"], ratio=entry.data["ratio"],
                       minimum=entry.data["minimum"], seed=entry.data["seed"]) == chosen
