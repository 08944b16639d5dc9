"""What supervisors change without a developer (the consulted departments), the time limits the
diagram gives each step, and the demo notes."""
import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from engine.calendar import add_working_days
from engine.selectors import task_list_for_user
from engine.services import definition_deploy
from workflows.cemetery.demo import seed
from workflows.registry import procedure_get

from .helpers import (
    complete,
    file_application,
    open_task,
    open_tasks,
    public_data,
    public_files,
    submit,
)

pytestmark = pytest.mark.django_db


def test_consulted_departments_come_from_the_dmn_table(applicant, village, township_staff,
                                                       township_leader):
    # given: the supervisor drops 民宗 and adds 公安 in the table and deploys it
    procedure = procedure_get("cemetery_approval")
    bpmn = (settings.BPMN_DIR / procedure.bpmn).read_text(encoding="utf-8")
    dmn = (settings.BPMN_DIR / procedure.dmn[0]).read_text(encoding="utf-8")
    edited = dmn.replace('"生态环境", "民宗"]', '"生态环境", "公安"]')
    assert edited != dmn
    definition = definition_deploy(key=procedure.key, name=procedure.name, bpmn_xml=bpmn,
                                   dmn_xmls=[edited], comment="征求意见部门调整")
    assert definition.version == 2
    # when: a new application reaches the county
    case = file_application(user=applicant, data=public_data(village), files=public_files())
    complete(case, township_staff, "township_review", township_review_result="forward",
             township_review_opinion="符合")
    complete(case, township_leader, "township_decide", township_decision="agree",
             township_opinion="同意")
    # then: the new list is consulted
    lanes = sorted(t.lane for t in open_tasks(case, "department_opinion"))
    assert lanes == sorted(["department:自然资源", "department:发改", "department:住建",
                            "department:林业", "department:生态环境", "department:公安"])
    police = get_user_model().objects.get(username="wucheng_dept_police")
    task = next(t for t in open_tasks(case) if t.lane == "department:公安")
    assert list(task_list_for_user(user=police)) == [task]


def test_county_decision_is_due_in_twenty_working_days(applicant, village, township_staff,
                                                       township_leader, county_staff, demo):
    case = file_application(user=applicant, data=public_data(village), files=public_files())
    complete(case, township_staff, "township_review", township_review_result="forward",
             township_review_opinion="符合")
    complete(case, township_leader, "township_decide", township_decision="agree",
             township_opinion="同意")
    for task in open_tasks(case, "department_opinion"):
        user = get_user_model().objects.get(role_assignments__role_id=task.lane)
        submit(case, task, user, dept_agree="agree", dept_opinion="同意")
    complete(case, county_staff, "county_summary", summary_opinion="同意",
             recommendation="approve", approved_area_mu="12", approved_graves="800",
             approved_plot_limit="0.8", land_conditions="依法办理用地手续")
    task = open_task(case, "county_decide")
    expected = add_working_days(timezone.localtime(task.created_at), 20, demo.settings)
    assert abs((task.due_at - expected).total_seconds()) < 60


def test_demo_notes_name_existing_accounts(demo):
    lines = seed()
    usernames = set(re.findall(r"\b[a-z]+_[a-z0-9_]+\b", "\n".join(lines)))
    assert {"luodian_v1_staff", "wucheng_dept_religion", "wucheng_county_leader"} <= usernames
    existing = set(get_user_model().objects.filter(username__in=usernames)
                   .values_list("username", flat=True))
    assert existing == usernames
