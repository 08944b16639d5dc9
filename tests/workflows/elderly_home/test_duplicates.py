"""One adaptation per person and household (PROCEDURES.md §2, "Excluded: already adapted"):
every household member's ID is checked against earlier adaptation cases, open or adapted.
The later application cannot pass the township review nor be approved (form and engine);
the earlier case is linked on the page and named in the refusal. No second quota place."""
import pytest
from django.utils import timezone

from engine.documents import APPEAL_SENTENCE
from engine.models import Quota
from engine.services import ActionRefused, task_complete
from portal.selectors import case_page
from workflows.elderly_home.services import application_withdraw

from .helpers import (
    approve_to_assessment,
    complete,
    elderly_id,
    file_application,
    open_task,
    pdf_text,
    task_form,
)

pytestmark = pytest.mark.django_db

APPEAL = "".join(APPEAL_SENTENCE.format(county="婺城区").split())
SPOUSE_ID = elderly_id(1)


def _pass_review(case, user):
    task = open_task(case, "township_review")
    return task_complete(user=user, task_pk=task.pk,
                         form_data={"review_result": "pass", "review_opinion": "符合"})


def test_a_spouses_application_is_stopped_and_refused_naming_the_earlier_case(
        wang, village, village_staff, township_staff, county_staff, county_leader):
    first = file_application(user=wang, village=village,
                             household_members=f"张德福 {SPOUSE_ID} 配偶")
    approve_to_assessment(first, township_staff=township_staff, county_staff=county_staff,
                          county_leader=county_leader)
    # The husband applies on his own (village staff for him), naming nobody.
    spouse = file_application(user=village_staff, village=village, on_behalf=True,
                              applicant_name="张德福", id_number=SPOUSE_ID)
    [match] = spouse.data["adaptation_matches"]
    assert match["case_id"] == first.pk and match["state"] == "已批准，正在改造"
    assert "张德福（家庭成员）" in match["matched"]
    warnings = case_page(township_staff, spouse)["warnings"]
    assert any(getattr(w, "cases", ()) == (first.pk,) for w in warnings)

    form = task_form(spouse, "township_review", {"review_result": "pass",
                                                 "review_opinion": "符合"})
    assert not form.is_valid() and f"案件编号 {first.pk}" in form.errors["review_result"][0]
    with pytest.raises(ActionRefused, match=f"案件编号 {first.pk}.*不能报县审批"):
        _pass_review(spouse, township_staff)
    reason = task_form(spouse, "township_review").fields["refusal_reason"].initial
    assert f"案件编号 {first.pk}" in reason
    complete(spouse, township_staff, "township_review", review_result="fail",
             review_opinion="已享受改造", refusal_reason=reason)
    complete(spouse, county_staff, "county_review", county_opinion="同户已改造")
    form = task_form(spouse, "county_decide", {"decision": "approve", "decision_opinion": "同意"})
    assert not form.is_valid() and "不能批准" in form.errors["decision"][0]
    task = open_task(spouse, "county_decide")
    with pytest.raises(ActionRefused, match="同一户只能享受一次"):
        task_complete(user=county_leader, task_pk=task.pk,
                      form_data={"decision": "approve", "decision_opinion": "同意"})
    complete(spouse, county_leader, "county_decide", decision="refuse", decision_opinion="不予批准",
             refusal_reason=reason)
    quota = Quota.objects.get(key="elderly_home_adaptation", unit=village.parent,
                              year=timezone.localdate().year)
    assert quota.used == 1  # the household holds one place, not two

    text = pdf_text(spouse.documents.get(doc_type="elderly_home_refusal"))
    assert "居家适老化改造不予批准通知书" in text
    for fact in (f"第{first.pk}号案件（已批准，正在改造）",
                 "同一户只能享受一次政府补贴的居家适老化改造", APPEAL):
        assert fact in text, fact
    assert SPOUSE_ID not in text and first.applicant_id_number not in text


def test_the_same_person_twice_the_later_is_stopped_until_the_earlier_is_withdrawn(
        wang, village, township_staff):
    first = file_application(user=wang, village=village)
    second = file_application(user=wang, village=village)
    assert first.data["adaptation_matches"] == []
    # Live check: the later application is stopped, the earlier is not (it came first).
    with pytest.raises(ActionRefused, match=f"案件编号 {first.pk}"):
        _pass_review(second, township_staff)
    application_withdraw(case_pk=first.pk, user=wang, reason="重复提交")
    _pass_review(second, township_staff)
    assert open_task(second, "county_review")


def test_a_refused_earlier_application_does_not_stop_a_new_one(
        wang, village, township_staff, county_staff, county_leader):
    first = file_application(user=wang, village=village)
    complete(first, township_staff, "township_review", review_result="fail",
             review_opinion="不符合", refusal_reason="住房列入拆迁计划")
    complete(first, county_staff, "county_review", county_opinion="不符合")
    complete(first, county_leader, "county_decide", decision="refuse", decision_opinion="不同意",
             refusal_reason="住房列入拆迁计划")
    second = file_application(user=wang, village=village)
    assert second.data["adaptation_matches"] == []
    _pass_review(second, township_staff)
