import pytest
from django.core.management import call_command

from engine.models import CasePerson
from tests.workflows.temporary_relief.helpers import file_application, id_with_checksum

pytestmark = pytest.mark.django_db


def test_backfill_adds_members_of_cases_filed_before(applicant, village):
    spouse = id_with_checksum("33070219820202002")
    case = file_application(user=applicant, village=village, members_text=f"李梅 {spouse} 配偶")
    CasePerson.objects.filter(case=case, role="member").delete()
    call_command("case_persons_backfill")
    call_command("case_persons_backfill")
    assert list(case.persons.values_list("role", "id_number").order_by("role")) == \
        [("applicant", case.applicant_id_number), ("member", spouse)]
