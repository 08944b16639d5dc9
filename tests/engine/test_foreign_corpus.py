"""The corpus of public diagrams (tests/data/foreign/, sources and licences in its README):
each runs to its end with generic data, or is refused before deploy with a Chinese message —
never "validated" and then stuck. ``expected.json`` says which, per file; entries marked
``"depends_on": "runtime"`` record what happens on this branch before the runtime work
(plain tasks, event-based gateways) is merged.

Every message any file produces — refusal or warning, diagram, table or Camunda import — is
Chinese: library English may only appear in ``Problem.detail``.

Set ``CORPUS_PROBE=1`` to print each file's actual outcome instead of asserting."""
import json
import os
import re
from pathlib import Path

import pytest

from engine.camunda import camunda_import
from engine.dryrun import dry_run
from engine.validation import validate_definition
from workflows.roles import ROLES

DATA = Path(__file__).resolve().parent.parent / "data" / "foreign"
MANIFEST = json.loads((DATA / "expected.json").read_text(encoding="utf-8"))
ROLE_NAMES = {code: name for code, name, _level in ROLES}
PROBE = bool(os.environ.get("CORPUS_PROBE"))

# A decision table on its own is checked inside the smallest diagram calling it.
DMN_WRAPPER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="wrap_defs"
    targetNamespace="http://minzheng.example/bpmn">
  <bpmn:process id="wrap" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:businessRuleTask id="decide" name="决策"><bpmn:extensionElements>
      <spiffworkflow:calledDecisionId>{decision}</spiffworkflow:calledDecisionId>
    </bpmn:extensionElements></bpmn:businessRuleTask>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="decide"/>
    <bpmn:sequenceFlow id="f2" sourceRef="decide" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>"""

# Library English in a message's main text: two English words in a row, or an exception's
# name. Quoted element names and ids (“Approve Invoice”（Task_1）) and code identifiers
# (camunda:formKey, generic:decision, candidate_role) are allowed.
_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"|‘[^’]*’")
_PAREN_ID = re.compile(r"（[^（）\s]*）|\([^()\s]*\)")
_ENGLISH_RUN = re.compile(r"\b[A-Za-z]{2,}(?:[ ,]+[A-Za-z]{2,})+\b")
_EXCEPTION = re.compile(r"\b\w*(?:Error|Exception)\b|<Element ")


def library_english(message: str) -> list[str]:
    text = _PAREN_ID.sub("", _QUOTED.sub("", message))
    return _ENGLISH_RUN.findall(text) + _EXCEPTION.findall(text)


def _inputs(name: str, entry: dict) -> tuple[str, list[str], list]:
    """(diagram, tables, import notes) as the supervisor would deploy them."""
    if name.endswith(".dmn"):
        dmn = (DATA / name).read_text(encoding="utf-8")
        decision = re.search(r'<(?:\w+:)?decision id="([^"]+)"', dmn).group(1)
        bpmn = DMN_WRAPPER.replace("{decision}", entry.get("decision", decision))
        dmns = [dmn]
    else:
        bpmn = (DATA / name).read_text(encoding="utf-8")
        dmns = [(DATA / d).read_text(encoding="utf-8") for d in entry.get("dmn", [])]
    notes = []
    if "camunda_import" in entry:
        mapping = entry["camunda_import"]
        result = camunda_import(bpmn_xml=bpmn, dmn_xmls=dmns, group_roles=mapping.get("groups", {}),
                                user_names=mapping.get("users", {}))
        bpmn, dmns = result.bpmn_xml, result.dmn_xmls
        notes = result.translated + result.untranslated
    return bpmn, dmns, notes


def _outcome(name, entry, village):
    bpmn, dmns, notes = _inputs(name, entry)
    problems = validate_definition(bpmn_xml=bpmn, dmn_xmls=dmns, known_roles=set(ROLE_NAMES),
                                   role_names=ROLE_NAMES, form_exists=lambda task_id: False)
    errors = [p for p in problems if p.is_error]
    run = None
    if not errors:
        try:
            run = dry_run(bpmn_xml=bpmn, dmn_xmls=dmns, data=entry.get("data", {}),
                          village=village, decisions=entry.get("decisions", {}))
        except Exception as exc:  # noqa: BLE001 - recorded as the outcome "crashes"
            return problems, errors, exc, notes
    return problems, errors, run, notes


def test_manifest_lists_every_file():
    files = {p.name for p in DATA.iterdir() if p.suffix in (".bpmn", ".dmn")}
    listed = set(MANIFEST) | {d for e in MANIFEST.values() for d in e.get("dmn", [])}
    assert files == listed, files ^ listed
    assert 20 <= len(MANIFEST) <= 60
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    assert all(name in readme for name in files), files - {n for n in files if n in readme}


@pytest.mark.django_db
def test_every_file_runs_or_is_refused_in_chinese(village):
    failures, english = [], []
    for name, entry in sorted(MANIFEST.items()):
        problems, errors, run, notes = _outcome(name, entry, village)
        for problem in problems:
            english += [(name, problem.message, found)
                        for found in library_english(problem.message)]
        for note in notes:
            english += [(name, note.reason, found) for found in library_english(note.reason)]
        if isinstance(run, Exception):
            actual, detail = "crashes", f"{type(run).__name__}: {run}"
        elif run is not None:
            if run.stop_reason and not entry.get("depends_on"):  # the runtime's own text
                english += [(name, run.stop_reason, found)
                            for found in library_english(run.stop_reason)]
            actual = "runs" if run.finished else "stops"
            detail = run.stop_reason
        else:
            actual, detail = "refused", " / ".join(p.message for p in errors)
        if PROBE:
            print(f"{name}: {actual}: {detail[:300]}")
            continue
        expected = entry["outcome"]
        if actual != expected:
            failures.append(f"{name}: expected {expected}, got {actual}: {detail[:300]}")
        elif entry.get("message") and entry["message"] not in detail:
            failures.append(f"{name}: “{entry['message']}” not in: {detail[:400]}")
    assert not failures, "\n".join(failures)
    assert not english, "\n".join(f"{n}: {found!r} in {m[:200]}" for n, m, found in english)


def test_the_english_detector_catches_library_text():
    assert library_english("流程解析失败：Cannot resolve dataInputAssociation <Element x>")
    assert library_english("申请未能提交：No conditions satisfied for Gateway_1.")
    assert library_english("KeyError('id')")
    assert not library_english("用户任务“Approve Invoice”（Task_1）没有表单：请设置 form = "
                               "generic:decision（同意）")
    assert not library_english("服务任务（mail）的 Camunda 属性 camunda:expression 不起作用")
