"""Validation ≡ execution (issue 11), as a property over generated diagrams
(tests/engine/diagram_generator.py): what validates deploys, dry-runs to the end and runs to
the end through the engine services — filed with ``case_start``, every task completed by a
user it is offered to with its generic form's data, timers fired by the sweep, messages
sent — and what is refused is refused with a Chinese message naming the element's id and
name. Seeded, so a failure names the diagram that shows it (print ``generate(seed).bpmn``)."""
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from engine.dryrun import dry_run
from engine.models import CaseStatus, Role, TaskStatus
from engine.notifications import task_handlers
from engine.services import (
    DefinitionError,
    case_send_message,
    case_start,
    case_waiting_messages,
    definition_check,
    definition_deploy,
    task_complete,
    timers_fire_due,
)
from engine.validation import validate_definition
from tests.engine.diagram_generator import DiagramGenerator, Generated

pytestmark = pytest.mark.django_db

SEEDS = range(30)  # a few dozen diagrams, about a second each
CHINESE = re.compile(r"[\u4e00-\u9fff]")
FORM_DATA = {
    "generic:decision": {"decision": "approve", "opinion": "同意"},
    "generic:opinion": {"opinion": "情况属实"},
    "generic:confirm": {"confirmed": True, "opinion": ""},
}


def generate(seed: int) -> Generated:
    return DiagramGenerator(seed, faults=seed % 3 == 0).generate()


def _generic_form(spec_name: str, form_key: str):
    from workflows.common.forms import GENERIC_FORMS

    if form_key not in GENERIC_FORMS:
        raise LookupError(f"任务 {spec_name} 没有表单")
    return GENERIC_FORMS[form_key]


def _drive(case, *, prefer_timers: bool, unsent: set[str], clock, actor) -> None:
    """Take the case to its end as people and the sweep would (never sending ``unsent``)."""
    for _ in range(300):
        case.refresh_from_db()
        if case.status != CaseStatus.RUNNING:
            return
        if prefer_timers and case.next_timer_at is not None:
            # Nobody acts before the deadline: boundary timers cancel their open task, event
            # subprocess timers open reminder steps, gateways' timers win.
            clock.move_to(max(case.next_timer_at, timezone.now()) + timedelta(minutes=1))
            assert timers_fire_due() == 1
            continue
        task = case.tasks.filter(status=TaskStatus.OPEN).order_by("pk").first()
        if task is not None:
            handlers = task_handlers(task)
            assert handlers, f"“{task.title}”（{task.spec_name}）is offered to nobody"
            assert task.form_key in FORM_DATA, task.form_key
            task_complete(user=handlers[0], task_pk=task.pk, form_data=FORM_DATA[task.form_key])
            continue
        waiting = [name for name in case_waiting_messages(case) if name not in unsent]
        if case.next_timer_at is not None and (prefer_timers or not waiting):
            clock.move_to(case.next_timer_at + timedelta(minutes=1))
            assert timers_fire_due() == 1
            continue
        if waiting:
            case_send_message(case_pk=case.pk, message=waiting[0], payload={}, actor=actor)
            continue
        return


@pytest.mark.parametrize("seed", SEEDS)
def test_what_validates_runs_to_the_end_and_what_is_refused_says_why(
        seed, village, county_staff, clock):
    generated = generate(seed)
    problems = validate_definition(
        bpmn_xml=generated.bpmn, known_roles=set(Role.objects.values_list("code", flat=True)),
        form_exists=lambda _task_id: False)
    errors = [p for p in problems if p.is_error]
    for error in errors:
        assert CHINESE.search(error.message), error.message
        if error.element_id:
            assert error.element_id in error.message, error.message

    if generated.faults:
        for code, element_id, name in generated.faults:
            assert any(e.element_id == element_id and name in e.message and e.code == code
                       for e in errors), (code, element_id, [e.message for e in errors])
        # The deploy's own check (the modeler passes the procedure's forms) refuses it too.
        with pytest.raises(DefinitionError):
            definition_check(bpmn_xml=generated.bpmn, dmn_xmls=[],
                             form_exists=lambda _task_id: False)
        return

    # The generator does not predict one refusal: an interrupting boundary event whose path
    # ends inside a parallel block (the join would wait forever). Validation finds it by
    # running the diagram; it must then name the boundary event.
    assert [e for e in errors if e.code != "boundary_stall"] == [], [e.message for e in errors]
    if errors:
        for error in errors:
            assert error.element_id.startswith("BoundaryEvent_") and error.element_name
            assert error.element_name in error.message
        with pytest.raises(DefinitionError, match="会一直等待"):
            definition_check(bpmn_xml=generated.bpmn, dmn_xmls=[])
        return
    # The dry run takes the path the case will take, offering and form lookup included.
    result = dry_run(bpmn_xml=generated.bpmn, dmn_xmls=[], data=generated.data,
                     village=village, decisions=generated.decisions,
                     form_lookup=_generic_form)
    assert result.finished, result.stop_reason
    for step in result.steps:
        if step.role:
            assert step.users, f"{step.element_id} offered to nobody in the dry run"

    definition_deploy(key=f"generated_{seed}", name="生成的流程", bpmn_xml=generated.bpmn,
                      dmn_xmls=[])
    case = case_start(procedure=f"generated_{seed}", title="生成的案件", village=village,
                      applicant_name="张建国", data=generated.data, started_by=county_staff)
    _drive(case, prefer_timers=generated.prefer_timers, unsent=generated.unsent, clock=clock,
           actor=county_staff)
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED, (
        case.status, case.error, list(case.tasks.filter(status=TaskStatus.OPEN)
                                      .values_list("spec_name", flat=True)),
        case_waiting_messages(case), case.next_timer_at)


def test_the_generator_covers_every_construct():
    """The seeds above between them use every construct the property is about."""
    text = "".join(generate(seed).bpmn for seed in SEEDS)
    for construct in ("userTask", "manualTask", "<bpmn:task ", "scriptTask", "serviceTask",
                      "exclusiveGateway", "parallelGateway", "inclusiveGateway", "subProcess",
                      "callActivity", "multiInstanceLoopCharacteristics", "boundaryEvent",
                      "eventBasedGateway", "timerEventDefinition", "messageEventDefinition",
                      'triggeredByEvent="true"'):
        assert construct in text, construct
    assert any(generate(seed).unsent for seed in SEEDS)  # a gateway's timer wins somewhere
    assert any("eventBasedGateway" in generate(seed).bpmn and not generate(seed).unsent
               for seed in SEEDS)  # and its message somewhere else
    faults = {code for seed in SEEDS for code, *_ in generate(seed).faults}
    assert faults == {"missing_form", "task_without_lane", "service_operation"}
