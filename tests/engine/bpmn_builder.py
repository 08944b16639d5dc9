"""Small BPMN diagrams written in tests: a process body, its lanes and messages, wrapped in
the namespaces the engine reads."""

NAMESPACES = ('xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
              'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"')


def diagram(body: str, *, lanes: dict[str, list[str]] | None = None, process_id: str = "p",
            name: str = "测试流程", messages: tuple[str, ...] = (),
            other_processes: str = "") -> str:
    lane_xml = ""
    if lanes:
        lane_xml = '<bpmn:laneSet id="lanes">' + "".join(
            f'<bpmn:lane id="lane_{index}" name="{role}">'
            + "".join(f"<bpmn:flowNodeRef>{ref}</bpmn:flowNodeRef>" for ref in refs)
            + "</bpmn:lane>" for index, (role, refs) in enumerate(lanes.items())) \
            + "</bpmn:laneSet>"
    message_xml = "".join(f'<bpmn:message id="{m}" name="{m}"/>' for m in messages)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions {NAMESPACES} '
            f'id="defs" targetNamespace="http://minzheng.example/bpmn">{message_xml}'
            f'<bpmn:process id="{process_id}" name="{name}" isExecutable="true">'
            f"{lane_xml}{body}</bpmn:process>{other_processes}</bpmn:definitions>")


def flow(flow_id: str, source: str, target: str, condition: str = "") -> str:
    if condition:
        return (f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">'
                f"<bpmn:conditionExpression>{condition}</bpmn:conditionExpression>"
                f"</bpmn:sequenceFlow>")
    return f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}"/>'


def properties(**values: str) -> str:
    if not values:
        return ""
    return ("<bpmn:extensionElements><spiffworkflow:properties>"
            + "".join(f'<spiffworkflow:property name="{k}" value="{v}"/>'
                      for k, v in values.items())
            + "</spiffworkflow:properties></bpmn:extensionElements>")


def chain(*ids: str, prefix: str = "f") -> str:
    return "".join(flow(f"{prefix}{index}", a, b)
                   for index, (a, b) in enumerate(zip(ids, ids[1:], strict=False)))
