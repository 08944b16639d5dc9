"""Every path of the cemetery-approval diagram, walked through the forms and the engine, with
the documents each path issues rendered and read back with pdftotext."""
import shutil
import subprocess

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from engine.documents import APPEAL_SENTENCE, document_render
from engine.models import Attachment, CaseStatus, Document, TaskStatus, Unit
from engine.selectors import task_list_for_user

from .helpers import (
    DEPARTMENT_USERS,
    DEPARTMENTS,
    complete,
    file_application,
    open_task,
    open_tasks,
    operating_data,
    operating_files,
    public_data,
    public_files,
    submit,
    task_form,
)

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year
APPEAL = APPEAL_SENTENCE.format(county="婺城区")


def _user(username):
    return get_user_model().objects.get(username=username)


def pdf_text(document, tmp_path) -> str:
    """The rendered PDF's text without whitespace (pdftotext breaks lines anywhere)."""
    document = document_render(document_pk=document.pk)
    assert bytes(document.pdf).startswith(b"%PDF-")
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: install poppler-utils")
    path = tmp_path / f"{document.pk}.pdf"
    path.write_bytes(bytes(document.pdf))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"],  # noqa: S603, S607
                          capture_output=True, text=True, check=True).stdout
    return "".join(text.split())


def _not_visible(task, *users):
    for user in users:
        assert task not in task_list_for_user(user=user), f"{user} sees {task.spec_name}"


def _through_township(case, township_staff, township_leader):
    complete(case, township_staff, "township_review", township_review_result="forward",
             township_review_opinion="村民会议决议真实有效，材料齐全，选址经现场核查符合要求")
    complete(case, township_leader, "township_decide", township_decision="agree",
             township_opinion="同意建设，报县民政局审批")


def _departments_answer(case, disagree: dict | None = None):
    """Each consulted department answers its own task; ``disagree`` maps a department to
    its objection. Answers come in reverse order to show results keep their department."""
    disagree = disagree or {}
    for department in reversed(DEPARTMENTS):
        task = next(t for t in open_tasks(case, "department_opinion")
                    if t.lane == f"department:{department}")
        user = _user(DEPARTMENT_USERS[department])
        if department in disagree:
            submit(case, task, user, dept_agree="disagree", dept_opinion=disagree[department])
        else:
            submit(case, task, user, dept_agree="agree", dept_opinion="无意见")


def test_public_welfare_cemetery_approved_after_every_department_agrees(
        village_staff, village, township_staff, township_leader, county_staff, county_leader,
        outsider, tmp_path):
    # given: village staff file for their village committee (村委会代办)
    case = file_application(user=village_staff, data=public_data(village),
                            files=public_files(), on_behalf=True)
    assert case.applicant is None and case.applicant_name == "罗店村村民委员会"
    assert Attachment.objects.filter(case=case).count() == 4
    task = open_task(case, "township_review")
    assert task.lane == "township_staff" and task.due_at is not None
    _not_visible(task, outsider, county_staff, village_staff)
    _through_township(case, township_staff, township_leader)

    # then: one task per consulted department, each offered to that department only
    tasks = open_tasks(case)
    assert sorted(t.lane for t in tasks) == sorted(f"department:{d}" for d in DEPARTMENTS)
    assert case.data["departments"] == DEPARTMENTS  # from the DMN table
    dept_users = {d: _user(u) for d, u in DEPARTMENT_USERS.items()}
    police = _user("wucheng_dept_police")
    for task in tasks:
        department = task.lane.removeprefix("department:")
        assert task.due_at is not None
        assert list(task_list_for_user(user=dept_users[department])) == [task]
        _not_visible(task, police, outsider, county_staff, township_staff,
                     *[u for d, u in dept_users.items() if d != department])

    form = task_form(case, "department_opinion", {"dept_agree": "disagree"})
    assert not form.is_valid() and form.errors["dept_opinion"] == ["此项为必填项"]
    _departments_answer(case)
    assert {r["department"] for r in case.data["department_results"]} == set(DEPARTMENTS)
    assert all(r["agree"] for r in case.data["department_results"])
    summary = open_task(case, "county_summary")
    form = task_form(case, "county_summary", {})
    assert form.fields["approved_graves"].initial == 800
    assert "林业局：同意" in form.fields["summary_opinion"].help_text
    form = task_form(case, "county_summary", {
        "summary_opinion": "同意", "recommendation": "approve", "approved_area_mu": "13",
        "approved_graves": "900", "approved_plot_limit": "0.8", "land_conditions": "依法用地"})
    assert not form.is_valid()
    assert form.errors["approved_area_mu"] == ["批准规模不能超过申请规模"]
    assert form.errors["approved_graves"] == ["批准规模不能超过申请规模"]
    submit(case, summary, county_staff, summary_opinion="各部门均同意，建议批准",
           recommendation="approve", approved_area_mu="12", approved_graves="760",
           approved_plot_limit="0.8",
           land_conditions="须依法办理集体土地使用审批和乡村建设规划许可手续后方可开工建设")
    decide = open_task(case, "county_decide")
    _not_visible(decide, county_staff, township_leader, outsider)
    complete(case, county_leader, "county_decide", decision="approve",
             decision_opinion="同意建设")

    assert case.status == CaseStatus.COMPLETED
    document = Document.objects.get(case=case)
    assert document.doc_type == "cemetery_approval"
    assert document.number == f"婺民墓批〔{YEAR}〕1号"
    text = pdf_text(document, tmp_path)
    assert "关于同意建设罗店村公益性公墓的批复" in text
    assert text.count("关于同意建设") == 1  # the fixed type title is not printed as well
    assert document.number in text and "金华市婺城区民政局" in text
    assert "罗店镇人民政府：" in text
    assert "罗店村村民委员会" in text
    assert "占地面积12亩，墓穴760穴" in text
    assert "不得超过0.8平方米" in text
    assert "只限安葬本村村民" in text and "不得建立或者恢复宗族墓地" in text
    assert "乡村建设规划许可" in text
    assert ("征求自然资源和规划局、发展改革局、住房和城乡建设局、林业局、生态环境分局、"
            "民族宗教事务局意见") in text
    assert "此复" in text and "扫码核验" in text
    assert "行政复议" not in text


def test_a_department_disagreeing_leads_to_a_refusal(applicant, village, township_staff,
                                                     township_leader, county_staff,
                                                     county_leader, tmp_path):
    case = file_application(user=applicant, data=public_data(village), files=public_files())
    _through_township(case, township_staff, township_leader)
    _departments_answer(case, disagree={"林业": "拟选址位于公益林范围内，不同意占用"})
    assert [r["department"] for r in case.data["department_results"]
            if not r["agree"]] == ["林业"]

    # the summary may not recommend approval over a department's objection
    form = task_form(case, "county_summary", {
        "summary_opinion": "建议批准", "recommendation": "approve", "approved_area_mu": "12",
        "approved_graves": "800", "approved_plot_limit": "0.8", "land_conditions": "依法用地"})
    assert not form.is_valid()
    assert "林业局不同意" in form.errors["recommendation"][0]
    complete(case, county_staff, "county_summary", summary_opinion="林业局不同意",
             recommendation="refuse", approved_area_mu="12", approved_graves="800",
             approved_plot_limit="0.8", land_conditions="依法用地")
    # nor may the leader approve it; the reason is prefilled from the objection
    form = task_form(case, "county_decide", {"decision": "approve", "decision_opinion": "同意"})
    assert not form.is_valid() and "不能批准建设" in form.errors["decision"][0]
    assert "拟选址位于公益林范围内" in form.fields["refusal_reason"].initial
    complete(case, county_leader, "county_decide", decision="refuse",
             decision_opinion="不予许可", refusal_reason=form.fields["refusal_reason"].initial)

    assert case.status == CaseStatus.COMPLETED
    document = case.documents.get()
    assert document.doc_type == "cemetery_refusal"
    assert document.number == f"婺民墓不许〔{YEAR}〕1号"
    text = pdf_text(document, tmp_path)
    assert "不予许可决定书" in text and document.number in text
    assert "罗店村村民委员会：" in text
    assert "本机关征求有关部门意见并审查" in text
    assert "林业局不同意，意见为“拟选址位于公益林范围内，不同意占用”" in text
    assert "决定对你单位的申请不予许可" in text
    assert "".join(APPEAL.split()) in text


def test_banned_zone_found_on_site_means_the_township_refuses(applicant, village,
                                                              township_staff, township_leader,
                                                              tmp_path):
    case = file_application(user=applicant, data=public_data(village), files=public_files())
    # a hit forbids forwarding
    form = task_form(case, "township_review", {
        "site_verified_zones": ["forest", "water"], "township_review_result": "forward",
        "township_review_opinion": "核查"})
    assert not form.is_valid()
    assert "林地、水库及河流堤坝附近和水源保护区" in form.errors["township_review_result"][0]
    complete(case, township_staff, "township_review", site_verified_zones=["forest", "water"],
             township_review_result="refuse", township_review_opinion="选址在禁建区")
    # the leader cannot agree either; the refusal reason names the zones
    form = task_form(case, "township_decide", {"township_decision": "agree",
                                               "township_opinion": "同意"})
    assert not form.is_valid() and "不能同意建设" in form.errors["township_decision"][0]
    reason = form.fields["refusal_reason"].initial
    assert "林地" in reason and "第十条" in reason
    complete(case, township_leader, "township_decide", township_decision="refuse",
             township_opinion="不同意", refusal_reason=reason)

    assert case.status == CaseStatus.COMPLETED
    assert not open_tasks(case)
    # The township's review-stage opinion in its own name, not a county licensing refusal
    # no county officer made.
    document = case.documents.get()
    assert document.doc_type == "cemetery_township_opinion"
    assert document.number == f"罗店政墓审〔{YEAR}〕1号"
    assert document.issuer_unit.name == "罗店镇"
    assert document.filing.township.name == "罗店镇"  # 报县备案: the county sees it
    text = pdf_text(document, tmp_path)
    assert "乡镇人民政府不同意建设农村公益性墓地意见书" in text
    assert "本机关不同意建设" in text
    assert "选址涉及林地、水库及河流堤坝附近和水源保护区" in text
    assert "不再报送婺城区民政局审批" in text
    assert "金华市婺城区罗店镇人民政府" in text
    assert "不予许可" not in text and "行政许可法" not in text
    assert "金华市婺城区民政局" not in text


def test_clan_cemetery_is_refused(applicant, village, township_staff, township_leader):
    case = file_application(user=applicant, data=public_data(village), files=public_files())
    form = task_form(case, "township_review", {
        "clan_cemetery": "on", "township_review_result": "forward",
        "township_review_opinion": "核查"})
    assert not form.is_valid() and "宗族墓地" in form.errors["township_review_result"][0]
    complete(case, township_staff, "township_review", clan_cemetery="on",
             township_review_result="refuse", township_review_opinion="实为某姓宗族墓地")
    form = task_form(case, "township_decide", {})
    assert "宗族墓地" in form.fields["refusal_reason"].initial


def test_township_leader_may_refuse_with_reasons(applicant, village, township_staff,
                                                 township_leader):
    case = file_application(user=applicant, data=public_data(village), files=public_files())
    complete(case, township_staff, "township_review", township_review_result="forward",
             township_review_opinion="材料齐全")
    form = task_form(case, "township_decide", {"township_decision": "refuse",
                                               "township_opinion": "不同意"})
    assert not form.is_valid() and "理由" in form.errors["refusal_reason"][0]
    complete(case, township_leader, "township_decide", township_decision="refuse",
             township_opinion="不同意", refusal_reason="本镇殡葬设施规划已在邻村布点，不再新建")
    document = case.documents.get()
    assert document.context["refusal_reason"] == "本镇殡葬设施规划已在邻村布点，不再新建"


@pytest.mark.parametrize("on_behalf", [False, True])
def test_township_returns_for_material_once_listed(on_behalf, applicant, village,
                                                   village_staff, other_village_staff,
                                                   township_staff, township_leader):
    filer = village_staff if on_behalf else applicant
    case = file_application(user=filer, data=public_data(village), files=public_files(),
                            on_behalf=on_behalf)
    form = task_form(case, "township_review", {"township_review_result": "return",
                                               "township_review_opinion": "材料不全"})
    assert not form.is_valid() and "一次性" in form.errors["missing_items"][0]
    complete(case, township_staff, "township_review", township_review_result="return",
             township_review_opinion="材料不全", missing_items="村民会议签到表；墓地平面图")
    task = open_task(case, "supplement")
    if on_behalf:  # the committee has no account: its village staff supplement
        assert task.assignee is None
        _not_visible(task, applicant, other_village_staff)
    else:
        assert task.assignee == applicant
        _not_visible(task, village_staff, township_staff)
    complete(case, filer, "supplement", supplement_note="已补充签到表和平面图")
    _through_township(case, township_staff, township_leader)
    assert len(open_tasks(case, "department_opinion")) == len(DEPARTMENTS)


# ---------------------------------------------------------------------------------------------
# Operating cemeteries: county review, provincial decision


def _county_forwards(case, county_staff, county_leader):
    task = open_task(case, "county_review")
    assert task.lane == "county_staff"
    _not_visible(task, _user("andi_staff"), _user("andi_leader"), county_leader)
    form = task_form(case, "county_review", {"county_review_result": "forward",
                                             "county_review_opinion": "符合条件"})
    assert not form.is_valid() and "50%" in form.errors["funds_verified"][0]
    complete(case, county_staff, "county_review", county_review_result="forward",
             funds_verified="on", county_review_opinion="申办材料齐全，资金到位，选址符合要求")
    complete(case, county_leader, "county_forward_decide", decision="forward",
             decision_opinion="同意转报省民政厅")


@pytest.fixture
def andi_village(demo):
    return Unit.objects.get(name="岩头村")


def test_operating_cemetery_forwarded_and_approved_by_the_province(
        applicant, andi_village, county_staff, county_leader, township_staff, tmp_path):
    case = file_application(user=applicant, data=operating_data(andi_village),
                            files=operating_files())
    assert case.data["cemetery_type"] == "operating"
    _county_forwards(case, county_staff, county_leader)
    task = open_task(case, "record_provincial_result")
    assert task.lane == "county_staff" and task.due_at is not None
    _not_visible(task, township_staff, county_leader)
    form = task_form(case, "record_provincial_result", {
        "provincial_approved": "yes", "provincial_doc_number": "浙民函2026-15",
        "provincial_date": "2026-11-20"})
    assert not form.is_valid() and "文号格式" in form.errors["provincial_doc_number"][0]
    complete(case, county_staff, "record_provincial_result", provincial_approved="yes",
             provincial_doc_number="浙民函〔2026〕15号", provincial_date="2026-11-20",
             provincial_remark="墓区绿化覆盖率不低于40%")

    assert case.status == CaseStatus.COMPLETED
    assert case.data["provincial_approved"] is True
    assert case.data["provincial_doc_number"] == "浙民函〔2026〕15号"
    document = case.documents.get()
    assert document.doc_type == "cemetery_forward_result"
    assert document.number == f"婺民墓转〔{YEAR}〕1号"
    text = pdf_text(document, tmp_path)
    assert "转报结果告知书" in text and document.number in text
    assert "婺城安息园陵园有限公司：" in text
    assert "已于2026年11月20日以浙民函〔2026〕15号文批准设立安息园" in text
    assert "墓区绿化覆盖率不低于40%" in text
    assert "行政复议" not in text


def test_operating_cemetery_refused_by_the_province(applicant, andi_village, county_staff,
                                                    county_leader, tmp_path):
    case = file_application(user=applicant, data=operating_data(andi_village),
                            files=operating_files())
    _county_forwards(case, county_staff, county_leader)
    form = task_form(case, "record_provincial_result", {
        "provincial_approved": "no", "provincial_doc_number": "浙民函〔2026〕16号",
        "provincial_date": "2026-11-20"})
    assert not form.is_valid() and "理由" in form.errors["provincial_remark"][0]
    complete(case, county_staff, "record_provincial_result", provincial_approved="no",
             provincial_doc_number="浙民函〔2026〕16号", provincial_date="2026-11-20",
             provincial_remark="全市经营性公墓布局规划未列入该项目")
    text = pdf_text(case.documents.get(), tmp_path)
    assert "以浙民函〔2026〕16号文决定不予批准设立安息园" in text
    assert "全市经营性公墓布局规划未列入该项目" in text
    assert "可以自收到该决定之日起六十日内依法申请行政复议" in text


def test_operating_cemetery_refused_by_the_county(applicant, andi_village, county_staff,
                                                  county_leader, tmp_path):
    case = file_application(user=applicant, data=operating_data(andi_village),
                            files=operating_files())
    complete(case, county_staff, "county_review", site_verified_zones=["transport"],
             county_review_result="refuse", county_review_opinion="选址紧邻国道")
    form = task_form(case, "county_forward_decide", {"decision": "forward",
                                                     "decision_opinion": "转报"})
    assert not form.is_valid() and "不能转报" in form.errors["decision"][0]
    complete(case, county_leader, "county_forward_decide", decision="refuse",
             decision_opinion="不予许可",
             refusal_reason="拟选址位于G330国道两侧建筑控制区内")
    assert case.status == CaseStatus.COMPLETED
    document = case.documents.get()
    assert document.doc_type == "cemetery_refusal"
    text = pdf_text(document, tmp_path)
    assert "婺城安息园陵园有限公司：" in text
    assert "经本机关审查，不符合经营性公墓的设立条件" in text
    assert "铁路、公路主干线两侧" in text
    assert "G330国道两侧建筑控制区" in text
    assert "".join(APPEAL.split()) in text


def test_operating_cemetery_returned_for_material(applicant, andi_village, county_staff,
                                                  county_leader):
    case = file_application(user=applicant, data=operating_data(andi_village),
                            files=operating_files())
    complete(case, county_staff, "county_review", county_review_result="return",
             county_review_opinion="缺材料", missing_items="到位资金的银行存款证明")
    task = open_task(case, "supplement")
    assert task.assignee == applicant
    complete(case, applicant, "supplement", supplement_note="已上传银行存款证明")
    # back to the county, not to a township
    assert open_task(case).spec_name == "county_review"
    _county_forwards(case, county_staff, county_leader)
    assert open_task(case).spec_name == "record_provincial_result"
    assert not case.documents.exists()
    assert case.tasks.filter(status=TaskStatus.COMPLETED).count() == 4
