"""Visibility is declared, not implied: a role's reach, and the roles each deployed diagram
names (filled here for the versions deployed before)."""
import ast

from django.db import migrations, models

# The bureau's own roles (workflows/roles.py BUREAU_ROLES at the time of this migration).
BUREAU_ROLES = ("village_staff", "township_staff", "township_leader", "county_staff",
                "county_leader")
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"


def _roles(bpmn_xml: str) -> list[str]:
    # A frozen copy of engine.validation.definition_roles (migrations must not follow code).
    from lxml import etree

    root = etree.fromstring(bpmn_xml.encode("utf-8"),  # noqa: S320 - stored, deployed XML
                            etree.XMLParser(resolve_entities=False, no_network=True))
    lanes = {}
    for lane in root.iter(f"{BPMN}lane"):
        for ref in lane.findall(f"{BPMN}flowNodeRef"):
            if ref.text:
                lanes[ref.text.strip()] = (lane.get("name") or "").strip()
    roles = set()
    for tag in ("userTask", "manualTask"):
        for element in root.iter(f"{BPMN}{tag}"):
            props = {p.get("name"): p.get("value", "") for p in element.findall(
                f"{BPMN}extensionElements/{SPIFF}properties/{SPIFF}property")}
            candidate = (props.get("candidate_role") or "").strip()
            if candidate:
                try:
                    literal = ast.literal_eval(candidate)
                except (ValueError, SyntaxError):
                    literal = None
                if isinstance(literal, str) and literal:
                    roles.add(literal)
                continue
            lane = lanes.get(element.get("id"), "")
            if lane:
                roles.add(lane)
    for process in root.iter(f"{BPMN}process"):
        props = {p.get("name"): p.get("value", "") for p in process.findall(
            f"{BPMN}extensionElements/{SPIFF}properties/{SPIFF}property")}
        value = (props.get("overseen_by") or "").replace("，", ",")
        roles.update(code.strip() for code in value.split(",") if code.strip())
    return sorted(roles)


def forwards(apps, schema_editor):
    Role = apps.get_model("engine", "Role")
    ProcessDefinition = apps.get_model("engine", "ProcessDefinition")
    Role.objects.filter(code__in=BUREAU_ROLES).update(reach="procedure")
    for definition in ProcessDefinition.objects.only("pk", "bpmn_xml").iterator():
        ProcessDefinition.objects.filter(pk=definition.pk).update(
            roles=_roles(definition.bpmn_xml))


class Migration(migrations.Migration):

    dependencies = [
        ("engine", "0019_quota"),
    ]

    operations = [
        migrations.AddField(
            model_name="role",
            name="reach",
            field=models.CharField(choices=[("procedure", "辖区内本角色参与流程的全部案件"),
                                            ("task", "仅本角色有（或曾有）任务的案件")],
                                   default="task", max_length=10),
        ),
        migrations.AddField(
            model_name="processdefinition",
            name="roles",
            field=models.JSONField(blank=True, default=list, editable=False),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
