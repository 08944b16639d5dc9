"""What bpmn-js dropped is put back; what the supervisor changed stays changed
(portal/modeler/roundtrip.py). The browser round trip is tests/.../test_roundtrip_browser.py."""
import json

import pytest
from django.urls import reverse

from engine.models import DefinitionDraft
from portal.modeler.roundtrip import restore_dropped, semantic_form

HEAD = ('<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:acme="http://acme.example/x" id="D">')


def _doc(process: str) -> str:
    return f'{HEAD}<bpmn:process id="P" isExecutable="true">{process}</bpmn:process>' \
           '</bpmn:definitions>'


SOURCE = _doc(
    '<bpmn:userTask id="T" name="复核" acme:weight="3">'
    '<bpmn:multiInstanceLoopCharacteristics>'
    '<bpmn:loopDataInputRef>items</bpmn:loopDataInputRef>'
    '<bpmn:inputDataItem id="item"/></bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>'
    '<bpmn:userTask id="U" name="签发"><bpmn:documentation>说明</bpmn:documentation>'
    '</bpmn:userTask><acme:sla hours="48"/>')
# bpmn-js lost the unresolved reference and the unknown element, kept the rest.
BASELINE = _doc(
    '<bpmn:userTask id="T" name="复核" acme:weight="3">'
    '<bpmn:multiInstanceLoopCharacteristics><bpmn:inputDataItem id="item"/>'
    '</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>'
    '<bpmn:userTask id="U" name="签发"><bpmn:documentation>说明</bpmn:documentation>'
    '</bpmn:userTask>')


def test_unedited_export_gets_back_exactly_what_was_dropped():
    restored = restore_dropped(source=SOURCE, baseline=BASELINE, edited=BASELINE)
    assert semantic_form(restored) == semantic_form(SOURCE)
    assert semantic_form(BASELINE) != semantic_form(SOURCE)  # the comparison can fail


def test_an_edit_is_kept_and_the_dropped_parts_come_back():
    edited = BASELINE.replace('name="复核"', 'name="县级复核"').replace(
        '<bpmn:documentation>说明</bpmn:documentation>', '')  # renamed; text removed
    restored = restore_dropped(source=SOURCE, baseline=BASELINE, edited=edited)
    assert 'name="县级复核"' in restored and 'name="复核"' not in restored
    assert "说明" not in restored  # bpmn-js kept it, so its removal is the supervisor's
    assert "<bpmn:loopDataInputRef>items</bpmn:loopDataInputRef>" in restored
    assert 'acme:sla hours="48"' in restored


def test_a_deleted_element_takes_its_dropped_parts_with_it():
    edited = BASELINE.replace(
        BASELINE[BASELINE.index('<bpmn:userTask id="T"'):BASELINE.index('<bpmn:userTask id="U"')],
        "")
    restored = restore_dropped(source=SOURCE, baseline=BASELINE, edited=edited)
    assert "loopDataInputRef" not in restored and 'id="T"' not in restored


def test_a_removed_attribute_that_bpmnjs_kept_stays_removed():
    edited = BASELINE.replace(' acme:weight="3"', "")
    restored = restore_dropped(source=SOURCE, baseline=BASELINE, edited=edited)
    assert "acme:weight" not in restored


def test_nothing_dropped_leaves_the_export_byte_for_byte():
    assert restore_dropped(source=BASELINE, baseline=BASELINE, edited=BASELINE) == BASELINE


@pytest.mark.django_db
def test_the_draft_endpoint_restores(client, supervisor, demo):
    client.force_login(supervisor)
    response = client.post(
        reverse("portal:modeler:draft_save", args=["temporary_relief"]),
        data=json.dumps({"bpmn_xml": BASELINE, "dmn_xmls": [], "bpmn_source": SOURCE,
                         "bpmn_baseline": BASELINE}), content_type="application/json")
    assert response.status_code == 200
    draft = DefinitionDraft.objects.get(key="temporary_relief")
    assert semantic_form(draft.bpmn_xml) == semantic_form(SOURCE)


@pytest.mark.django_db
def test_a_broken_source_saves_the_export_as_is(client, supervisor, demo):
    client.force_login(supervisor)
    response = client.post(
        reverse("portal:modeler:draft_save", args=["temporary_relief"]),
        data=json.dumps({"bpmn_xml": BASELINE, "dmn_xmls": [], "bpmn_source": "<not xml",
                         "bpmn_baseline": BASELINE}), content_type="application/json")
    assert response.status_code == 200
    assert DefinitionDraft.objects.get(key="temporary_relief").bpmn_xml == BASELINE


def test_an_id_bpmnjs_made_up_does_not_duplicate_the_element():
    source = _doc('<bpmn:laneSet><bpmn:lane id="L" name="county_staff"/></bpmn:laneSet>'
                  '<acme:sla hours="48"/>')
    baseline = _doc('<bpmn:laneSet id="LaneSet_0x1"><bpmn:lane id="L" name="county_staff"/>'
                    '</bpmn:laneSet>')
    restored = restore_dropped(source=source, baseline=baseline, edited=baseline)
    assert restored.count("<bpmn:laneSet") == 1
    assert 'acme:sla hours="48"' in restored
