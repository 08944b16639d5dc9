"""Every path of 身后一件事: all departments complete, one returns for material while the others
go on, unnatural death, the department table edited by a supervisor, filing on behalf, and the
notice's text."""
import pytest
from django.conf import settings
from django.utils import timezone

from engine.models import CaseStatus
from engine.selectors import task_list_for_user
from engine.services import definition_deploy
from workflows.demo import DEPARTMENT_SLUGS
from workflows.registry import procedure_get

from .helpers import (
    after_death_data,
    department_done,
    department_return,
    department_task,
    department_user,
    file_bundle,
    open_lanes,
    open_tasks,
    pdf_text,
    submit,
)

pytestmark = pytest.mark.django_db

KEY = "after_death_bundle"
FIRST_GROUP = ["公安", "医保", "民政", "残联"]
AFTER_CREMATION = ["人社", "公积金中心", "公安"]


def _only_department_sees(task, department, others):
    """The task reaches its department's users and nobody else."""
    assert task in task_list_for_user(user=department_user(department))
    for outsider in others:
        assert task not in task_list_for_user(user=outsider), outsider.username


@pytest.fixture
def all_department_users(demo):
    return {name: department_user(name) for name in DEPARTMENT_SLUGS}


def test_every_department_completes_and_the_notice_lists_every_result(
        applicant, village, outsider, township_staff, all_department_users):
    case = file_bundle(KEY, after_death_data(village), user=applicant)
    # Death proof first: 卫健 for a natural death, and only 卫健.
    assert open_lanes(case) == ["department:卫健"]
    proof = department_task(case, "卫健")
    others = [u for name, u in all_department_users.items() if name != "卫健"]
    _only_department_sees(proof, "卫健", [*others, outsider, township_staff, applicant])
    assert proof.due_at is not None
    department_done(case, "卫健", reference="死证2026-0001")

    # Then in parallel: hukou, medical insurance, civil affairs, disability, cremation.
    assert open_lanes(case) == sorted(f"department:{d}" for d in [*FIRST_GROUP, "殡仪馆"])
    for department in [*FIRST_GROUP, "殡仪馆"]:
        task = department_task(case, department)
        others = [u for name, u in all_department_users.items() if name != department]
        _only_department_sees(task, department, [*others, outsider, applicant])

    # After cremation (and only then) 人社, 公积金中心 and the driving licence (公安) start,
    # while the first group is still open.
    department_done(case, "殡仪馆", reference="火化证2026-0088")
    lanes = open_lanes(case)
    assert lanes.count("department:公安") == 2  # hukou (first group) + driving licence
    for department in ("人社", "公积金中心", "医保", "民政", "残联"):
        assert f"department:{department}" in lanes
    for department in ("人社", "公积金中心"):
        task = department_task(case, department)
        others = [u for name, u in all_department_users.items() if name != department]
        _only_department_sees(task, department, [*others, outsider, applicant])

    for department in ("医保", "民政", "残联"):
        department_done(case, department)
    police = [t for t in open_tasks(case) if t.lane == "department:公安"]
    for task in police:
        submit(case, task, department_user("公安"), department_result="done",
               reference_number=f"公安-{task.pk}")
    department_done(case, "人社", reference="人社丧葬2026-12")
    assert case.status == CaseStatus.RUNNING
    task = department_task(case, "公积金中心")
    submit(case, task, department_user("公积金中心"), department_result="not_applicable",
           result_note="逝者无住房公积金账户")

    assert case.status == CaseStatus.COMPLETED
    results = case.data["bundle_results"]
    assert len(results) == 9
    assert {r["department"] for r in results} == {
        "卫健", "公安", "医保", "民政", "残联", "殡仪馆", "人社", "公积金中心"}
    assert {"item": "death_proof", "item_name": "死亡医学证明", "department": "卫健",
            "result": "done", "reference_number": "死证2026-0001", "note": ""} in results
    document = case.documents.get()
    year = timezone.localdate().year
    assert document.doc_type == "after_death_notice"
    assert document.number == f"婺民身后〔{year}〕1号"
    assert document.holder_name == "张建国"

    flat = pdf_text(document)
    assert "身后一件事办结通知书" in flat
    assert f"婺民身后〔{year}〕1号" in flat
    assert "张老汉" in flat and "330***********0019" in flat
    assert "330702194501010019" not in flat  # the deceased's ID is printed masked only
    for row in results:
        assert row["item_name"] in flat
        assert row["department"] in flat
        if row["reference_number"]:
            assert row["reference_number"] in flat
    assert "无需办理" in flat and "逝者无住房公积金账户" in flat
    assert "已办结" in flat
    assert "行政复议" not in flat  # a notice, not a refusal: no appeal sentence


def test_a_returned_item_does_not_block_the_other_departments(applicant, village, outsider):
    case = file_bundle(KEY, after_death_data(village, wanted_items=["medical_insurance"]),
                       user=applicant)
    department_done(case, "卫健")
    department_return(case, "医保", missing="请补充逝者社保卡复印件")
    supplement = [t for t in open_tasks(case) if t.spec_name == "department_supplement"]
    assert len(supplement) == 1
    assert supplement[0].lane == "applicant"
    assert supplement[0].assignee == applicant
    assert supplement[0] in task_list_for_user(user=applicant)
    assert supplement[0] not in task_list_for_user(user=department_user("医保"))
    assert supplement[0] not in task_list_for_user(user=outsider)

    # The others are not blocked: hukou and cremation finish while 医保 waits.
    department_done(case, "公安")
    department_done(case, "殡仪馆")
    assert open_lanes(case) == ["applicant"]  # nothing after cremation was wanted
    assert case.status == CaseStatus.RUNNING  # not complete while one item is open

    submit(case, supplement[0], applicant, supplement_note="已补充社保卡复印件")
    assert open_lanes(case) == ["department:医保"]
    department_done(case, "医保", reference="医保2026-77")
    assert case.status == CaseStatus.COMPLETED
    insurance = next(r for r in case.data["bundle_results"] if r["department"] == "医保")
    assert insurance["result"] == "done" and insurance["reference_number"] == "医保2026-77"
    assert case.documents.count() == 1


def test_unnatural_death_routes_the_proof_to_the_police(applicant, village):
    case = file_bundle(KEY, after_death_data(village, death_type="unnatural", wanted_items=[]),
                       user=applicant)
    assert open_lanes(case) == ["department:公安"]
    proof = department_task(case, "公安")
    assert proof not in task_list_for_user(user=department_user("卫健"))
    department_done(case, "公安", reference="公死证2026-3")
    assert open_lanes(case) == ["department:公安", "department:殡仪馆"]  # hukou + cremation
    department_done(case, "公安")
    department_done(case, "殡仪馆")
    assert case.status == CaseStatus.COMPLETED
    proof_result = case.data["bundle_results"][0]
    assert proof_result["item_name"] == "死亡证明" and proof_result["department"] == "公安"


def test_removing_a_department_from_the_table_removes_its_task_from_new_cases(
        applicant, village, supervisor):
    before = file_bundle(KEY, after_death_data(village), user=applicant)
    procedure = procedure_get(KEY)
    bpmn = (settings.BPMN_DIR / procedure.bpmn).read_text(encoding="utf-8")
    dmn = (settings.BPMN_DIR / procedure.dmn[0]).read_text(encoding="utf-8")
    # The supervisor deletes the 残联 row and deploys the table.
    start = dmn.index('      <rule id="rule_6">')
    end = dmn.index("</rule>", start) + len("</rule>\n")
    assert "残联" in dmn[start:end]
    edited = dmn[:start] + dmn[end:]
    definition = definition_deploy(key=KEY, name=procedure.name, bpmn_xml=bpmn,
                                   dmn_xmls=[edited], deployed_by=supervisor,
                                   comment="残联补贴停发改由数据共享自动办理")
    assert definition.version == 2

    after = file_bundle(KEY, after_death_data(village), user=applicant)
    for case in (before, after):
        department_done(case, "卫健")
    assert "department:残联" not in open_lanes(after)
    assert "department:残联" in open_lanes(before)  # running cases keep their version
    assert sorted(open_lanes(after)) == sorted(
        f"department:{d}" for d in ["公安", "医保", "民政", "殡仪馆"])


def test_village_staff_file_on_behalf_and_answer_returns(village, village_staff,
                                                        other_village_staff):
    case = file_bundle(KEY, after_death_data(village, relation="村（社区）代办",
                                             wanted_items=[]),
                       user=village_staff, on_behalf=True)
    assert case.applicant is None
    department_return(case, "卫健", missing="请补充医院出具的死亡医学证明原件照片")
    supplement = open_tasks(case)[0]
    assert supplement.spec_name == "department_supplement"
    assert supplement in task_list_for_user(user=village_staff)
    assert supplement not in task_list_for_user(user=other_village_staff)
    submit(case, supplement, village_staff, supplement_note="已上传")
    assert open_lanes(case) == ["department:卫健"]


def test_department_form_requires_what_each_result_needs(applicant, village):
    form_class = procedure_get(KEY).task_form_class("department_handle")
    form = form_class(data={"department_result": "returned"}, case_data={})
    assert not form.is_valid()
    assert form.errors["missing_items"] == ["退回补充时必须一次性列明需补充的全部材料"]
    form = form_class(data={"department_result": "done"}, case_data={})
    assert form.errors["reference_number"] == ["办结时请填写办理文号或凭证编号"]
    form = form_class(data={"department_result": "not_applicable"}, case_data={})
    assert form.errors["result_note"] == ["无需办理的，请说明原因"]
    form = form_class(data={}, case_data={})
    assert form.errors["department_result"] == ["请选择办理结果"]
    supplement = procedure_get(KEY).task_form_class("department_supplement")(data={},
                                                                             case_data={})
    assert supplement.errors["supplement_note"] == ["请说明补充了哪些材料"]


def test_application_form_errors_are_chinese_and_keep_the_input(village):
    form_class = procedure_get(KEY).application_form
    data = after_death_data(village, deceased_id_number="330702194501010011",
                            death_date="2099-01-01", death_place="", wanted_items=["unknown"])
    form = form_class(data=data)
    assert not form.is_valid()
    assert form.errors["deceased_id_number"] == ["身份证号码校验位不正确，请核对后重新输入"]
    assert form.errors["death_date"] == ["死亡日期不能晚于今天"]
    assert form.errors["death_place"] == ["此项为必填项"]
    assert form.errors["wanted_items"] == ["所选事项“unknown”不在可办事项中"]
    assert form["deceased_name"].value() == "张老汉"  # nothing lost on a failed submit
    form = form_class(data=after_death_data(village, deceased_id_number="330702198001011232"))
    assert form.errors["deceased_id_number"] == ["逝者身份证号码不能与申请人相同"]
    form = form_class(data=after_death_data(village, death_date="1940-01-01"))
    assert form.errors["death_date"] == ["死亡日期不能早于逝者出生日期"]


def test_time_limits_per_item_come_from_the_table(applicant, village):
    """户口注销 within 2 working days, 火化证明 within 4 hours, the rest within 5 (the
    department table's columns, which a supervisor edits)."""
    from datetime import timedelta

    from .helpers import after_death_data, department_done, file_bundle, open_tasks

    case = file_bundle("after_death_bundle", after_death_data(village), user=applicant)
    department_done(case, "卫健")
    tasks = {t.task_data["item_name"]: t for t in open_tasks(case)}
    cremation = next(t for name, t in tasks.items() if "火化" in name)
    assert cremation.due_at - cremation.created_at <= timedelta(hours=4, seconds=5)
    hukou = next(t for name, t in tasks.items() if "户口" in name)
    medical = next(t for name, t in tasks.items() if "医保" in name or "医疗" in name)
    assert hukou.due_at < medical.due_at


def test_each_department_item_holds_only_its_work_item(applicant, village):
    """The department process declares its input and output (ioSpecification): a parallel
    item does not carry a copy of the case's data, so the saved state grows with the number
    of departments, not with its square; the case's own data stays whole meanwhile."""
    import json

    case = file_bundle(KEY, after_death_data(village), user=applicant)
    department_done(case, "卫健", reference="死证2026-0001")
    case.refresh_from_db()
    state = json.loads(case.state)
    roots = [sub["tasks"][sub["root"]] for sub in state["subprocesses"].values()]
    assert len(roots) == 6  # the death proof, then five in parallel
    assert all(set(root["data"]) == {"work_item"} for root in roots), roots
    assert case.data["deceased_name"] == after_death_data(village)["deceased_name"]
    assert case.data["applicant_name"] == after_death_data(village)["applicant_name"]


def test_the_county_bureau_that_leads_the_bundle_sees_its_cases(
        applicant, village, county_staff, county_leader, outsider):
    """Every step of the bundle is a department's; the diagram declares the county bureau
    as overseeing it (``overseen_by``), so its staff see the case. A department without a
    task on it, and another township's staff, do not."""
    from engine.selectors import case_list_for_user

    case = file_bundle(KEY, after_death_data(village), user=applicant)
    assert case.definition.roles and "county_staff" in case.definition.roles
    for user in (county_staff, county_leader):
        assert case_list_for_user(user=user).filter(pk=case.pk).exists(), user.username
    for user in (department_user("公积金中心"), outsider):
        assert not case_list_for_user(user=user).filter(pk=case.pk).exists(), user.username
