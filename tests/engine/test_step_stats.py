"""The dashboard's running step summary (StepStat) agrees with a recount from the tasks."""
import pytest

from engine.models import StepStat
from engine.reports import step_durations, step_stats_rebuild
from tests.workflows.temporary_relief.helpers import complete, file_application

pytestmark = pytest.mark.django_db


def _rows():
    return sorted(StepStat.objects.values_list("unit_id", "procedure", "spec_name", "title",
                                               "completed"))


def test_completions_bump_the_summary_as_a_recount_would(applicant, village, township_staff,
                                                         demo, clock):
    for _ in range(2):
        case = file_application(user=applicant, village=village)
        clock.shift(3600)
        complete(case, township_staff, "accept", acceptance="accept")
    incremental = _rows()
    assert incremental == [(village.parent_id, "temporary_relief", "accept", "受理审查", 2)]
    [duration] = step_durations(county=demo)
    assert duration.completed == 2 and duration.average.total_seconds() >= 3600
    assert step_stats_rebuild() == 1
    assert _rows() == incremental
