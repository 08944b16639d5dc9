"""Who issues a document (engine/issuers.py): the unit that decided, under the county's legal
arrangement for township approval (委托 / 下放); township series; 报县备案 filings and their
review; document validity (revoke, void) on the public verification page."""
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from engine import documents
from engine.actions import case_void
from engine.documents import document_checksum
from engine.issuers import document_revoke, filing_review
from engine.models import (
    AuditAction,
    Document,
    DocumentFiling,
    DocumentSequence,
    DocumentValidity,
    FilingStatus,
    Notification,
    TaskStatus,
    Unit,
)
from engine.seal import seal_png
from engine.services import (
    ActionRefused,
    DefinitionError,
    case_start,
    definition_deploy,
    task_complete,
    timers_fire_due,
)
from engine.validation import validate_definition
from tests.engine.test_documents import (  # noqa: F401 - fixtures
    decision,
    pdf_text,
    refusal,
    rendered,
    verify_response,
)
from tests.workflows.temporary_relief.helpers import VALID_ID
from workflows.roles import ROLES

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent.parent / "data" / "issuer"
BPMN = Path(__file__).resolve().parent.parent.parent / "bpmn"
TOWNSHIP_OFFICE = "金华市婺城区罗店镇人民政府"
COUNTY_OFFICE = "金华市婺城区民政局"


@pytest.fixture
def probe(demo):
    definition_deploy(key="issuer_probe", name="出具机关测试", dmn_xmls=[],
                      bpmn_xml=(DATA / "issuer_probe.bpmn").read_text(encoding="utf-8"))


def start(village, filer, path: str):
    return case_start(procedure="issuer_probe", title="出具机关测试", village=village,
                      applicant_name="张建国", applicant_id_number=VALID_ID,
                      data={"path": path}, started_by=filer)


def decide(case, user):
    task = case.tasks.get(status=TaskStatus.OPEN)
    task_complete(user=user, task_pk=task.pk, form_data={"decision": "approve",
                                                         "opinion": "同意"})
    case.refresh_from_db()
    return task


def entrust(county: Unit) -> None:
    county.settings = {**county.settings, "township_approval_form": "entrusted"}
    county.save(update_fields=["settings"])


@pytest.fixture
def entrusted(demo):
    entrust(demo)


# ---------------------------------------------------------------------------------------------
# Who issues


def test_township_decision_is_the_townships_own_under_devolution(probe, village, village_staff,
                                                                 township_leader):
    case = start(village, village_staff, "township")
    decide(case, township_leader)
    document = case.documents.get()
    assert document.issuer_unit.name == "罗店镇"
    assert document.issuer_form == "devolved"
    assert document.handling_unit.name == "罗店镇"
    assert document.number == f"罗店政救〔{document.year}〕1号"
    assert documents.document_template_context(
        document, documents.document_type("relief_decision"))["office_name"] == TOWNSHIP_OFFICE
    filing = DocumentFiling.objects.get(document=document)
    assert filing.county.name == "婺城区" and filing.township.name == "罗店镇"
    assert filing.status == FilingStatus.PENDING


def test_series_run_per_issuer(probe, village, village_staff, township_leader, outsider_leader,
                               county_leader):
    first = start(village, village_staff, "township")
    decide(first, township_leader)
    second = start(village, village_staff, "township")
    decide(second, township_leader)
    andi = Unit.objects.get(name="安地村")
    other = start(andi, get_user_model().objects.get(username="andi_v1_staff"), "township")
    decide(other, outsider_leader)
    county = start(village, village_staff, "county")
    decide(county, county_leader)
    year = first.documents.get().year
    assert first.documents.get().number == f"罗店政救〔{year}〕1号"
    assert second.documents.get().number == f"罗店政救〔{year}〕2号"
    assert other.documents.get().number == f"安地政救〔{year}〕1号"
    assert other.documents.get().issuer_unit.name == "安地镇"
    assert county.documents.get().number == f"婺民救〔{year}〕1号"
    assert set(DocumentSequence.objects.values_list("issuer_code", "last_number")) == {
        ("罗店政救", 2), ("安地政救", 1), ("婺民救", 1)}


def test_county_decision_stays_with_the_county_bureau(probe, village, village_staff,
                                                      county_leader):
    case = start(village, village_staff, "county")
    decide(case, county_leader)
    document = case.documents.get()
    assert document.issuer_unit.name == "婺城区"
    assert document.number.startswith("婺民救〔")
    assert document.handling_unit is None and document.issuer_form == ""
    assert not DocumentFiling.objects.exists()


def test_entrusted_township_decision_is_issued_in_the_county_bureaus_name(
        entrusted, probe, village, village_staff, township_leader):
    case = start(village, village_staff, "township")
    decide(case, township_leader)
    document = case.documents.get()
    assert document.issuer_unit.name == "婺城区"
    assert document.number == f"婺民救〔{document.year}〕1号"
    assert document.issuer_form == "entrusted" and document.handling_unit.name == "罗店镇"
    assert DocumentFiling.objects.get(document=document).township.name == "罗店镇"


def test_a_document_a_timer_issues_is_the_countys(probe, village, village_staff,
                                                  township_leader, clock):
    case = start(village, village_staff, "timer")
    decide(case, township_leader)
    assert not case.documents.exists()
    clock.shift(timedelta(hours=2))
    assert timers_fire_due() == 1
    document = case.documents.get()
    assert document.issuer_unit.name == "婺城区" and document.handling_unit is None


def test_explicit_issuer_parameter_overrides_the_decider(probe, village, village_staff,
                                                         township_leader):
    case = start(village, village_staff, "explicit")
    decide(case, township_leader)
    document = case.documents.get()
    assert document.issuer_unit.name == "婺城区" and document.handling_unit is None


def test_devolution_without_a_township_prefix_refuses_and_saves_nothing(
        probe, village, village_staff, township_leader):
    Unit.objects.filter(name="罗店镇").update(doc_prefix="")
    case = start(village, village_staff, "township")
    task = case.tasks.get(status=TaskStatus.OPEN)
    with pytest.raises(ActionRefused, match="罗店镇尚未设置文号前缀"):
        task_complete(user=township_leader, task_pk=task.pk,
                      form_data={"decision": "approve", "opinion": "同意"})
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
    assert not Document.objects.exists() and not DocumentSequence.objects.exists()


# ---------------------------------------------------------------------------------------------
# Printed documents and verification (real temporary-relief cases)


def test_township_decision_pdf_and_verification_show_the_township(decision, client, tmp_path):
    document = rendered(decision)
    compact = "".join(pdf_text(bytes(document.pdf), tmp_path).split())
    assert "罗店政救〔2026〕1号" in compact
    assert compact.count(TOWNSHIP_OFFICE) >= 2  # header and signature
    assert COUNTY_OFFICE not in compact and "婺民救" not in compact
    context = documents.document_template_context(document,
                                                  documents.document_type("relief_decision"))
    assert context["seal_uri"].endswith(documents._data_uri(
        "image/png", seal_png(TOWNSHIP_OFFICE)).split(",", 1)[1])
    html = verify_response(client, document, document_checksum(document)).content.decode()
    assert TOWNSHIP_OFFICE in html and "罗店政救〔2026〕1号" in html
    assert COUNTY_OFFICE not in html and "受委托办理" not in html
    assert "核验结果：有效" in html


def test_entrusted_decision_states_the_entrusted_township(entrusted, decision, client, tmp_path):
    document = rendered(decision)
    compact = "".join(pdf_text(bytes(document.pdf), tmp_path).split())
    assert "婺民救〔2026〕1号" in compact
    assert f"（受{COUNTY_OFFICE}委托，由{TOWNSHIP_OFFICE}办理）" in compact
    assert "罗店政" not in compact
    html = verify_response(client, document, document_checksum(document)).content.decode()
    assert COUNTY_OFFICE in html and "受委托办理" in html and TOWNSHIP_OFFICE in html


def test_refusal_by_a_township_names_the_county_for_review(refusal, tmp_path):
    document = rendered(refusal)
    compact = "".join(pdf_text(bytes(document.pdf), tmp_path).split())
    assert document.number == "罗店政救告〔2026〕1号"
    assert "向婺城区人民政府申请行政复议" in compact and "向婺城区人民法院提起行政诉讼" in compact
    assert "向罗店镇人民政府申请行政复议" not in compact


def test_forged_checksum_of_a_township_document_is_refused(decision, client):
    document = rendered(decision)
    assert verify_response(client, document, "0" * 12).status_code == 404
    assert verify_response(client, document, "").status_code == 404


# ---------------------------------------------------------------------------------------------
# Validity: void and revoke


def test_voiding_a_case_voids_its_documents(probe, village, village_staff, township_leader,
                                            supervisor, client):
    case = start(village, village_staff, "township")
    decide(case, township_leader)
    document = case.documents.get()
    case_void(user=supervisor, case_pk=case.pk, reason="重复申请，终止办理")
    document.refresh_from_db()
    assert document.validity == DocumentValidity.VOIDED
    assert document.validity_reason == "重复申请，终止办理"
    assert case.audit.filter(action=AuditAction.DOCUMENT, data__validity="voided").exists()
    html = verify_response(client, document, document_checksum(document)).content.decode()
    assert "已作废" in html and "核验结果：有效" not in html


def test_revocation_by_a_county_supervisor_only(probe, village, village_staff, township_leader,
                                                county_leader, county_staff, outsider,
                                                supervisor, client):
    case = start(village, village_staff, "township")
    decide(case, township_leader)
    document = case.documents.get()
    # The county leader sees the case (the diagram has a county_leader lane) but does not
    # supervise; county staff have no role in this procedure and do not even see it.
    with pytest.raises(PermissionDenied):
        document_revoke(user=county_leader, document_pk=document.pk, reason="错误")
    with pytest.raises(Http404):
        document_revoke(user=county_staff, document_pk=document.pk, reason="错误")
    with pytest.raises(Http404):
        document_revoke(user=outsider, document_pk=document.pk, reason="错误")
    with pytest.raises(ActionRefused, match="撤销理由"):
        document_revoke(user=supervisor, document_pk=document.pk, reason="  ")
    document.refresh_from_db()
    assert document.validity == DocumentValidity.VALID
    document_revoke(user=supervisor, document_pk=document.pk, reason="认定事实错误")
    with pytest.raises(ActionRefused, match="已撤销"):
        document_revoke(user=supervisor, document_pk=document.pk, reason="再次")
    document.refresh_from_db()
    assert document.validity == DocumentValidity.REVOKED
    assert document.validity_changed_by == supervisor
    assert case.audit.filter(action=AuditAction.DOCUMENT, data__validity="revoked").exists()
    html = verify_response(client, document, document_checksum(document)).content.decode()
    assert "已撤销" in html and "核验结果：有效" not in html


def test_revoke_page_for_supervisors_only(probe, village, village_staff, township_leader,
                                          county_leader, county_staff, supervisor, client):
    case = start(village, village_staff, "township")
    decide(case, township_leader)
    document = case.documents.get()
    url = reverse("portal:document_revoke", kwargs={"uuid": document.uuid})
    client.force_login(county_leader)
    assert client.post(url, {"reason": "错误"}).status_code == 403
    client.force_login(county_staff)  # no role in this procedure: does not see the case
    assert client.post(url, {"reason": "错误"}).status_code == 404
    client.force_login(supervisor)
    assert client.get(url).status_code == 200
    page = client.post(url, {"reason": ""})
    assert page.status_code == 200 and "必填项" in page.content.decode()
    response = client.post(url, {"reason": "认定事实错误"})
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.validity == DocumentValidity.REVOKED


# ---------------------------------------------------------------------------------------------
# 报县备案


@pytest.fixture
def filed(probe, village, village_staff, township_leader):
    case = start(village, village_staff, "township")
    decide(case, township_leader)
    return DocumentFiling.objects.get(document__case=case)


def test_filing_list_shows_township_decisions_to_county_staff(filed, client, county_staff,
                                                              county_leader, township_staff):
    number = filed.document.number
    for user in (county_staff, county_leader, township_staff):
        client.force_login(user)
        page = client.get(reverse("portal:filings"))
        assert page.status_code == 200, user
        assert number in page.content.decode(), user
        assert client.get(reverse("portal:filing", args=[filed.pk])).status_code == 200


def test_filing_list_refuses_others(filed, client, outsider, applicant, village_staff):
    client.force_login(outsider)  # 安地镇 staff: its own (empty) list, never 罗店镇's filing
    page = client.get(reverse("portal:filings"))
    assert page.status_code == 200 and filed.document.number not in page.content.decode()
    assert client.get(reverse("portal:filing", args=[filed.pk])).status_code == 404
    department = get_user_model().objects.get(username="wucheng_dept_police")
    for user in (applicant, village_staff, department):
        client.force_login(user)
        assert client.get(reverse("portal:filings")).status_code == 403, user
        assert client.get(reverse("portal:filing", args=[filed.pk])).status_code == 403, user


def test_township_staff_cannot_review_their_own_filing(filed, client, township_staff,
                                                       township_leader):
    client.force_login(township_staff)
    response = client.post(reverse("portal:filing", args=[filed.pk]), {"outcome": "confirm"})
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        filing_review(user=township_leader, filing_pk=filed.pk, confirm=True)
    filed.refresh_from_db()
    assert filed.status == FilingStatus.PENDING


def test_county_questions_a_filing_and_the_township_is_told(filed, client, county_staff,
                                                            township_staff, township_leader,
                                                            outsider):
    client.force_login(county_staff)
    url = reverse("portal:filing", args=[filed.pk])
    page = client.post(url, {"outcome": "question", "opinion": ""})
    assert page.status_code == 200 and "请写明具体意见" in page.content.decode()
    filed.refresh_from_db()
    assert filed.status == FilingStatus.PENDING
    response = client.post(url, {"outcome": "question",
                                 "opinion": "救助金额依据不足，请补充家庭经济状况核对结果"})
    assert response.status_code == 302
    filed.refresh_from_db()
    assert filed.status == FilingStatus.QUESTIONED and filed.reviewed_by == county_staff
    told = set(Notification.objects.filter(title__contains=filed.document.number)
               .values_list("user__username", flat=True))
    assert told == {township_staff.username, township_leader.username}
    assert filed.document.case.audit.filter(action=AuditAction.DOCUMENT,
                                            data__status="questioned").exists()
    with pytest.raises(ActionRefused, match="不能重复审查"):
        filing_review(user=county_staff, filing_pk=filed.pk, confirm=True)
    client.force_login(township_staff)  # the township sees the county's opinion
    assert "救助金额依据不足" in client.get(url).content.decode()


def test_county_confirms_a_filing(filed, county_leader):
    filing_review(user=county_leader, filing_pk=filed.pk, confirm=True)
    filed.refresh_from_db()
    assert filed.status == FilingStatus.CONFIRMED and filed.opinion == ""


# ---------------------------------------------------------------------------------------------
# The county setting


def test_supervisor_sets_the_township_approval_form(demo, client, supervisor, county_staff):
    url = reverse("portal:county_issuer_settings")
    townships = list(Unit.objects.filter(parent=demo).order_by("pk"))
    post = {"township_approval_form": "entrusted"}
    for township in townships:
        post[f"t{township.pk}-doc_prefix"] = township.doc_prefix
        post[f"t{township.pk}-office_name"] = township.office_name
    client.force_login(county_staff)
    assert client.post(url, post).status_code == 403
    client.force_login(supervisor)
    page = client.get(reverse("portal:county_settings")).content.decode()
    assert "乡镇审批的法律形式" in page and "罗店政" in page
    assert client.post(url, post).status_code == 302
    demo.refresh_from_db()
    assert demo.settings["township_approval_form"] == "entrusted"
    # Devolution needs every township's prefix: refused, nothing changed.
    post.update({"township_approval_form": "devolved", f"t{townships[0].pk}-doc_prefix": ""})
    client.post(url, post)
    demo.refresh_from_db()
    assert demo.settings["township_approval_form"] == "entrusted"
    assert Unit.objects.get(pk=townships[0].pk).doc_prefix == "罗店政"


# ---------------------------------------------------------------------------------------------
# Deploy-time checks


ROLE_LEVELS = {code: level for code, _, level in ROLES}


def _cemetery(replace: tuple[str, str] | None = None) -> str:
    xml = (BPMN / "cemetery_approval.bpmn").read_text(encoding="utf-8")
    if replace:
        assert replace[0] in xml
        xml = xml.replace(*replace)
    return xml


def _problems(xml: str):
    dmn = (BPMN / "cemetery_approval_departments.dmn").read_text(encoding="utf-8")
    return validate_definition(bpmn_xml=xml, dmn_xmls=[dmn], known_roles=set(ROLE_LEVELS),
                               role_levels=ROLE_LEVELS)


def test_shipped_cemetery_diagram_passes_the_issuer_checks(demo):
    assert [p for p in _problems(_cemetery()) if p.code.startswith("issuer")] == []


def test_a_township_step_leading_to_a_county_licensing_refusal_is_not_deployable(demo):
    bad = _cemetery(('sourceRef="gw_township_decision" targetRef="issue_township_opinion"',
                     'sourceRef="gw_township_decision" targetRef="issue_refusal"'))
    problems = [p for p in _problems(bad) if p.code == "issuer_level"]
    assert problems and problems[0].element_id == "issue_refusal"
    assert "不予许可决定书" in problems[0].message and "township_decide" in problems[0].message


def test_unknown_issuer_value_is_not_deployable(demo):
    bad = _cemetery(('value="&quot;township_own&quot;"', 'value="&quot;province&quot;"'))
    assert any(p.code == "issuer_value" and p.element_id == "issue_township_opinion"
               for p in _problems(bad))


def test_a_village_step_issuing_directly_is_warned(demo):
    xml = (DATA / "issuer_probe.bpmn").read_text(encoding="utf-8").replace(
        'name="township_leader"', 'name="village_staff"')
    problems = validate_definition(bpmn_xml=xml, known_roles=set(ROLE_LEVELS),
                                   role_levels=ROLE_LEVELS)
    warned = [p for p in problems if p.code == "issuer_village"]
    assert warned and all(not p.is_error for p in warned)
    assert {p.element_id for p in warned} == {"issue_by_decider"}


def test_issuing_a_county_only_document_after_a_township_decision_fails(probe, village,
                                                                        village_staff):
    from engine.services import RuntimeFailure, _document_issue

    case = start(village, village_staff, "township")
    task = case.tasks.get(status=TaskStatus.OPEN)
    with pytest.raises(RuntimeFailure, match="不予许可决定书只能由县/区作出"):
        _document_issue(case=case, doc_type_code="cemetery_refusal", data={}, actor=None,
                        decider_task=str(task.task_id))
    with pytest.raises(DefinitionError, match="只能由县级作出"):
        definition_deploy(key="issuer_probe", name="出具机关测试", dmn_xmls=[],
                          bpmn_xml=(DATA / "issuer_probe.bpmn").read_text(encoding="utf-8")
                          .replace("&quot;relief_decision&quot;", "&quot;cemetery_refusal&quot;"))
