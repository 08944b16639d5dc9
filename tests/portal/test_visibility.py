"""Field-level visibility on the page (engine.visibility): bank accounts, the hardship
description (diagnosis) and the certificates are shown in full only to the applicant and to
those deciding the case; village staff, reviewers of other steps, county staff and CC
recipients see them masked."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from engine.models import Attachment
from engine.notifications import case_copy_send
from engine.visibility import (
    BANK_ACCOUNT,
    CONFIDENTIAL,
    HIDDEN_TEXT,
    Sensitive,
    VisibilityPolicy,
    case_viewer,
    mask_bank_account,
    masked,
    policy_for,
)
from tests.files import PDF
from tests.workflows.temporary_relief.helpers import (
    application_data,
    complete,
    file_application,
    open_task,
)

pytestmark = pytest.mark.django_db

ACCOUNT = "6217000000000001"
MASKED_ACCOUNT = "6217********0001"
DIAGNOSIS = "户主突发脑梗住院"
APPLY_URL = reverse("portal:apply", args=["temporary_relief"])


def test_masking_kinds():
    assert mask_bank_account("6222021234567891234") == "6222***********1234"
    assert mask_bank_account("6222 0212 3456 7891") == "6222********7891"
    assert mask_bank_account("1234567") == "*******"
    assert masked(BANK_ACCOUNT, ACCOUNT) == MASKED_ACCOUNT
    assert masked(CONFIDENTIAL, DIAGNOSIS) == HIDDEN_TEXT
    assert masked(CONFIDENTIAL, "") == ""
    with pytest.raises(ValueError):
        Sensitive("diagnosis")


def test_temporary_relief_declares_its_sensitive_fields_and_deciding_steps(demo):
    policy = policy_for("temporary_relief")
    assert policy.fields["bank_account"].kind == BANK_ACCOUNT
    assert policy.fields["description"].kind == CONFIDENTIAL
    # Derived from the forms: the steps whose form records a decision.
    assert policy.deciding_steps == {"township_decide", "county_decide", "collective_decide",
                                     "urgent_township_decide", "urgent_county_decide"}
    assert policy_for("no_such_procedure") == VisibilityPolicy()


def test_a_policy_naming_an_unknown_step_is_refused_at_registration(demo):
    from dataclasses import replace

    from workflows import registry

    procedure = registry.procedure_get("temporary_relief")
    bad = replace(procedure, key="visibility_typo", document_types=(), visibility=VisibilityPolicy(
        fields={"bank_account": Sensitive(BANK_ACCOUNT, also_for=("acept",))}))
    with pytest.raises(ValueError, match="acept"):
        registry.register(bad)
    assert policy_for("visibility_typo") == VisibilityPolicy()
    with pytest.raises(LookupError):
        registry.procedure_get("visibility_typo")


def _page(client_for, user, url):
    response = client_for(user).get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


NOTE = "仅向作出审批决定的人员和申请人本人完整显示"


def _assert_masked(page):
    assert MASKED_ACCOUNT in page and ACCOUNT not in page
    assert HIDDEN_TEXT in page and DIAGNOSIS not in page
    assert NOTE in page


def _assert_full(page):
    assert ACCOUNT in page and DIAGNOSIS in page
    assert NOTE not in page


@pytest.fixture
def filed_with_certificate(client_for, applicant, village):
    """A case 张建国 filed himself with a 诊断证明 attached; waiting for 受理审查."""
    data = application_data(village)
    data["attachments"] = [SimpleUploadedFile("张建国脑梗诊断.pdf", PDF,
                                              "application/pdf")]
    assert client_for(applicant).post(APPLY_URL, data).status_code == 302
    case = applicant.cases.get()
    return case, Attachment.objects.get(case=case)


def _attachment_status(client_for, user, attachment):
    return client_for(user).get(reverse("portal:attachment", args=[attachment.uuid])
                                ).status_code


def test_the_applicant_sees_their_own_data_in_full(client_for, applicant,
                                                   filed_with_certificate):
    case, attachment = filed_with_certificate
    page = _page(client_for, applicant, reverse("portal:case", args=[case.pk]))
    _assert_full(page)
    assert "张建国脑梗诊断.pdf" in page
    assert _attachment_status(client_for, applicant, attachment) == 200


def test_village_staff_of_the_case_see_it_masked_even_on_their_own_step(
        client_for, village_staff, township_staff, filed_with_certificate):
    case, attachment = filed_with_certificate
    _assert_masked(_page(client_for, village_staff, reverse("portal:case", args=[case.pk])))
    complete(case, township_staff, "accept", acceptance="accept")
    task = open_task(case, "investigate")  # the village staff's own step: not deciding
    page = _page(client_for, village_staff, reverse("portal:task", args=[task.pk]))
    _assert_masked(page)
    assert "张建国脑梗诊断.pdf" not in page and "证明材料（仅审批人员可见）" in page
    assert _attachment_status(client_for, village_staff, attachment) == 403


def test_township_staff_at_acceptance_see_the_certificates_but_not_the_fields(
        client_for, township_staff, filed_with_certificate):
    case, attachment = filed_with_certificate
    task = open_task(case, "accept")
    page = _page(client_for, township_staff, reverse("portal:task", args=[task.pk]))
    _assert_masked(page)
    # Judging the material complete (一次性告知) needs the files themselves.
    assert "张建国脑梗诊断.pdf" in page
    assert _attachment_status(client_for, township_staff, attachment) == 200


def test_an_outsider_gets_404_and_a_cc_recipient_sees_it_masked(
        client_for, outsider, township_staff, other_village_staff, filed_with_certificate):
    case, attachment = filed_with_certificate
    assert client_for(outsider).get(reverse("portal:case", args=[case.pk])).status_code == 404
    assert _attachment_status(client_for, outsider, attachment) == 404
    case_copy_send(user=township_staff, case_pk=case.pk, recipients=[other_village_staff])
    _assert_masked(_page(client_for, other_village_staff,
                         reverse("portal:case", args=[case.pk])))
    assert _attachment_status(client_for, other_village_staff, attachment) == 403


def test_leaders_and_county_staff_not_deciding_see_it_masked(
        client_for, township_leader, county_staff, county_leader, filed_with_certificate):
    case, _ = filed_with_certificate
    for user in (township_leader, county_staff, county_leader):
        _assert_masked(_page(client_for, user, reverse("portal:case", args=[case.pk])))


@pytest.fixture
def urgent_case(applicant, village, township_staff):
    case = file_application(user=applicant, village=village, urgent="on",
                            requested_amount="1000")
    complete(case, township_staff, "urgent_review", urgent_facts="住院属实", amount="1000")
    return case


def test_the_township_leader_deciding_sees_it_in_full_and_still_after(
        client_for, urgent_case, township_leader, township_staff, outsider_leader):
    task = open_task(urgent_case, "urgent_township_decide")
    _assert_full(_page(client_for, township_leader, reverse("portal:task", args=[task.pk])))
    _assert_full(_page(client_for, township_leader,
                       reverse("portal:case", args=[urgent_case.pk])))
    # The township staff who verified the facts do not decide.
    _assert_masked(_page(client_for, township_staff,
                         reverse("portal:case", args=[urgent_case.pk])))
    complete(urgent_case, township_leader, "urgent_township_decide", decision="approve",
             approved_amount="1000", payment_method="bank", decision_opinion="同意")
    # Has acted on a deciding step: still in full.
    _assert_full(_page(client_for, township_leader,
                       reverse("portal:case", args=[urgent_case.pk])))
    assert client_for(outsider_leader).get(
        reverse("portal:case", args=[urgent_case.pk])).status_code == 404


def test_the_county_leader_deciding_sees_it_in_full_county_staff_masked(
        client_for, applicant, village, township_staff, county_leader, county_staff,
        township_leader):
    case = file_application(user=applicant, village=village, urgent="on",
                            requested_amount="5000")
    complete(case, township_staff, "urgent_review", urgent_facts="住院属实", amount="5000")
    task = open_task(case, "urgent_county_decide")
    _assert_full(_page(client_for, county_leader, reverse("portal:task", args=[task.pk])))
    for user in (county_staff, township_leader):
        _assert_masked(_page(client_for, user, reverse("portal:case", args=[case.pk])))


def test_village_staff_who_filed_on_behalf_see_it_masked_too(village_staff, village,
                                                              township_leader):
    case = file_application(user=village_staff, village=village, on_behalf=True)
    viewer = case_viewer(village_staff, case)
    assert viewer.value("bank_account", ACCOUNT) == MASKED_ACCOUNT
    assert viewer.data({"description": DIAGNOSIS, "phone": "138"}) == {
        "description": HIDDEN_TEXT, "phone": "138"}
    assert not case_viewer(township_leader, case).sees("description")


def test_history_and_the_previous_step_mask_sensitive_task_fields(
        client_for, urgent_case, township_leader, village_staff, monkeypatch):
    """A sensitive field submitted at a step (here the urgent facts, declared sensitive for
    the test) is masked in the history and in 上一环节 for those not deciding."""
    from engine import visibility

    policy = policy_for("temporary_relief")
    monkeypatch.setitem(visibility._POLICIES, "temporary_relief", VisibilityPolicy(
        fields={**policy.fields, "urgent_facts": Sensitive(CONFIDENTIAL)},
        attachments=policy.attachments, deciding_steps=policy.deciding_steps))
    page = _page(client_for, village_staff, reverse("portal:case", args=[urgent_case.pk]))
    assert "住院属实" not in page and "急难情况核实" in page
    task = open_task(urgent_case, "urgent_township_decide")
    page = _page(client_for, township_leader, reverse("portal:task", args=[task.pk]))
    assert "住院属实" in page  # the decider sees it, in 上一环节 and in the history
