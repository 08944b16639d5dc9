"""Walk a temporary-relief case through its steps the way the portal does: the procedure's
form validates, then the engine completes the task."""
from engine.models import HumanTask, TaskStatus
from engine.selectors import task_list_for_user
from workflows.registry import procedure_get
from workflows.services import application_submit, task_submit

PROCEDURE_KEY = "temporary_relief"
VALID_ID = "330702198001011232"


def id_with_checksum(first17: str) -> str:
    from workflows.common.fields import id_number_check_char

    return first17 + id_number_check_char(first17)


def application_data(village, **overrides):
    data = {
        "applicant_name": "张建国", "gender": "男", "id_number": VALID_ID,
        "phone": "13800000001", "village": village.pk, "current_address": "罗店村12号",
        "members_text": "", "hardship_type": "illness", "description": "户主突发脑梗住院",
        "monthly_income": "800", "previous_grants_count": "0", "previous_grants_total": "0",
        "requested_amount": "2500", "bank_account": "6217000000000001",
        "authorization_signed": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def file_application(*, user, village, on_behalf=False, **overrides):
    procedure = procedure_get(PROCEDURE_KEY)
    form = procedure.application_form(data=application_data(village, **overrides))
    assert form.is_valid(), form.errors
    return application_submit(procedure=procedure, cleaned_data=form.cleaned_data, user=user,
                              on_behalf=on_behalf)


def open_task(case, spec_name=None) -> HumanTask:
    tasks = list(case.tasks.filter(status=TaskStatus.OPEN))
    assert len(tasks) == 1, [t.spec_name for t in tasks]
    if spec_name:
        assert tasks[0].spec_name == spec_name, tasks[0].spec_name
    return tasks[0]


def complete(case, user, spec_name, **data):
    """Complete the case's open task ``spec_name`` as ``user`` through its form."""
    task = open_task(case, spec_name)
    assert task in task_list_for_user(user=user), f"{user} cannot see {spec_name}"
    case.refresh_from_db()
    form_class = procedure_get(PROCEDURE_KEY).task_form_class(spec_name)
    form = form_class(data=data, case_data=case.data)
    assert form.is_valid(), form.errors
    task_submit(task=task, form=form, user=user)
    case.refresh_from_db()
    return task


def walk_to_notice(case, *, village_staff, township_staff, amount="2500"):
    """Accept, investigate and review a case so that it waits on the public notice."""
    complete(case, township_staff, "accept", acceptance="accept")
    complete(case, village_staff, "investigate", visit_date="2026-11-20", investigator_1="王芳",
             investigator_2="李强", household_findings="属实", proposed_amount=amount,
             village_opinion="同意")
    # The household filed before (tests walk several cases of one applicant): the review
    # must then say why it goes on (重复申请核查, see test_duplicates.py).
    from workflows.temporary_relief.selectors import household_cases_of_case

    reason = {"duplicate_reason": "经核实为不同事由的新困难"} \
        if household_cases_of_case(case) else {}
    complete(case, township_staff, "township_review", economic_check="eligible", amount=amount,
             recommendation="grant", review_opinion="情况属实", **reason)


def walk_past_notice(case, *, clock, township_staff, objection=False):
    """Without objection: let the notice period run out (ended by the periodic sweep). With
    one: someone objects online during the notice and the township upholds it."""
    from datetime import timedelta

    from engine.notices import notice_objection_submit
    from engine.services import timers_fire_due

    if objection:
        notice_objection_submit(notice_uuid=case.public_notices.get(status="open").uuid,
                                name="李四", contact="13800000009",
                                content="邻居反映其家中有营运车辆，收入较高")
        case.refresh_from_db()
        complete(case, township_staff, "objection_review", objection_outcome="uphold",
                 objection_review_note="经核查，其家庭确有营运车辆")
    else:
        clock.shift(timedelta(days=8))
        timers_fire_due()
        case.refresh_from_db()


def letter(case):
    """The case's one decision or refusal sent to the applicant (the 审核审批表 issued with it
    is the bureau's own record)."""
    return case.documents.exclude(doc_type="relief_approval_form").get()
