"""Least privilege (最小必要): a department sees a case only through its task, and of it only
what the task declares (engine.visibility ``TaskView``); a substitute sees what the principal
sees, only while substituting; the bureau's roles see the procedures that name them."""
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from engine.models import Role, RoleReach, Substitution
from engine.notifications import case_copy_send, case_urge
from engine.reports import open_cases_by_township
from engine.selectors import (
    attachment_get_for_user,
    case_get_for_user,
    case_list_for_user,
    task_get_for_user,
    user_has_jurisdiction,
)
from engine.visibility import case_viewer
from tests.workflows.cemetery.helpers import (
    file_application,
    open_tasks,
    public_data,
    public_files,
    submit,
)
from tests.workflows.cemetery.test_paths import _through_township

pytestmark = pytest.mark.django_db

SITE = "村北后山"
CONTACT = "王村长"
PHONE = "13800000002"
FUNDING_SOURCE = "村集体经济和乡镇补助"
TOWNSHIP_CHECK = "村民会议决议真实有效"


def _user(username):
    return get_user_model().objects.get(username=username)


@pytest.fixture
def consulted(village_staff, village, township_staff, township_leader):
    """A village cemetery (filed by the village committee) waiting on the departments, and a
    sibling case of the same procedure and village still at the township."""
    case = file_application(user=village_staff, data=public_data(village),
                            files=public_files(), on_behalf=True)
    sibling = file_application(user=village_staff,
                               data=public_data(village, cemetery_name="罗店村第二公墓"),
                               files=public_files(), on_behalf=True)
    _through_township(case, township_staff, township_leader)
    return case, sibling


def _land_task(case):
    return next(t for t in open_tasks(case, "department_opinion")
                if t.lane == "department:自然资源")


def test_a_department_sees_the_case_of_its_task_only_and_only_its_fields(
        consulted, client_for):
    case, sibling = consulted
    land, police = _user("wucheng_dept_land"), _user("wucheng_dept_police")

    # 自然资源 has a task on the case: it sees the case; not the sibling, not before.
    assert case in case_list_for_user(user=land)
    assert sibling not in case_list_for_user(user=land)
    with pytest.raises(Http404):
        case_get_for_user(land, sibling.pk)
    assert client_for(land).get(reverse("portal:case", args=[sibling.pk])).status_code == 404
    # 公安 is not consulted on cemeteries: it sees neither, although it sits at the county.
    assert not case_list_for_user(user=police).filter(pk__in=[case.pk, sibling.pk]).exists()
    with pytest.raises(Http404):
        task_get_for_user(police, _land_task(case).pk)

    # Only the fields the department step declares: the site and scale, not the contact,
    # the phone or the finances; the township's site check, not the leader's decision.
    page = client_for(land).get(reverse("portal:case", args=[case.pk])).content.decode()
    assert SITE in page and "集体所有荒山" in page
    assert CONTACT not in page and PHONE not in page and FUNDING_SOURCE not in page
    assert TOWNSHIP_CHECK in page
    assert "同意建设，报县民政局审批" not in page
    # The same through the viewer an API would use.
    data = case_viewer(land, case).data(case.data)
    assert data["location"].startswith(SITE)
    assert "phone" not in data and "contact_person" not in data and "funding" not in data

    # Attachments: the planning material, not the village meeting's minutes.
    files = {a.name: a for a in case.attachments.all()}
    assert "可行性研究报告.pdf" in page and "村民会议决议.pdf" not in page
    assert bytes(attachment_get_for_user(land, files["可行性研究报告.pdf"].uuid).content)
    with pytest.raises(PermissionDenied):
        attachment_get_for_user(land, files["村民会议决议.pdf"].uuid)
    response = client_for(land).get(reverse("portal:attachment",
                                            args=[files["村民会议决议.pdf"].uuid]))
    assert response.status_code == 403

    # A fellow department's answer is not the land bureau's to read.
    forestry = _user("wucheng_dept_forestry")
    forestry_task = next(t for t in open_tasks(case, "department_opinion")
                         if t.lane == "department:林业")
    submit(case, forestry_task, forestry, dept_agree="disagree", dept_opinion="涉及公益林需避让")
    page = client_for(land).get(reverse("portal:case", args=[case.pk])).content.decode()
    assert "涉及公益林需避让" not in page

    # Write paths: it may urge the case it waits on, never copy it on.
    assert user_has_jurisdiction(land, case)
    assert not user_has_jurisdiction(police, case)
    with pytest.raises(PermissionDenied):
        case_copy_send(user=land, case_pk=case.pk, recipients=[_user("luodian_staff")])
    with pytest.raises(Http404):
        case_urge(user=police, case_pk=case.pk)

    # After answering, the department still sees the case (and its own answer).
    submit(case, _land_task(case), land, dept_agree="agree", dept_opinion="符合国土空间规划")
    page = client_for(land).get(reverse("portal:case", args=[case.pk])).content.decode()
    assert "符合国土空间规划" in page and SITE in page and PHONE not in page
    assert client_for(land).get(reverse("portal:case", args=[sibling.pk])).status_code == 404


def test_a_substitute_sees_what_the_principal_sees_only_while_substituting(consulted):
    case, _ = consulted
    land = _user("wucheng_dept_land")
    today = timezone.localdate()
    substitution = Substitution.objects.create(user=land, substitute=_user("wucheng_dept_drc"),
                                               starts_on=today, ends_on=today)
    # 发改 is consulted too; take a department that is not: 公安 substitutes for 自然资源.
    substitution.substitute = _user("wucheng_dept_police")
    substitution.save()
    police = _user("wucheng_dept_police")
    assert case in case_list_for_user(user=police)
    viewer = case_viewer(police, case)
    assert viewer.restricted and viewer.shows("location") and not viewer.shows("phone")

    substitution.starts_on = today - timedelta(days=5)
    substitution.ends_on = today - timedelta(days=1)
    substitution.save()
    police = _user("wucheng_dept_police")  # a new request: nothing cached
    assert case not in case_list_for_user(user=police)
    with pytest.raises(Http404):
        case_get_for_user(police, case.pk)


def test_bureau_roles_see_the_procedures_whose_diagram_names_them(consulted, village_staff,
                                                                  county_staff, supervisor):
    case, sibling = consulted
    # Cemetery lanes name township and county roles; village staff see the cases they filed
    # for their committee (村委会代办), county staff every one of the county.
    assert {case, sibling} <= set(case_list_for_user(user=county_staff))
    assert {case, sibling} <= set(case_list_for_user(user=village_staff))
    assert "county_staff" in case.definition.roles
    assert "department:自然资源" not in case.definition.roles  # chosen by expression
    # A role nobody declared reach for sees least.
    assert Role.objects.create(code="department:新部门", name="新部门").reach == RoleReach.TASK


def test_the_dashboard_counts_only_what_its_reader_sees(demo, applicant, village, supervisor):
    from tests.workflows.bundles.helpers import after_death_data, file_bundle
    from tests.workflows.temporary_relief.helpers import file_application as file_relief

    file_relief(user=applicant, village=village)
    file_bundle("after_death_bundle", after_death_data(village), user=applicant)
    township = village.parent
    # 身后一件事's steps are all departments'; the county bureau oversees it (the diagram's
    # overseen_by), so the supervisor counts both; a department without a task on either
    # counts nothing, another township's leader only its own township (none here).
    everything = open_cases_by_township(county=demo)
    assert everything[(township.pk, "after_death_bundle")] == 1
    seen = open_cases_by_township(county=demo, viewer=supervisor)
    assert seen == {(township.pk, "temporary_relief"): 1, (township.pk, "after_death_bundle"): 1}
    assert open_cases_by_township(county=demo, viewer=_user("wucheng_dept_police")) == {}
    assert open_cases_by_township(county=demo, viewer=_user("andi_leader")) == {}


def test_an_edited_diagram_changes_who_sees_its_new_cases(demo, village, village_staff,
                                                          township_staff, county_staff):
    from pathlib import Path

    from engine.services import case_start, definition_deploy

    xml = (Path(__file__).parents[1] / "data" / "calendar" / "five_days.bpmn").read_text(
        encoding="utf-8")
    first = definition_deploy(key="five_days", name="五个工作日", bpmn_xml=xml, dmn_xmls=[])
    assert first.roles == ["township_staff"]
    old = case_start(procedure="five_days", title="五个工作日", village=village,
                     applicant_name="张建国", data={}, started_by=village_staff)
    assert old in case_list_for_user(user=township_staff)
    assert old not in case_list_for_user(user=county_staff)
    # The county moves the step to its own staff: new cases are theirs to see, old ones not.
    edited = definition_deploy(key="five_days", name="五个工作日", dmn_xmls=[],
                               bpmn_xml=xml.replace('name="township_staff"',
                                                    'name="county_staff"'))
    assert edited.roles == ["county_staff"]
    new = case_start(procedure="five_days", title="五个工作日", village=village,
                     applicant_name="张建国", data={}, started_by=village_staff)
    assert new in case_list_for_user(user=county_staff)
    assert old not in case_list_for_user(user=county_staff)
    assert new not in case_list_for_user(user=township_staff)


def test_the_migration_computes_the_same_roles_as_deploy(demo):
    import importlib

    from engine.models import ProcessDefinition
    from engine.validation import definition_roles

    migration = importlib.import_module("engine.migrations.0020_visibility")
    for definition in ProcessDefinition.objects.all():
        assert migration._roles(definition.bpmn_xml) == definition_roles(definition.bpmn_xml) \
            == definition.roles, definition.key
