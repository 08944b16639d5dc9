"""Generated drawings (BPMNDI) for diagrams written without one."""
import json
from pathlib import Path

import pytest
from django.conf import settings
from lxml import etree

from engine import runtime
from engine.layout import BPMNDI_NS, DC_NS, DI_NS, bpmn_with_layout

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
FLOW_NODES = {"task", "userTask", "manualTask", "serviceTask", "scriptTask",
              "businessRuleTask", "sendTask", "receiveTask", "callActivity", "subProcess",
              "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent",
              "boundaryEvent", "exclusiveGateway", "inclusiveGateway", "parallelGateway",
              "eventBasedGateway"}
SHIPPED = sorted(Path(settings.BPMN_DIR).glob("*.bpmn"))
DMNS = [path.read_text(encoding="utf-8") for path in Path(settings.BPMN_DIR).glob("*.dmn")]
DATA = Path(__file__).resolve().parent.parent / "data" / "modeler"


def _semantics(bpmn_xml: str) -> dict:
    """The parsed spec, with what a drawing may legitimately change made comparable.

    SpiffWorkflow orders a node's outgoing flows by the vertical position of their targets.
    Only the order among *conditional* flows of a gateway can change what runs (the first
    true condition wins; the default is taken only when none is), so that order is kept and
    the rest is compared as sets."""
    process_id = runtime.executable_process_id(bpmn_xml)
    spec = json.loads(runtime.spec_to_json(*runtime.parse(bpmn_xml, DMNS, process_id)))

    def normalise(specs: dict) -> dict:
        for task_spec in specs["task_specs"].values():
            task_spec["outputs"] = sorted(task_spec.get("outputs", []))
            if "cond_task_specs" in task_spec:
                conds = task_spec["cond_task_specs"]
                task_spec["cond_task_specs"] = (
                    [c for c in conds if c["condition"] is not None],
                    sorted(c["task_spec"] for c in conds if c["condition"] is None))
        return specs

    spec["spec"] = normalise(spec["spec"])
    spec["subprocess_specs"] = {name: normalise(sub)
                                for name, sub in spec["subprocess_specs"].items()}
    return spec


def _bounds(shape) -> tuple[float, float, float, float]:
    bounds = shape.find(f"{{{DC_NS}}}Bounds")
    return tuple(float(bounds.get(name)) for name in ("x", "y", "width", "height"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_diagram_gets_a_drawing_and_keeps_its_meaning(path):
    original = path.read_text(encoding="utf-8")
    drawn = bpmn_with_layout(original)
    root = etree.fromstring(drawn.encode())

    # parses to the same process
    assert _semantics(drawn) == _semantics(original)
    # every flow node and flow is drawn once
    shapes = {s.get("bpmnElement"): s for s in root.iter(f"{{{BPMNDI_NS}}}BPMNShape")}
    edges = {e.get("bpmnElement"): e for e in root.iter(f"{{{BPMNDI_NS}}}BPMNEdge")}
    nodes = [e for e in root.iter() if isinstance(e.tag, str)
             and etree.QName(e).localname in FLOW_NODES]
    assert nodes
    assert {n.get("id") for n in nodes} <= set(shapes)
    for flow in root.iter(f"{{{BPMN_NS}}}sequenceFlow"):
        points = edges[flow.get("id")].findall(f"{{{DI_NS}}}waypoint")
        assert len(points) >= 2
        xy = [(float(p.get("x")), float(p.get("y"))) for p in points]
        for (x1, y1), (x2, y2) in zip(xy, xy[1:], strict=False):
            assert x1 == x2 or y1 == y2, f"{flow.get('id')} is not orthogonal: {xy}"
    # every node lies inside its lane's band, and lanes inside their pool
    for lane in root.iter(f"{{{BPMN_NS}}}lane"):
        lx, ly, lw, lh = _bounds(shapes[lane.get("id")])
        for ref in lane.findall(f"{{{BPMN_NS}}}flowNodeRef"):
            x, y, w, h = _bounds(shapes[ref.text.strip()])
            assert ly <= y and y + h <= ly + lh, f"{ref.text} outside lane {lane.get('name')}"
            assert lx <= x and x + w <= lx + lw
    for participant in root.iter(f"{{{BPMN_NS}}}participant"):
        px, py, pw, ph = _bounds(shapes[participant.get("id")])
        process = root.find(f"{{{BPMN_NS}}}process[@id='{participant.get('processRef')}']")
        for lane in process.iter(f"{{{BPMN_NS}}}lane"):
            x, y, w, h = _bounds(shapes[lane.get("id")])
            assert py <= y and y + h <= py + ph and px < x
    # and laying it out again changes nothing
    assert bpmn_with_layout(drawn) == drawn


def test_columns_follow_the_longest_path_and_loops_go_back():
    drawn = bpmn_with_layout((Path(settings.BPMN_DIR) / "temporary_relief.bpmn")
                             .read_text(encoding="utf-8"))
    root = etree.fromstring(drawn.encode())
    x = {s.get("bpmnElement"): _bounds(s)[0] + _bounds(s)[2] / 2
         for s in root.iter(f"{{{BPMNDI_NS}}}BPMNShape")}
    # start → gw_urgent → accept → gw_accept → investigate: strictly left to right
    assert x["start"] < x["gw_urgent"] < x["accept"] < x["gw_accept"] < x["investigate"]
    # 补正 returns to 受理 (a back edge): it does not push 受理 to the right of itself
    assert x["supplement"] > x["accept"]


def test_a_drawing_made_by_an_editor_is_kept():
    original = (DATA / "bpmnjs_generic.bpmn").read_text(encoding="utf-8")
    assert "BPMNShape" in original
    assert bpmn_with_layout(original) == original
