"""engine.selectors.case_visible_q is shaped for PostgreSQL (the procedure-role branch first,
the task branches limited to the reader's units and to the procedures a role does not cover,
held tasks and copies as uncorrelated subqueries). Whatever its shape, it must admit exactly
the cases the rule in the module docstring admits: here the rule is written out plainly, in
Python, case by case, and compared with the query for every user of the demo organisation
(and for a substitute) over cases of several procedures, villages and townships, filed by an
applicant and on behalf, with a copy, a claimed task and a completed one."""
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from engine.models import (Case, CaseCopy, HumanTask, RoleAssignment, RoleReach, Substitution,
                           TaskStatus, Unit, UnitLevel)
from engine.selectors import case_staff_q, case_visible_q
from tests.workflows.bundles.helpers import after_death_data, file_bundle
from tests.workflows.temporary_relief.helpers import complete, file_application

pytestmark = pytest.mark.django_db


def _principals(user):
    today = timezone.localdate()
    ids = Substitution.objects.filter(substitute=user, starts_on__lte=today,
                                      ends_on__gte=today).values_list("user_id", flat=True)
    return list(get_user_model().objects.filter(pk__in=list(ids)))


def staff_sees(user, case: Case) -> bool:
    """The rule's staff part, row by row."""
    tasks = list(HumanTask.objects.filter(case=case))
    for person in [user, *_principals(user)]:
        assignments = list(RoleAssignment.objects.filter(user=person)
                           .select_related("unit", "role"))
        for a in assignments:
            inside = case.village_path.startswith(a.unit.path)
            if inside and a.role.reach == RoleReach.PROCEDURE and \
                    a.role_id in (case.definition.roles or []):
                return True
            if inside and case.applicant_id is None and \
                    (a.unit.level == UnitLevel.VILLAGE or a.role_id == "village_staff"):
                return True
        for t in tasks:
            if person.pk in (t.assignee_id, t.completed_by_id, t.delegated_by_id):
                return True
            if any(t.lane == a.role_id and t.village_path.startswith(a.unit.path)
                   for a in assignments):
                return True
    return False


def sees(user, case: Case) -> bool:
    if user.pk in (case.applicant_id, case.created_by_id):
        return True
    if CaseCopy.objects.filter(case=case, user=user).exists():
        return True
    return staff_sees(user, case)


@pytest.fixture
def cases(demo, applicant, village, township_staff, village_staff, county_staff):
    """Relief in 罗店村 (accepted: a completed task), relief in 安地镇 filed on behalf (its open
    task claimed by 罗店村's staff, copied to the county staff), an after-death bundle in
    罗店村 (department tasks)."""
    relief = file_application(user=applicant, village=village)
    complete(relief, township_staff, "accept", acceptance="accept")
    andi_village = Unit.objects.filter(parent__name="安地镇", level=UnitLevel.VILLAGE).first()
    andi_staff = RoleAssignment.objects.filter(unit=andi_village).first().user
    other = file_application(user=andi_staff, village=andi_village, on_behalf=True)
    HumanTask.objects.filter(case=other, status=TaskStatus.OPEN).update(assignee=village_staff)
    CaseCopy.objects.create(case=other, user=county_staff, sent_by=andi_staff)
    bundle = file_bundle("after_death_bundle", after_death_data(village), user=applicant)
    return [relief, other, bundle]


def test_the_query_admits_exactly_the_rule_row_by_row(cases, township_staff, outsider):
    # A substitute: 安地镇's staff acts for 罗店镇's staff today (代理).
    today = timezone.localdate()
    Substitution.objects.create(user=township_staff, substitute=outsider,
                                starts_on=today - timedelta(days=1),
                                ends_on=today + timedelta(days=1))
    all_cases = list(Case.objects.select_related("definition"))
    assert len(all_cases) >= 3
    readers = list(get_user_model().objects.all())
    assert len(readers) > 20
    seen_by_someone = set()
    for reader in readers:
        expected = {c.pk for c in all_cases if sees(reader, c)}
        expected_staff = {c.pk for c in all_cases if staff_sees(reader, c)}
        reader = get_user_model().objects.get(pk=reader.pk)  # no cached roles
        assert set(Case.objects.filter(case_visible_q(reader)).values_list("pk", flat=True)) \
            == expected, reader.username
        assert set(Case.objects.filter(case_staff_q(reader)).values_list("pk", flat=True)) \
            == expected_staff, reader.username
        seen_by_someone |= expected
    # The set-up exercises the rule: every case is seen by someone, not by everyone.
    assert seen_by_someone == {c.pk for c in all_cases}
    assert not all({c.pk for c in all_cases} <= {c.pk for c in all_cases if sees(r, c)}
                   for r in readers)
