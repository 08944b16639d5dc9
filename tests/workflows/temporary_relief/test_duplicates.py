"""重复申请核查 for temporary relief: every household member's ID is checked against the other
relief cases of the period (granted or still open), not only the head's among approved ones.
A spouse's own application, and two open applications of one household, are found; the
staff review must give a reason to go on (server-side too); the reason is recorded, shown to
the next reviewer and printed on the 审核审批表."""
import pytest

from engine.models import AuditAction
from engine.services import ActionRefused, task_complete
from portal.selectors import case_page

from .helpers import (
    complete,
    file_application,
    id_with_checksum,
    letter,
    open_task,
    walk_past_notice,
    walk_to_notice,
)
from .test_documents import pdf_text

pytestmark = pytest.mark.django_db

SPOUSE_ID = id_with_checksum("33070219820202002")
HEAD_WITH_SPOUSE = f"李梅 {SPOUSE_ID} 配偶"


@pytest.fixture(autouse=True)
def _clock(clock, monkeypatch):
    from engine.models import Case

    monkeypatch.setattr(Case, "clock", clock, raising=False)


def _review(case, township_staff, village_staff):
    complete(case, township_staff, "accept", acceptance="accept")
    complete(case, village_staff, "investigate", visit_date="2026-11-20", investigator_1="王芳",
             investigator_2="李强", household_findings="属实", proposed_amount="2000",
             village_opinion="同意")
    return open_task(case, "township_review")


def _review_data(**extra):
    return {"economic_check": "eligible", "amount": "2000", "recommendation": "grant",
            "review_opinion": "情况属实", **extra}


def test_a_spouses_own_application_is_matched_to_the_heads_grant(
        applicant, village, village_staff, township_staff, township_leader, clock):
    # The head's application lists his wife; it is granted 2500 yuan.
    head = file_application(user=applicant, village=village, members_text=HEAD_WITH_SPOUSE)
    walk_to_notice(head, village_staff=village_staff, township_staff=township_staff)
    walk_past_notice(head, clock=clock, township_staff=township_staff)
    complete(head, township_leader, "township_decide", decision="approve",
             approved_amount="2500", payment_method="bank", decision_opinion="同意")
    assert head.data["decision"] == "approve"

    # The wife files on her own (village staff for her), naming nobody else.
    spouse = file_application(user=village_staff, village=village, on_behalf=True,
                              applicant_name="李梅", gender="女", id_number=SPOUSE_ID,
                              hardship_type="expense", description="丈夫住院，家中开支骤增")
    [row] = spouse.data["household_cases"]
    assert row["case_id"] == head.pk and row["granted"] and row["amount"] == 2500
    assert "李梅（家庭成员）" in row["matched"]
    assert spouse.data["recorded_grants"]["count"] == 1

    # Staff see it, with a link to the head's case.
    warnings = case_page(township_staff, spouse)["warnings"]
    linked = [w for w in warnings if getattr(w, "cases", ())]
    assert linked and linked[0].cases == (head.pk,) and "已批准救助2500元" in str(linked[0])

    task = _review(spouse, township_staff, village_staff)
    from workflows.registry import procedure_get

    form_class = procedure_get("temporary_relief").task_form_class("township_review")
    spouse.refresh_from_db()
    form = form_class(data=_review_data(), case_data=spouse.data)
    assert not form.is_valid() and "须说明" in form.errors["duplicate_reason"][0]
    # Past the form (an API, a delegate's answer): the engine refuses it too.
    with pytest.raises(ActionRefused, match=f"案件编号 {head.pk}.*重复申请核查说明"):
        task_complete(user=township_staff, task_pk=task.pk, form_data=_review_data())
    # Recommending refusal needs no such reason: the case does not go on towards a grant.
    assert form_class(data=_review_data(recommendation="refuse", refusal_reason="已获救助"),
                      case_data=spouse.data).is_valid()

    reason = "丈夫另案为医疗费救助，本次为子女学费，事由不同"
    complete(spouse, township_staff, "township_review", **_review_data(duplicate_reason=reason))
    note = spouse.audit.get(action=AuditAction.DECISION, summary__startswith="重复申请核查")
    assert reason in note.summary and f"案件编号 {head.pk}" in note.summary
    # The next reviewer reads the reason.
    assert any(reason in str(w) for w in case_page(township_leader, spouse)["warnings"])

    walk_past_notice(spouse, clock=clock, township_staff=township_staff)
    complete(spouse, township_leader, "township_decide", decision="approve",
             approved_amount="2000", payment_method="bank", decision_opinion="同意")
    text = pdf_text(spouse.documents.get(doc_type="relief_approval_form"))
    for fact in ("重复申请核查", f"案件编号{head.pk}", "李梅（家庭成员）", "已批准救助2500元",
                 "继续办理的理由：" + reason):
        assert fact in text, fact
    assert SPOUSE_ID not in text
    assert letter(spouse).doc_type == "relief_decision"


def test_two_open_applications_of_one_household_are_each_told_of_the_other(
        applicant, village, village_staff, township_staff):
    first = file_application(user=applicant, village=village, members_text=HEAD_WITH_SPOUSE)
    second = file_application(user=village_staff, village=village, on_behalf=True,
                              applicant_name="李梅", gender="女", id_number=SPOUSE_ID)
    assert second.data["household_cases"][0]["case_id"] == first.pk
    assert second.data["household_cases"][0]["state"] == "申请办理中"
    # The first was filed alone; the second, filed since, is found when it is reviewed.
    assert first.data["household_cases"] == []
    task = _review(first, township_staff, village_staff)
    with pytest.raises(ActionRefused, match=f"案件编号 {second.pk}"):
        task_complete(user=township_staff, task_pk=task.pk, form_data=_review_data())
    assert any(getattr(w, "cases", ()) == (second.pk,)
               for w in case_page(township_staff, first)["warnings"])


def test_a_refused_application_is_no_duplicate(applicant, village, village_staff,
                                               township_staff):
    first = file_application(user=applicant, village=village)
    complete(first, township_staff, "accept", acceptance="reject", refusal_reason="非本地户籍")
    second = file_application(user=applicant, village=village)
    assert second.data["household_cases"] == []
