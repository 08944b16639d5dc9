"""Deploying diagrams as versioned definitions."""
import pytest
from django.conf import settings

from engine.models import AuditAction, AuditEntry, ProcessDefinition
from engine.services import DefinitionError, definition_deploy
from tests.workflows.temporary_relief.helpers import (
    file_application,
    open_task,
    walk_past_notice,
    walk_to_notice,
)

pytestmark = pytest.mark.django_db

BPMN = (settings.BPMN_DIR / "temporary_relief.bpmn").read_text(encoding="utf-8")
DMN = (settings.BPMN_DIR / "temporary_relief_limits.dmn").read_text(encoding="utf-8")


def _deploy(bpmn=BPMN, dmn=DMN, **kwargs):
    return definition_deploy(key="temporary_relief", name="临时救助", bpmn_xml=bpmn,
                             dmn_xmls=[dmn], **kwargs)


def test_deploy_records_version_hash_and_who(demo, supervisor):
    first = ProcessDefinition.objects.get(key="temporary_relief")
    assert first.version == 1 and len(first.content_hash) == 64
    changed = _deploy(dmn=DMN.replace("&lt;= 3000", "&lt;= 1000").replace(
        "3000 &lt; ? &lt;= 20000", "1000 &lt; ? &lt;= 20000"), deployed_by=supervisor,
        comment="基层救助权限调整为1000元")
    assert changed.version == 2
    assert changed.deployed_by == supervisor
    assert changed.content_hash != first.content_hash
    entry = AuditEntry.objects.filter(action=AuditAction.DEPLOYED).latest("pk")
    assert entry.actor == supervisor and entry.data["version"] == 2


def test_deploying_the_same_content_again_creates_no_version(demo):
    assert _deploy().version == 1
    assert ProcessDefinition.objects.filter(key="temporary_relief").count() == 1


@pytest.mark.parametrize(("bpmn", "message"), [
    ("<not xml", "XML"),
    (BPMN.replace('targetRef="gw_accept"/>', 'targetRef="nowhere"/>', 1), "流程解析失败"),
    (BPMN.replace('name="county_leader"', 'name="county_boss"'), "不是已知角色"),
], ids=["not-xml", "dangling-flow", "unknown-role"])
def test_broken_diagrams_give_a_clear_message_and_deploy_nothing(demo, bpmn, message):
    with pytest.raises(DefinitionError) as excinfo:
        _deploy(bpmn=bpmn)
    assert message in str(excinfo.value)
    assert ProcessDefinition.objects.filter(key="temporary_relief").count() == 1


def test_broken_decision_table_deploys_nothing(demo):
    with pytest.raises(DefinitionError):
        _deploy(dmn=DMN.replace("</definitions>", ""))
    assert ProcessDefinition.objects.filter(key="temporary_relief").count() == 1


def _to_decision(case, village_staff, township_staff, clock, amount):
    walk_to_notice(case, village_staff=village_staff, township_staff=township_staff,
                   amount=amount)
    walk_past_notice(case, clock=clock, township_staff=township_staff)
    return open_task(case)


def test_editing_the_limit_reroutes_new_cases_and_keeps_running_ones(
        demo, applicant, village, village_staff, township_staff, supervisor, clock):
    running = file_application(user=applicant, village=village, requested_amount="2000")
    _deploy(dmn=DMN.replace("&lt;= 3000", "&lt;= 1000").replace(
        "3000 &lt; ? &lt;= 20000", "1000 &lt; ? &lt;= 20000"), deployed_by=supervisor)
    new = file_application(user=applicant, village=village, requested_amount="2000")
    assert running.definition.version == 1 and new.definition.version == 2
    # The running case keeps version 1: 2,000 yuan is within the township's 3,000 limit.
    assert _to_decision(running, village_staff, township_staff, clock, "2000").lane == \
        "township_leader"
    # The new case runs on version 2: above the new 1,000 limit, it goes to the county.
    assert _to_decision(new, village_staff, township_staff, clock, "2000").lane == \
        "county_staff"


def test_limit_as_a_multiple_of_the_county_dibao_standard(
        demo, applicant, village, village_staff, township_staff, clock):
    """Hubei-style rule: the township decides up to 4× the monthly 低保 standard."""
    multiple = (DMN.replace("<text>amount</text>",
                            '<text>amount / county_settings["dibao_monthly"]</text>')
                .replace("&lt;= 3000", "&lt;= 4")
                .replace("3000 &lt; ? &lt;= 20000", "4 &lt; ? &lt;= 20")
                .replace("&gt; 20000", "&gt; 20"))
    _deploy(dmn=multiple)
    demo.settings["dibao_monthly"] = 1000
    demo.save(update_fields=["settings"])
    within = file_application(user=applicant, village=village, requested_amount="3900")
    above = file_application(user=applicant, village=village, requested_amount="4100")
    assert _to_decision(within, village_staff, township_staff, clock, "3900").lane == \
        "township_leader"
    assert _to_decision(above, village_staff, township_staff, clock, "4100").lane == \
        "county_staff"


@pytest.mark.parametrize(("old", "new", "message"), [
    ('id="issue_document" resultVariable="decision_document"',
     'id="send_fax" resultVariable="decision_document"', "未知操作“send_fax”"),
    ("&quot;relief_decision&quot;", "&quot;no_such_document&quot;", "未登记"),
])
def test_service_tasks_must_name_known_operations_and_documents(demo, old, new, message):
    with pytest.raises(DefinitionError, match=message):
        _deploy(bpmn=BPMN.replace(old, new, 1))


def test_a_county_version_changes_that_county_only(demo, applicant, village, village_staff,
                                                   township_staff, clock):
    """A supervisor's deploy is their county's: another county keeps the product version."""
    from engine.models import UnitLevel
    from engine.services import definition_current, unit_create

    other_county = unit_create(name="金东区", level=UnitLevel.COUNTY, doc_prefix="金东民",
                               office_name="金华市金东区民政局")
    other_township = unit_create(name="多湖街道", level=UnitLevel.TOWNSHIP, parent=other_county)
    unit_create(name="多湖村", level=UnitLevel.VILLAGE, parent=other_township)
    lowered = DMN.replace("&lt;= 3000", "&lt;= 1000").replace(
        "3000 &lt; ? &lt;= 20000", "1000 &lt; ? &lt;= 20000")
    county_version = _deploy(dmn=lowered, county=demo, comment="本县调整")
    assert county_version.county == demo
    assert definition_current("temporary_relief", demo) == county_version
    product = definition_current("temporary_relief", other_county)
    assert product.county is None and product.version == 1
    assert definition_current("temporary_relief") == product
    case = file_application(user=applicant, village=village, requested_amount="2000")
    assert case.definition == county_version
    assert _to_decision(case, village_staff, township_staff, clock, "2000").lane == \
        "county_staff"
    # The same content again for this county deploys nothing new.
    assert _deploy(dmn=lowered, county=demo) == county_version
