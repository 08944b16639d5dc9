"""What one task completion costs the database, and the parsed-spec cache (figures and
timings in bench/README.md; no timing is asserted here)."""
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engine import runtime
from engine.models import Case
from engine.services import _load, definition_deploy
from tests.workflows.temporary_relief.helpers import (
    PROCEDURE_KEY,
    complete,
    file_application,
    open_task,
)
from workflows.registry import procedure_get
from workflows.services import task_submit

pytestmark = pytest.mark.django_db

# One completion that opens the next step (accept → investigate): the case lock, the task,
# the permission check (substitutes, roles; the task row is tested in Python since the
# third pass), the co-sign check, the task, the step summary, the audit entry (chain head
# and row), the open rows, the next step's role, its row, the live webhooks (api, since the
# webhooks were merged: 23 then), whom to tell and the notification, the case's notices, the
# case, and the test transaction's two savepoints and their releases: 22 (39 before the
# engine's queries were cut; the first completion of a step in a township also inserts its
# StepStat row, +4).
ONE_COMPLETION_QUERIES = 22


def _submit(case, user, spec_name, **data):
    task = open_task(case, spec_name)
    case.refresh_from_db()
    form = procedure_get(PROCEDURE_KEY).task_form_class(spec_name)(data=data,
                                                                   case_data=case.data)
    assert form.is_valid(), form.errors
    user = get_user_model().objects.get(pk=user.pk)  # as a request loads it
    with CaptureQueriesContext(connection) as queries:
        task_submit(task=task, form=form, user=user)
    return [q["sql"] for q in queries.captured_queries]


def test_one_completion_query_budget(applicant, village, township_staff,
                                     django_assert_max_num_queries):
    complete(file_application(user=applicant, village=village), township_staff, "accept",
             acceptance="accept")  # the step's StepStat row exists from now on
    case = file_application(user=applicant, village=village)
    task = open_task(case, "accept")
    case.refresh_from_db()
    form = procedure_get(PROCEDURE_KEY).task_form_class("accept")(
        data={"acceptance": "accept"}, case_data=case.data)
    assert form.is_valid(), form.errors
    user = get_user_model().objects.get(pk=township_staff.pk)
    with django_assert_max_num_queries(ONE_COMPLETION_QUERIES):
        task_submit(task=task, form=form, user=user)
    assert open_task(case).spec_name == "investigate"


def test_a_completion_reads_no_diagram_or_spec_column(applicant, village, township_staff):
    """The parsed spec is cached per definition version: the case lock defers the
    definition's BPMN, tables and spec, and nothing reads them back."""
    case = file_application(user=applicant, village=village)
    sqls = _submit(case, township_staff, "accept", acceptance="accept")
    for column in ("spec_json", "bpmn_xml", "dmn_xml"):
        assert not [sql for sql in sqls if column in sql], column
    assert open_task(case).spec_name == "investigate"


def test_the_spec_is_parsed_once_per_definition_version(applicant, village, township_staff):
    case = file_application(user=applicant, village=village)
    runtime._SPEC_CACHE.clear()
    with mock.patch.object(runtime, "_specs_from_json",
                           wraps=runtime._specs_from_json) as parse:
        for _ in range(3):
            _load(Case.objects.get(pk=case.pk))
        complete(case, township_staff, "accept", acceptance="accept")
        assert parse.call_count == 1

        # A new version (another content hash) is parsed for its own cases; the running
        # case keeps its version's spec.
        bpmn = (settings.BPMN_DIR / "temporary_relief.bpmn").read_text(encoding="utf-8")
        dmn = (settings.BPMN_DIR / "temporary_relief_limits.dmn").read_text(encoding="utf-8")
        v2 = definition_deploy(key=PROCEDURE_KEY, name="临时救助",
                               bpmn_xml=bpmn.replace('name="受理审查"', 'name="受理"'),
                               dmn_xmls=[dmn])
        other = file_application(user=applicant, village=village)
        assert other.definition_id == v2.pk != case.definition_id
        assert parse.call_count == 2
        assert open_task(other, "accept").title == "受理"
        _load(Case.objects.get(pk=case.pk))
        assert parse.call_count == 2


def test_a_workflow_from_the_cached_spec_matches_one_from_json(applicant, village,
                                                               township_staff):
    """The same state restored around the cached spec objects and from the stored JSON
    (the library's own path) gives the same workflow."""
    case = file_application(user=applicant, village=village)
    complete(case, township_staff, "accept", acceptance="accept")
    case = Case.objects.select_related("definition").get(pk=case.pk)
    cached, _ = _load(case)
    plain, _ = runtime.load(case.definition.spec_json, case.state)
    assert runtime.dump(cached) == runtime.dump(plain) == case.state
    assert [t.spec_name for t in runtime.ready_user_tasks(cached)] == ["investigate"]


def test_a_step_opening_six_tasks_notifies_in_one_insert(village, village_staff,
                                                         township_staff, township_leader):
    """The cemetery's township decision opens one opinion task per department (six): their
    holders are told with one INSERT, and the live webhooks are read once, not per task."""
    from tests.workflows.cemetery import helpers as cemetery

    case = cemetery.file_application(user=village_staff, data=cemetery.public_data(village),
                                     files=cemetery.public_files(), on_behalf=True)
    cemetery.complete(case, township_staff, "township_review",
                      township_review_result="forward", township_review_opinion="材料齐全")
    task = cemetery.open_task(case, "township_decide")
    form = cemetery.task_form(case, "township_decide",
                              {"township_decision": "agree", "township_opinion": "同意"})
    assert form.is_valid(), form.errors
    user = get_user_model().objects.get(pk=township_leader.pk)
    with CaptureQueriesContext(connection) as queries:
        task_submit(task=task, form=form, user=user)
    sqls = [q["sql"] for q in queries.captured_queries]
    assert len(cemetery.open_tasks(case, "department_opinion")) == 6
    assert len([s for s in sqls if s.startswith('INSERT INTO "engine_notification"')]) == 1
    assert len([s for s in sqls if 'FROM "api_webhook"' in s]) == 1
