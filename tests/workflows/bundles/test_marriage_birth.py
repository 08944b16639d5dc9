"""婚育户一件事: the second bundle, built only from a diagram, a table and an application form on
the shared bundle glue. Every path: all complete, a return that blocks nobody else, fewer items
wanted, the table edited, and the form's checks."""
import pytest
from django.conf import settings
from django.utils import timezone

from engine.models import CaseStatus
from engine.selectors import task_list_for_user
from engine.services import definition_deploy
from workflows.bundles import forms as bundle_forms
from workflows.registry import procedure_get

from .helpers import (
    department_done,
    department_return,
    department_task,
    department_user,
    file_bundle,
    marriage_birth_data,
    open_lanes,
    open_tasks,
    pdf_text,
    submit,
)

pytestmark = pytest.mark.django_db

KEY = "marriage_birth_bundle"


def test_uses_the_shared_bundle_forms():
    procedure = procedure_get(KEY)
    assert procedure.task_form_class("department_handle") is bundle_forms.DepartmentTaskForm
    assert procedure.task_form_class("department_supplement") is \
        bundle_forms.DepartmentSupplementForm
    assert procedure_get("after_death_bundle").task_forms == procedure.task_forms


def test_marriage_first_then_hukou_and_birth_in_parallel(applicant, village, outsider):
    case = file_bundle(KEY, marriage_birth_data(village), user=applicant)
    assert open_lanes(case) == ["department:婚姻登记"]
    registration = department_task(case, "婚姻登记")
    for other in ("公安", "卫健", "民政"):
        assert registration not in task_list_for_user(user=department_user(other))
    assert registration not in task_list_for_user(user=outsider)
    department_done(case, "婚姻登记", reference="J330702-2026-000123")

    assert open_lanes(case) == ["department:公安", "department:卫健"]
    hukou = department_task(case, "公安")
    assert hukou not in task_list_for_user(user=department_user("婚姻登记"))
    # 卫健 returns for material; 公安 finishes meanwhile.
    department_return(case, "卫健", missing="请补充双方户口簿首页复印件")
    department_done(case, "公安", reference="户迁2026-456")
    assert case.status == CaseStatus.RUNNING
    supplement = open_tasks(case)[0]
    assert supplement.spec_name == "department_supplement" and supplement.lane == "applicant"
    submit(case, supplement, applicant, supplement_note="已补充户口簿复印件")
    department_done(case, "卫健", reference="生育登记2026-789")

    assert case.status == CaseStatus.COMPLETED
    assert [r["department"] for r in case.data["bundle_results"]] == ["婚姻登记", "公安", "卫健"]
    document = case.documents.get()
    year = timezone.localdate().year
    assert document.number == f"婺民婚育〔{year}〕1号"
    flat = pdf_text(document)
    assert "婚育户一件事办结通知书" in flat
    assert f"婺民婚育〔{year}〕1号" in flat
    assert "李梅" in flat
    for expected in ("结婚登记", "婚姻登记", "J330702-2026-000123", "婚后户口迁移登记",
                     "户迁2026-456", "生育登记", "卫健", "生育登记2026-789", "共3项"):
        assert expected in flat, expected
    assert "行政复议" not in flat


def test_only_the_required_marriage_registration_when_nothing_else_is_wanted(applicant,
                                                                             village):
    case = file_bundle(KEY, marriage_birth_data(village, wanted_items=[]), user=applicant)
    department_done(case, "婚姻登记")
    assert case.status == CaseStatus.COMPLETED
    assert [r["item"] for r in case.data["bundle_results"]] == ["marriage_registration"]


def test_a_department_removed_from_the_table_gets_no_task(applicant, village, supervisor):
    procedure = procedure_get(KEY)
    bpmn = (settings.BPMN_DIR / procedure.bpmn).read_text(encoding="utf-8")
    dmn = (settings.BPMN_DIR / procedure.dmn[0]).read_text(encoding="utf-8")
    start = dmn.index('      <rule id="rule_3">')
    end = dmn.index("</rule>", start) + len("</rule>\n")
    assert "卫健" in dmn[start:end]
    definition_deploy(key=KEY, name=procedure.name, bpmn_xml=bpmn,
                      dmn_xmls=[dmn[:start] + dmn[end:]], deployed_by=supervisor)
    case = file_bundle(KEY, marriage_birth_data(village), user=applicant)
    department_done(case, "婚姻登记")
    assert open_lanes(case) == ["department:公安"]


def test_application_form_checks_the_couple(village):
    form_class = procedure_get(KEY).application_form
    # Same sex (both IDs male), and a date in the past.
    form = form_class(data=marriage_birth_data(village, spouse_id_number="330702199001011237",
                                               registration_date="2020-01-01"))
    assert not form.is_valid()
    assert form.errors["registration_date"] == ["预约登记日期不能早于今天"]
    assert form.errors["spouse_id_number"] == [
        "结婚登记双方应为一男一女（《民法典》第一千零四十六条）"]
    assert form["spouse_name"].value() == "李梅"
    # A bride under 20.
    young = "33070220100101002"
    from workflows.common.fields import id_number_check_char

    form = form_class(data=marriage_birth_data(
        village, spouse_id_number=young + id_number_check_char(young)))
    assert form.errors["spouse_id_number"] == [
        "未达法定婚龄（女不得早于20周岁，《民法典》第一千零四十七条）"]
    form = form_class(data=marriage_birth_data(village, spouse_id_number="330702198001011232"))
    assert form.errors["spouse_id_number"] == ["双方身份证号码不能相同"]
