"""Call activities across files: the county's process library (engine/library.py)."""
from pathlib import Path

import pytest
from django.urls import reverse

from engine.models import CaseStatus, ProcessDefinition, TaskStatus
from engine.services import (
    DefinitionError,
    case_start,
    definition_check,
    definition_deploy,
    task_claim,
    task_complete,
)

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent.parent / "data" / "library"
LIBRARY = (DATA / "household_check.bpmn").read_text(encoding="utf-8")
CALLER = (DATA / "relief_caller.bpmn").read_text(encoding="utf-8")


def _library(bpmn=LIBRARY, county=None):
    return definition_deploy(key="lib_household_check", name="入户核查（流程库）",
                             bpmn_xml=bpmn, dmn_xmls=[], county=county)


def _caller(bpmn=CALLER, county=None):
    return definition_deploy(key="relief_with_check", name="困难救助", bpmn_xml=bpmn,
                             dmn_xmls=[], county=county)


def _open(case, spec_name):
    return case.tasks.get(status=TaskStatus.OPEN, spec_name=spec_name)


def _through_the_check(case, township_staff, decision="approve"):
    task = _open(case, "Task_visit")
    assert task.lane == "township_staff" and task.title == "入户核查"
    task_claim(user=township_staff, task_pk=task.pk)
    task_complete(user=township_staff, task_pk=task.pk,
                  form_data={"decision": decision, "opinion": "情况属实"})


def test_a_call_to_a_process_nowhere_is_refused_naming_the_element(demo):
    with pytest.raises(DefinitionError) as excinfo:
        _caller()
    message = str(excinfo.value)
    assert "调用活动“调用入户核查”（Call_check）" in message
    assert "Process_household_check" in message and "流程库" in message
    assert not ProcessDefinition.objects.filter(key="relief_with_check").exists()


def test_caller_records_the_called_version_and_its_roles(demo):
    library = _library()
    caller = _caller()
    assert caller.calls == [{"process_id": "Process_household_check",
                             "key": "lib_household_check", "version": library.version,
                             "definition": library.pk, "element_id": "Call_check"}]
    # The township staff of the called process's lane see the caller's cases too.
    assert "township_staff" in caller.roles and "county_staff" in caller.roles


def test_a_case_runs_through_the_called_process(demo, village, county_staff,
                                                township_staff):
    _library()
    _caller()
    case = case_start(procedure="relief_with_check", title="救助", village=village,
                      applicant_name="张建国", data={"amount": 800}, started_by=county_staff)
    _through_the_check(case, township_staff)
    case.refresh_from_db()
    assert case.data["decision"] == "approve"  # the called process's data comes back
    task = _open(case, "Task_decide")
    task_claim(user=county_staff, task_pk=task.pk)
    task_complete(user=county_staff, task_pk=task.pk, form_data={"opinion": "同意"})
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED


def test_the_called_task_on_the_web_task_page(demo, client, village, county_staff,
                                              township_staff):
    _library()
    _caller()
    case = case_start(procedure="relief_with_check", title="救助", village=village,
                      applicant_name="张建国", data={}, started_by=county_staff)
    task = _open(case, "Task_visit")
    client.force_login(township_staff)
    page = client.get(reverse("portal:task", args=[task.pk]))
    assert page.status_code == 200 and "同意" in page.content.decode()
    client.post(reverse("portal:task", args=[task.pk]),
                {"decision": "approve", "opinion": "已入户"})
    assert _open(case, "Task_decide")
    task = case.tasks.get(spec_name="Task_visit")
    assert task.status == TaskStatus.COMPLETED


def test_a_new_called_version_changes_no_deployed_caller(demo, village, county_staff,
                                                         township_staff):
    """The rule: the caller's deploy pins the called version; redeploying it picks up
    the newest."""
    first = _library()
    caller = _caller()
    running = case_start(procedure="relief_with_check", title="救助", village=village,
                         applicant_name="甲", data={}, started_by=county_staff)
    second = _library(LIBRARY.replace('name="入户核查">', 'name="入户核查（新版）">'))
    assert second.version == first.version + 1
    # New cases of the deployed caller still run the pinned version...
    later = case_start(procedure="relief_with_check", title="救助", village=village,
                       applicant_name="乙", data={}, started_by=county_staff)
    assert _open(later, "Task_visit").title == "入户核查"
    _through_the_check(running, township_staff)
    assert _open(running, "Task_decide")
    # ...until the caller is deployed again (same diagram): a new version calling v2.
    again = _caller()
    assert again.version == caller.version + 1
    assert again.calls[0]["version"] == second.version
    newest = case_start(procedure="relief_with_check", title="救助", village=village,
                        applicant_name="丙", data={}, started_by=county_staff)
    assert _open(newest, "Task_visit").title == "入户核查（新版）"
    # Deploying it once more without changes makes nothing new.
    assert _caller().pk == again.pk


def test_calling_a_non_executable_process_is_allowed(demo, village, county_staff):
    """``isExecutable="false"`` is a modelling flag; the product runs the process."""
    _library()
    caller = _caller(CALLER.replace('calledElement="Process_household_check"',
                                    'calledElement="Process_notify"'))
    assert caller.calls[0]["process_id"] == "Process_notify"
    case = case_start(procedure="relief_with_check", title="救助", village=village,
                      applicant_name="张建国", data={}, started_by=county_staff)
    case.refresh_from_db()
    assert case.data["notified"] is True
    assert _open(case, "Task_decide")


def test_same_file_non_executable_call(demo, village, county_staff):
    process = LIBRARY.split('<bpmn:process id="Process_notify"')[1].split("</bpmn:process>")[0]
    bpmn = CALLER.replace("</bpmn:definitions>", '<bpmn:process id="Process_notify"' + process
                          + "</bpmn:process></bpmn:definitions>").replace(
        'calledElement="Process_household_check"', 'calledElement="Process_notify"')
    caller = _caller(bpmn)
    assert caller.calls == []
    case = case_start(procedure="relief_with_check", title="救助", village=village,
                      applicant_name="张建国", data={}, started_by=county_staff)
    case.refresh_from_db()
    assert case.data["notified"] is True


def test_a_countys_own_library_version_wins_and_others_do_not_see_it(demo, village):
    county = village.county
    _library()
    own = _library(LIBRARY.replace('name="入户核查">', 'name="本县入户核查">'), county=county)
    caller = _caller(county=county)
    assert caller.calls[0]["definition"] == own.pk
    product_caller = _caller()
    assert product_caller.calls[0]["definition"] != own.pk


def test_colliding_process_ids_in_the_library_file_are_left_out(demo):
    """Two files made with the same tool share process ids; the caller's own win."""
    _library()
    bpmn = CALLER.replace("</bpmn:definitions>",
                          '<bpmn:process id="Process_notify" isExecutable="false">'
                          '<bpmn:startEvent id="S_x"/></bpmn:process></bpmn:definitions>')
    process_id, _spec = definition_check(bpmn_xml=bpmn, dmn_xmls=[], key="relief_with_check")
    assert process_id == "Process_caller"


def test_an_ambiguous_process_id_is_refused(demo):
    _library()
    definition_deploy(key="lib_copy", name="入户核查副本", bpmn_xml=LIBRARY, dmn_xmls=[])
    with pytest.raises(DefinitionError) as excinfo:
        _caller()
    assert "不止一个" in str(excinfo.value) and "Call_check" in str(excinfo.value)


def test_a_called_task_without_a_form_of_the_caller_is_refused_in_the_modeler(demo):
    """The modeler checks forms: a called user task opens on the caller's task page, so it
    needs a generic form (or one of the caller's procedure)."""
    from portal.modeler.selectors import draft_problems
    from workflows.registry import procedure_get

    _library(LIBRARY.replace('<spiffworkflow:property name="form" value="generic:decision" />',
                             ""))
    procedure = procedure_get("temporary_relief")
    problems = [p for p in draft_problems(procedure, bpmn_xml=CALLER, dmn_xmls=[],
                                          county=None) if p.code == "call_task_form"]
    assert len(problems) == 1 and problems[0].element_id == "Task_visit"
    assert "没有本事项的表单" in problems[0].message and "入户核查（流程库） 第" in \
        problems[0].message
    _library()  # a new version with the generic form: the caller checks clean of it
    assert not [p for p in draft_problems(procedure, bpmn_xml=CALLER, dmn_xmls=[],
                                          county=None) if p.code == "call_task_form"]


def test_the_dry_run_goes_through_the_called_process(demo, village):
    from engine.dryrun import dry_run

    _library()
    result = dry_run(bpmn_xml=CALLER, dmn_xmls=[], data={}, village=village,
                     decisions={"Task_visit": {"decision": "approve"}})
    assert result.finished, result.stop_reason
    assert "Task_visit" in [step.element_id for step in result.steps]
    missing = dry_run(bpmn_xml=CALLER.replace('calledElement="Process_household_check"',
                                              'calledElement="Process_gone"'),
                      dmn_xmls=[], data={}, village=village)
    assert not missing.finished and "Process_gone" in missing.stop_reason


def test_the_library_page_shows_only_what_the_county_may_call(demo, client, supervisor,
                                                              village):
    from engine.models import UnitLevel
    from engine.services import unit_create

    product = _library()
    other_county = unit_create(name="金东区", level=UnitLevel.COUNTY, doc_prefix="金东民")
    foreign = _library(LIBRARY.replace('name="入户核查">', 'name="外县入户核查">'),
                       county=other_county)
    caller = _caller(county=village.county)
    client.force_login(supervisor)
    page = client.get(reverse("portal:modeler:library_diagram", args=[product.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert f"{caller.name} 第 {caller.version} 版" in text  # who calls this version
    assert "<code>Process_notify</code> 告知申请人（未标记为可执行，仍可调用）" in text
    assert client.get(reverse("portal:modeler:library_diagram",
                              args=[foreign.pk])).status_code == 404
    index = client.get(reverse("portal:modeler:index")).content.decode()
    assert "Process_household_check" in index and "外县入户核查" not in index


def _upload(client, **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {"key": "lib_household_check", "name": "入户核查", "reason": "建立流程库",
            "bpmn_file": SimpleUploadedFile("check.bpmn", LIBRARY.encode("utf-8"))}
    data.update(fields)
    return client.post(reverse("portal:modeler:library_upload"), data)


def test_a_supervisor_deploys_a_library_process_and_a_new_version(demo, client, supervisor,
                                                                  village):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(supervisor)
    response = _upload(client)
    first = ProcessDefinition.objects.get(key="lib_household_check")
    assert response.status_code == 302 and first.county == village.county
    assert first.deployed_by == supervisor and first.comment == "建立流程库"
    changed = LIBRARY.replace('name="入户核查">', 'name="入户复核">')
    _upload(client, bpmn_file=SimpleUploadedFile("check.bpmn", changed.encode("utf-8")))
    assert ProcessDefinition.objects.filter(key="lib_household_check").count() == 2
    # the same content again makes no version
    _upload(client, bpmn_file=SimpleUploadedFile("check.bpmn", changed.encode("utf-8")))
    assert ProcessDefinition.objects.filter(key="lib_household_check").count() == 2


@pytest.mark.parametrize(("fields", "message"), [
    ({"key": "temporary_relief"}, "是审批事项"),
    ({"key": "带中文"}, "流程标识只能包含"),
    ({"reason": ""}, "请填写部署原因"),
], ids=["procedure-key", "bad-key", "no-reason"])
def test_library_uploads_refused_with_a_message(demo, client, supervisor, fields, message):
    client.force_login(supervisor)
    before = ProcessDefinition.objects.count()
    response = _upload(client, **fields)
    assert response.status_code == 200 and message in response.content.decode()
    assert ProcessDefinition.objects.count() == before


def test_a_library_task_without_a_generic_form_is_refused(demo, client, supervisor):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(supervisor)
    bare = LIBRARY.replace('<spiffworkflow:property name="form" value="generic:decision" />',
                           "")
    for upload in (bare.encode("utf-8"), b"<not xml", "中文".encode("gbk")):
        response = _upload(client, bpmn_file=SimpleUploadedFile("x.bpmn", upload))
        assert response.status_code == 200
    assert not ProcessDefinition.objects.filter(key="lib_household_check").exists()
    response = _upload(client, bpmn_file=SimpleUploadedFile("x.bpmn", bare.encode("utf-8")))
    assert "入户核查" in response.content.decode() and "Task_visit" in response.content.decode()


def test_only_supervisors_upload(demo, client, county_staff):
    client.force_login(county_staff)
    assert _upload(client).status_code == 403
    assert not ProcessDefinition.objects.filter(key="lib_household_check").exists()


def test_the_deploy_page_shows_which_called_versions_will_be_recorded(demo, client,
                                                                    supervisor, village):
    from engine.services import definition_draft_save

    _library()
    draft_bpmn = CALLER.replace('name="县级审批"', 'name="县级审批（改）"')
    definition_draft_save(key="temporary_relief", county=village.county, bpmn_xml=draft_bpmn,
                          dmn_xmls=[], user=supervisor)
    client.force_login(supervisor)
    page = client.get(reverse("portal:modeler:deploy", args=["temporary_relief"]))
    text = page.content.decode()
    assert "<code>Process_household_check</code>（lib_household_check 第 1 版）" in text
    assert "新增调用" in text


def _script_process(process_id, script, call=None):
    body = (f'<bpmn:callActivity id="call_{process_id}" calledElement="{call}"/>' if call else
            f'<bpmn:scriptTask id="script_{process_id}"><bpmn:script>{script}</bpmn:script>'
            '</bpmn:scriptTask>')
    inner = f"call_{process_id}" if call else f"script_{process_id}"
    return ('<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
            f'id="D_{process_id}"><bpmn:process id="{process_id}" isExecutable="true">'
            f'<bpmn:startEvent id="s_{process_id}"/>{body}<bpmn:endEvent id="e_{process_id}"/>'
            f'<bpmn:sequenceFlow id="f1_{process_id}" sourceRef="s_{process_id}" '
            f'targetRef="{inner}"/><bpmn:sequenceFlow id="f2_{process_id}" '
            f'sourceRef="{inner}" targetRef="e_{process_id}"/></bpmn:process>'
            '</bpmn:definitions>')


def test_a_called_definition_keeps_the_versions_it_recorded(demo, village, county_staff):
    """A calls B calls C: A gets B's current version and, through it, the C that B was
    deployed with — not a newer C."""
    definition_deploy(key="lib_c", name="C", dmn_xmls=[],
                      bpmn_xml=_script_process("Process_c", "c_version = 1"))
    b = definition_deploy(key="lib_b", name="B", dmn_xmls=[],
                          bpmn_xml=_script_process("Process_b", "", call="Process_c"))
    definition_deploy(key="lib_c", name="C", dmn_xmls=[],
                      bpmn_xml=_script_process("Process_c", "c_version = 2"))
    a = definition_deploy(key="lib_a", name="A", dmn_xmls=[],
                          bpmn_xml=_script_process("Process_a", "", call="Process_b"))
    assert [c["definition"] for c in a.calls] == [b.pk]
    case = case_start(procedure="lib_a", title="A", village=village, applicant_name="甲",
                      data={}, started_by=county_staff)
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED and case.data["c_version"] == 1
