"""Give a diagram without drawing information (BPMNDI) a readable layout, so that bpmn-js
can display and edit it.

The diagrams shipped in ``bpmn/`` are written by hand and carry no BPMNDI; bpmn-js imports
the process but draws nothing. ``bpmn_with_layout`` adds a drawing and changes nothing else
(the process model, hence what SpiffWorkflow parses, stays the same):

- each participant (pool) is a horizontal band; its lanes are horizontal bands inside it
  (nested lanes inside their parent), in document order;
- flow nodes are placed left to right by their longest path from the start, ignoring back
  edges (loops such as 补正 → 受理), and stacked within their lane's band when several share
  a column;
- boundary events sit on the lower edge of the task they are attached to;
- sequence flows are orthogonal (horizontal and vertical segments only); labels are omitted.

Embedded sub-processes are drawn collapsed, with their content on a plane of their own (the
drill-down bpmn-js offers).
"""
from dataclasses import dataclass, field

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"

TASKS = {"task", "userTask", "manualTask", "serviceTask", "scriptTask", "businessRuleTask",
         "sendTask", "receiveTask", "callActivity", "subProcess", "transaction",
         "adHocSubProcess"}
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent",
          "boundaryEvent"}
GATEWAYS = {"exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway",
            "complexGateway"}
CONTAINERS = {"subProcess", "transaction", "adHocSubProcess"}

SIZES = {"task": (100, 80), "event": (36, 36), "gateway": (50, 50)}
COLUMN = 160  # width of one rank: the widest shape (100) and room for the flows between
ROW = 130  # height of one stacked row inside a lane (room for a boundary event below)
HEADER = 30  # the name strip on the left of a pool and of a lane
MARGIN = 40  # empty space between a band's header and its first column, and after the last
POOL_GAP = 40  # between two pools


def _local(element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _bpmn(name: str) -> str:
    return f"{{{BPMN_NS}}}{name}"


def _kind(local: str) -> str:
    if local in TASKS:
        return "task"
    if local in EVENTS:
        return "event"
    return "gateway"


def has_layout(root) -> bool:
    """Whether the diagram already draws its process (a plane with at least one shape)."""
    return root.find(f".//{{{BPMNDI_NS}}}BPMNShape") is not None


def bpmn_with_layout(bpmn_xml: str | bytes) -> str:
    """``bpmn_xml`` with a generated BPMNDI drawing when it has none; unchanged otherwise."""
    from .feel import safe_xml

    text = bpmn_xml.decode("utf-8") if isinstance(bpmn_xml, bytes) else bpmn_xml
    root = safe_xml(text)
    if has_layout(root):
        return text
    for old in root.findall(f"{{{BPMNDI_NS}}}BPMNDiagram"):  # empty drawings
        root.remove(old)
    drawing = _Drawing(root)
    drawing.draw()
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="unicode")


@dataclass
class _Box:
    x: float
    y: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    @property
    def middle(self) -> float:
        return self.y + self.height / 2

    @property
    def centre(self) -> float:
        return self.x + self.width / 2


@dataclass
class _Band:
    """A leaf lane (or the whole pool when it has no lanes): nodes are stacked inside it."""

    lane_id: str | None
    rows: int = 1
    y: float = 0
    placed: dict = field(default_factory=dict)  # rank -> number of nodes already in it


class _Drawing:
    def __init__(self, root):
        self.root = root
        self.processes = {p.get("id"): p for p in root.findall(_bpmn("process"))}
        self.collaboration = root.find(_bpmn("collaboration"))

    # -- document --------------------------------------------------------------------------

    def _new_diagram(self, plane_element_id: str, diagram_id: str):
        diagram = etree.Element(f"{{{BPMNDI_NS}}}BPMNDiagram",
                                nsmap={"bpmndi": BPMNDI_NS, "dc": DC_NS, "di": DI_NS})
        diagram.set("id", diagram_id)
        # BPMNDiagram elements come after the root elements and before any relationship.
        relationship = self.root.find(_bpmn("relationship"))
        if relationship is not None:
            relationship.addprevious(diagram)
        else:
            self.root.append(diagram)
        plane = etree.SubElement(diagram, f"{{{BPMNDI_NS}}}BPMNPlane")
        plane.set("id", f"{diagram_id}_plane")
        plane.set("bpmnElement", plane_element_id)
        return plane

    def _shape(self, plane, element_id: str, box: _Box, **attributes):
        shape = etree.SubElement(plane, f"{{{BPMNDI_NS}}}BPMNShape")
        shape.set("id", f"{element_id}_di")
        shape.set("bpmnElement", element_id)
        for name, value in attributes.items():
            shape.set(name, value)
        bounds = etree.SubElement(shape, f"{{{DC_NS}}}Bounds")
        for name in ("x", "y", "width", "height"):
            bounds.set(name, _number(getattr(box, name)))
        return shape

    def _edge(self, plane, element_id: str, points: list[tuple[float, float]]):
        edge = etree.SubElement(plane, f"{{{BPMNDI_NS}}}BPMNEdge")
        edge.set("id", f"{element_id}_di")
        edge.set("bpmnElement", element_id)
        for x, y in _simplify(points):
            point = etree.SubElement(edge, f"{{{DI_NS}}}waypoint")
            point.set("x", _number(x))
            point.set("y", _number(y))

    # -- planes ----------------------------------------------------------------------------

    def draw(self) -> None:
        participants = (self.collaboration.findall(_bpmn("participant"))
                        if self.collaboration is not None else [])
        participants = [p for p in participants if p.get("processRef") in self.processes]
        if participants:
            plane = self._new_diagram(self.collaboration.get("id"), "diagram_generated")
            top = 0.0
            for participant in participants:
                process = self.processes[participant.get("processRef")]
                height = self._draw_container(plane, process, top=top, pool=participant)
                top += height + POOL_GAP
            for process_id, process in self.processes.items():
                if process_id not in {p.get("processRef") for p in participants}:
                    self._draw_alone(process)
        else:
            for process in self.processes.values():
                self._draw_alone(process)

    def _draw_alone(self, process) -> None:
        """A process without a pool: its own plane; lanes, if any, still drawn as bands."""
        plane = self._new_diagram(process.get("id"), f"diagram_{process.get('id')}")
        self._draw_container(plane, process, top=0.0, pool=None)

    def _draw_container(self, plane, container, *, top: float, pool) -> float:
        """Lay out the flow nodes of a process or sub-process on ``plane``; return the
        height used."""
        nodes = {child.get("id"): child for child in container
                 if _local(child) in TASKS | EVENTS | GATEWAYS and child.get("id")}
        flows = [child for child in container if _local(child) == "sequenceFlow"
                 and child.get("sourceRef") in nodes and child.get("targetRef") in nodes]
        ranks = _ranks(nodes, flows)

        lane_set = container.find(_bpmn("laneSet"))
        lanes = lane_set.findall(_bpmn("lane")) if lane_set is not None else []
        leaf_of: dict[str, str] = {}
        for lane in container.iter(_bpmn("lane")):
            for ref in lane.findall(_bpmn("flowNodeRef")):
                if ref.text:
                    leaf_of[ref.text.strip()] = lane.get("id")
        bands: list[_Band] = []
        lane_depth: dict[str, int] = {}
        lane_leaves: dict[str, list[_Band]] = {}

        def collect(lane, depth):
            lane_depth[lane.get("id")] = depth
            children = lane.findall(f"{_bpmn('childLaneSet')}/{_bpmn('lane')}")
            if not children:
                band = _Band(lane.get("id"))
                bands.append(band)
                lane_leaves[lane.get("id")] = [band]
                return [band]
            leaves = []
            for child in children:
                leaves += collect(child, depth + 1)
            lane_leaves[lane.get("id")] = leaves
            return leaves

        for lane in lanes:
            collect(lane, 1)
        band_of = {lane_id: lane_leaves[lane_id][0] for lane_id in lane_leaves}
        loose = _Band(None)  # nodes in no lane (or the whole pool when it has no lanes)
        if not bands:
            bands.append(loose)

        # Rows: boundary events ride on their host, so only the other nodes take a row.
        slots: dict[str, tuple[_Band, int]] = {}
        for node_id in sorted(nodes, key=lambda n: (ranks[n], _order(container, n))):
            if _local(nodes[node_id]) == "boundaryEvent":
                continue
            lane_id = leaf_of.get(node_id)
            band = band_of.get(lane_id, loose) if lane_id else loose
            if band is loose and loose not in bands:
                bands.append(loose)
            row = band.placed.get(ranks[node_id], 0)
            band.placed[ranks[node_id]] = row + 1
            band.rows = max(band.rows, row + 1)
            slots[node_id] = (band, row)

        max_depth = max(lane_depth.values(), default=0)
        left = HEADER if pool is not None else 0
        content_left = left + max_depth * HEADER + MARGIN
        columns = max(ranks.values(), default=0) + 1
        width = content_left + columns * COLUMN + MARGIN
        y = top
        for band in bands:
            band.y = y
            y += band.rows * ROW
        height = y - top

        if pool is not None:
            self._shape(plane, pool.get("id"), _Box(0, top, width, height), isHorizontal="true")
        for lane_id, leaves in lane_leaves.items():
            depth = lane_depth[lane_id]
            x = left + (depth - 1) * HEADER
            band_top, band_bottom = leaves[0].y, leaves[-1].y + leaves[-1].rows * ROW
            self._shape(plane, lane_id, _Box(x, band_top, width - x, band_bottom - band_top),
                        isHorizontal="true")

        boxes: dict[str, _Box] = {}
        for node_id, (band, row) in slots.items():
            w, h = SIZES[_kind(_local(nodes[node_id]))]
            centre_x = content_left + ranks[node_id] * COLUMN + COLUMN / 2
            centre_y = band.y + row * ROW + ROW / 2
            boxes[node_id] = _Box(centre_x - w / 2, centre_y - h / 2, w, h)
        hosts_used: dict[str, int] = {}
        for node_id, node in nodes.items():
            if _local(node) != "boundaryEvent":
                continue
            host = boxes.get(node.get("attachedToRef"))
            if host is None:  # attached to nothing drawable: place it like a plain event
                host = _Box(content_left + ranks[node_id] * COLUMN + COLUMN / 2 - 50,
                            bands[0].y + ROW / 2 - 40, 100, 80)
            index = hosts_used.get(node.get("attachedToRef"), 0)
            hosts_used[node.get("attachedToRef")] = index + 1
            w, h = SIZES["event"]
            boxes[node_id] = _Box(host.x + host.width - 18 - w / 2 - index * 40,
                                  host.bottom - h / 2, w, h)

        for node_id, node in nodes.items():
            attributes = {}
            if _local(node) in CONTAINERS:
                attributes["isExpanded"] = "false"
            elif _local(node) == "exclusiveGateway":
                attributes["isMarkerVisible"] = "true"
            self._shape(plane, node_id, boxes[node_id], **attributes)
        for flow in flows:
            source, target = flow.get("sourceRef"), flow.get("targetRef")
            self._edge(plane, flow.get("id"),
                       _route(boxes[source], boxes[target],
                              from_boundary=_local(nodes[source]) == "boundaryEvent",
                              back=ranks[target] <= ranks[source]))

        for node_id, node in nodes.items():
            if _local(node) in CONTAINERS:
                sub_plane = self._new_diagram(node_id, f"diagram_{node_id}")
                self._draw_container(sub_plane, node, top=0.0, pool=None)
        return height


def _order(container, node_id: str) -> int:
    for index, child in enumerate(container):
        if child.get("id") == node_id:
            return index
    return 0


def _ranks(nodes: dict, flows: list) -> dict[str, int]:
    """Column of each node: the longest path to it from a start, back edges ignored.

    Back edges are found by a depth-first walk from the start events (then from any node
    not reached yet); a boundary event is tied to its host's column, and what follows it
    comes after the host."""
    successors: dict[str, list[str]] = {node_id: [] for node_id in nodes}
    for flow in flows:
        successors[flow.get("sourceRef")].append(flow.get("targetRef"))
    # A boundary event hangs on its host: walk it right after the host, at the host's rank.
    attached = {node_id: node.get("attachedToRef") for node_id, node in nodes.items()
                if _local(node) == "boundaryEvent" and node.get("attachedToRef") in nodes}
    for boundary, host in attached.items():
        successors[host].append(boundary)

    incoming = {target for targets in successors.values() for target in targets}
    starts = [n for n, node in nodes.items() if _local(node) == "startEvent"]
    starts += [n for n in nodes if n not in incoming and n not in starts]
    back: set[tuple[str, str]] = set()
    state: dict[str, int] = {}  # 1: on the walk's stack, 2: done
    for start in [*starts, *nodes]:
        if start in state:
            continue
        stack = [(start, iter(successors[start]))]
        state[start] = 1
        while stack:
            node_id, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node_id] = 2
                stack.pop()
            elif state.get(child) == 1:
                back.add((node_id, child))
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(successors[child])))

    forward = {n: [t for t in successors[n] if (n, t) not in back] for n in nodes}
    indegree = {n: 0 for n in nodes}
    for targets in forward.values():
        for target in targets:
            indegree[target] += 1
    rank = {n: 0 for n in nodes}
    ready = [n for n in nodes if indegree[n] == 0]
    while ready:
        node_id = ready.pop()
        for target in forward[node_id]:
            step = 0 if attached.get(target) == node_id else 1
            rank[target] = max(rank[target], rank[node_id] + step)
            indegree[target] -= 1
            if indegree[target] == 0:
                ready.append(target)
    return rank


def _route(source: _Box, target: _Box, *, from_boundary: bool, back: bool) -> list:
    """Orthogonal waypoints from ``source`` to ``target``."""
    if from_boundary:
        start = (source.centre, source.bottom)
        if target.x > source.centre:
            return [start, (source.centre, target.middle), (target.x, target.middle)]
        below = max(source.bottom, target.bottom) + 20
        return [start, (source.centre, below), (target.centre, below),
                (target.centre, target.bottom)]
    if back:
        # Loops go round underneath both shapes, entering the target from below.
        below = max(source.bottom, target.bottom) + 15
        return [(source.centre, source.bottom), (source.centre, below),
                (target.centre, below), (target.centre, target.bottom)]
    start, end = (source.right, source.middle), (target.x, target.middle)
    if abs(source.middle - target.middle) < 1:
        return [start, end]
    turn = source.right + (COLUMN - SIZES["task"][0]) / 2
    return [start, (turn, source.middle), (turn, target.middle), end]


def _simplify(points: list) -> list:
    """Drop repeated points (a zero-length segment confuses editors)."""
    result = []
    for point in points:
        if not result or (abs(result[-1][0] - point[0]) > 0.5 or
                          abs(result[-1][1] - point[1]) > 0.5):
            result.append(point)
    if len(result) == 1:
        result.append(result[0])
    return result


def _number(value: float) -> str:
    return str(int(round(value)))
