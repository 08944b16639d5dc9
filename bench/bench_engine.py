"""Raw SpiffWorkflow in memory vs the persistent engine, on the temporary-relief normal path.

    python bench/bench_engine.py [--n 200] [--warmup 3]

One run measures, on the same machine and in the same process:

(a) SpiffWorkflow alone: the diagram and its decision table are parsed once with
    ``SpiffBpmnParser``, then N workflows run to completion in memory, seeded and completed
    with exactly the data the engine handed SpiffWorkflow in one recorded, untimed case.
(b) the engine: N cases (N households) through ``workflows.services.application_submit`` /
    ``task_submit`` (the procedure's forms validate every step) and
    ``engine.services.timers_fire_due``; every step locks the case, saves the workflow state,
    the inbox rows and the audit entries, and the decision allocates a document number.
    PDF rendering is a separate Celery task and is excluded here.
(c) the PDF rendering of 5 of those decision documents with
    ``engine.documents.document_render``, one by one.

Both (a) and (b) run expressions, gateway conditions and the DMN table through the project's
sandboxed ``engine.runtime.ScriptEngine`` (RestrictedPython), so the difference is the
persistence and the product's bookkeeping, not the expression evaluator.

Database: ``DATABASE_URL`` if set (PostgreSQL: the named database is dropped and recreated,
so its name must contain "bench"), otherwise a throw-away SQLite file in a temporary
directory. Either way the script migrates it and seeds the demo organisation and procedures.

This is the only file outside ``engine/`` that imports SpiffWorkflow: it measures the library
itself.
"""
import argparse
import copy
import itertools
import os
import platform
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROCEDURE_KEY = "temporary_relief"
PROCESS_ID = "temporary_relief"  # the executable process of bpmn/temporary_relief.bpmn
TIMER = "public_notice"  # the 7-day public-notice timer between township_review and notice_result
# Far enough past the 7-day notice for the timer to be due, whatever the time of day.
NOTICE_WAIT = timedelta(days=8)
RENDER_COUNT = 5
_households = itertools.count(1)

APPLICANT = "applicant_zhang"
APPLICATION = {  # the same application tests/workflows/temporary_relief/helpers.py files
    "applicant_name": "张建国", "gender": "男", "id_number": "330702198001011232",
    "phone": "13800000001", "current_address": "罗店村12号", "members_text": "",
    "hardship_type": "illness", "description": "户主突发脑梗住院", "monthly_income": "800",
    "previous_grants_count": "0", "previous_grants_total": "0", "requested_amount": "2500",
    "bank_account": "6217000000000001", "authorization_signed": "on",
}
VILLAGE = "罗店村"

# The normal path with amount 2500 (within the township's limit in the DMN table):
# (user task or TIMER, acting user, POSTed form data).
STEPS = [
    ("accept", "luodian_staff", {"acceptance": "accept"}),
    ("investigate", "luodian_v1_staff", {
        "visit_date": "2026-03-02", "investigator_1": "王芳", "investigator_2": "李强",
        "household_findings": "户主住院，家庭无其他收入来源", "proposed_amount": "2500",
        "village_opinion": "情况属实，同意上报"}),
    ("township_review", "luodian_staff", {
        "economic_check": "eligible", "amount": "2500", "recommendation": "grant",
        "review_opinion": "经核对符合临时救助条件"}),
    (TIMER, None, None),
    ("notice_result", "luodian_staff", {"objection": "no"}),
    ("township_decide", "luodian_leader", {
        "decision": "approve", "approved_amount": "2500", "payment_method": "bank",
        "decision_opinion": "同意救助"}),
]
USER_TASKS = sum(1 for name, _, _ in STEPS if name != TIMER)


class BenchError(RuntimeError):
    """A run did not follow the expected path; the figures would be meaningless."""


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise BenchError(message)


# ---------------------------------------------------------------------------------------------
# Set-up (not timed)


def database_prepare(tmpdir: str) -> str:
    """Point DATABASE_URL at a throw-away database; return a label for the report."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        path = Path(tmpdir) / "bench.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
        return f"SQLite (temporary file {path})"
    import dj_database_url
    from psycopg import sql

    config = dj_database_url.parse(url)
    name = config["NAME"]
    if "postgres" not in config["ENGINE"]:
        raise SystemExit(f"DATABASE_URL: only PostgreSQL or no URL (SQLite) is supported, "
                         f"got {config['ENGINE']}")
    if "bench" not in name:
        raise SystemExit(f"refusing to drop database {name!r}: the benchmark database's name "
                         f"must contain 'bench' (e.g. minzheng_bench)")
    with _maintenance_connection(config) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return f"PostgreSQL (database {name}, dropped and recreated)"


def django_setup() -> None:
    # Production runs with DEBUG off; with it on Django would also keep every query in memory.
    os.environ["DEBUG"] = "0"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    import django

    django.setup()


def database_seed() -> None:
    from django.core.management import call_command
    from django.test import override_settings

    from workflows.demo import demo_seed
    from workflows.services import procedures_deploy_all

    call_command("migrate", verbosity=0)
    # The demo users' passwords are hashed with PBKDF2 otherwise: ~20 users would take
    # longer than the benchmark itself. Logging in is not measured.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        demo_seed()
    procedures_deploy_all()


def application_post(household: int) -> dict:
    """The application form as POSTed by household number ``household``. Every case is
    another household (another ID number), as in real life: one household filing N times
    would make the procedure's grants-on-record lookup grow with N."""
    from workflows.common.fields import id_number_check_char

    birth = date(1960, 1, 1) + timedelta(days=household)
    first17 = f"330702{birth:%Y%m%d}{household % 1000:03d}"
    return APPLICATION | {"id_number": first17 + id_number_check_char(first17),
                          "village": str(_village_pk())}


@lru_cache(maxsize=1)
def _village_pk() -> int:
    # Looked up once: in the portal the village's id arrives in the POST.
    from engine.models import Unit

    return Unit.objects.get(name=VILLAGE).pk


def engine_inputs_capture() -> tuple[dict, dict[str, dict], int]:
    """Run one untimed case through the engine and record what it hands to SpiffWorkflow:
    the seed data of the new workflow and the data of each completed task (as the forms and
    ``application_submit`` built them). The raw path then runs on exactly that data.
    Also returns the number of SQL queries of that case."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from engine import runtime

    seeds: list[dict] = []
    completed: list[dict] = []
    real_new_workflow, real_complete_task = runtime.new_workflow, runtime.complete_task

    def new_workflow(spec_json, data):
        seeds.append(copy.deepcopy(data))
        return real_new_workflow(spec_json, data)

    def complete_task(workflow, task_id, data):
        completed.append(copy.deepcopy(data))
        return real_complete_task(workflow, task_id, data)

    with (mock.patch.object(runtime, "new_workflow", new_workflow),
          mock.patch.object(runtime, "complete_task", complete_task),
          CaptureQueriesContext(connection) as queries):
        engine_instance(defaultdict(float))
    names = [name for name, _, _ in STEPS if name != TIMER]
    _check(len(seeds) == 1 and len(completed) == len(names),
           f"engine: recorded {len(seeds)} workflows and {len(completed)} completed tasks")
    return seeds[0], dict(zip(names, completed, strict=True)), len(queries)


# ---------------------------------------------------------------------------------------------
# (a) SpiffWorkflow in memory


def raw_parse():
    from django.conf import settings
    from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

    from workflows.registry import procedure_get

    procedure = procedure_get(PROCEDURE_KEY)
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(settings.BPMN_DIR / procedure.bpmn))
    for name in procedure.dmn:
        parser.add_dmn_file(str(settings.BPMN_DIR / name))
    return parser.get_spec(PROCESS_ID), parser.get_subprocess_specs(PROCESS_ID)


def raw_instance(spec, subprocess_specs, seed: dict, task_data: dict, steps_ms: dict) -> None:
    """One case from application to decision, in memory, nothing saved."""
    import time_machine
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.util.task import TaskState

    from engine.runtime import ScriptEngine

    started = time.perf_counter()
    script_engine = ScriptEngine()
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine)
    workflow.task_tree.set_data(**copy.deepcopy(seed))
    workflow.do_engine_steps()
    steps_ms["start"] += time.perf_counter() - started
    for spec_name, _, _ in STEPS:
        started = time.perf_counter()
        if spec_name == TIMER:
            _check(not workflow.get_tasks(state=TaskState.READY, manual=True),
                   "raw: a user task is ready while the notice timer should be waiting")
            with time_machine.travel(datetime.now(UTC) + NOTICE_WAIT, tick=True):
                workflow.refresh_timers()
                workflow.do_engine_steps()
        else:
            ready = workflow.get_tasks(state=TaskState.READY, manual=True)
            _check([t.task_spec.bpmn_id for t in ready] == [spec_name],
                   f"raw: expected {spec_name}, ready: {[t.task_spec.bpmn_id for t in ready]}")
            ready[0].set_data(**task_data[spec_name])
            ready[0].run()
            workflow.do_engine_steps()
        steps_ms[spec_name] += time.perf_counter() - started
    _check(workflow.is_completed(), "raw: workflow did not complete")
    issued = [effect.params["doc_type"] for effect in script_engine.effects]
    _check(issued == ["relief_decision"],
           f"raw: expected one decision document, got {issued}")


# ---------------------------------------------------------------------------------------------
# (b) the engine, persisted


def engine_instance(steps_ms: dict) -> int:
    """One case through the portal's services; returns the case's pk."""
    import time_machine
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from engine.models import TaskStatus
    from engine.services import timers_fire_due
    from workflows.registry import procedure_get
    from workflows.services import application_submit, task_submit

    # Every step loads its user afresh, as a request's authentication would.
    users = get_user_model().objects
    procedure = procedure_get(PROCEDURE_KEY)
    started = time.perf_counter()
    form = procedure.application_form(data=application_post(next(_households)))
    _check(form.is_valid(), f"application form invalid: {form.errors}")
    case = application_submit(procedure=procedure, cleaned_data=form.cleaned_data,
                              user=users.get(username=APPLICANT), on_behalf=False)
    steps_ms["start"] += time.perf_counter() - started
    for spec_name, username, post in STEPS:
        started = time.perf_counter()
        if spec_name == TIMER:
            with time_machine.travel(timezone.now() + NOTICE_WAIT, tick=True):
                fired = timers_fire_due(now=timezone.now())
            _check(fired == 1, f"engine: the sweep fired {fired} cases, expected 1")
        else:
            task = case.tasks.get(status=TaskStatus.OPEN)
            _check(task.spec_name == spec_name,
                   f"engine: expected {spec_name}, open: {task.spec_name}")
            case.refresh_from_db(fields=["data"])
            task_form = procedure.task_form_class(spec_name)(data=post, case_data=case.data)
            _check(task_form.is_valid(), f"{spec_name} form invalid: {task_form.errors}")
            task_submit(task=task, form=task_form, user=users.get(username=username))
        steps_ms[spec_name] += time.perf_counter() - started
    return case.pk


def engine_check(case_pks: list[int]) -> None:
    """After the timed loop: every case finished with one numbered decision."""
    from engine.models import Case, CaseStatus, Document

    finished = Case.objects.filter(pk__in=case_pks, status=CaseStatus.COMPLETED).count()
    _check(finished == len(case_pks), f"engine: {finished} of {len(case_pks)} cases finished")
    documents = Document.objects.filter(case__in=case_pks, doc_type="relief_decision")
    _check(documents.count() == len(case_pks),
           f"engine: {documents.count()} decisions for {len(case_pks)} cases")


# ---------------------------------------------------------------------------------------------
# Running and reporting


def timed(label: str, n: int, warmup: int, one) -> dict:
    """Run ``one(steps)`` ``warmup`` times untimed, then ``n`` times timed."""
    for _ in range(warmup):
        one(defaultdict(float))
    steps = defaultdict(float)
    results = []
    print(f"  {label}: {n} instances ...", flush=True)
    started = time.perf_counter()
    for _ in range(n):
        results.append(one(steps))
    elapsed = time.perf_counter() - started
    return {"elapsed": elapsed, "n": n, "steps": steps, "results": results}


def row(label: str, run: dict) -> str:
    per_instance_ms = run["elapsed"] / run["n"] * 1000
    return (f"{label:<44} {run['n'] / run['elapsed']:>11.1f} {per_instance_ms:>12.2f} "
            f"{per_instance_ms / USER_TASKS:>13.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=200, help="instances per measurement")
    parser.add_argument("--warmup", type=int, default=3,
                        help="untimed instances before each measurement")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="minzheng-bench-") as tmpdir:
        database = database_prepare(tmpdir)
        django_setup()
        from django.db import connection, connections

        try:
            failed = measure(args, database)
        finally:
            connections.close_all()
            if connection.vendor == "postgresql":
                database_drop()
    sys.exit(1 if failed else 0)


def measure(args, database: str) -> bool:
    """Set up, measure (a) and (b), report them, then measure and report (c).
    Returns True when (c) failed."""
    from django.db import connection

    from engine.tasks import document_render_task

    print("Setting up (migrate, demo seed, deploy) ...", flush=True)
    database_seed()
    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()" if connection.vendor == "sqlite"
                       else "SHOW server_version")
        server = f"{connection.vendor} {cursor.fetchone()[0]}"

    # Rendering is queued with transaction.on_commit(document_render_task.delay); keep the
    # document ids instead, so that (b) times the engine and (c) times the rendering.
    queued: list[int] = []
    with mock.patch.object(document_render_task, "delay", new=queued.append):
        seed, task_data, queries = engine_inputs_capture()

        print("Measuring ...", flush=True)
        started = time.perf_counter()
        spec, subprocess_specs = raw_parse()
        parse_ms = (time.perf_counter() - started) * 1000
        raw = timed("(a) raw SpiffWorkflow", args.n, args.warmup,
                    lambda steps: raw_instance(spec, subprocess_specs, seed, task_data, steps))
        persisted = timed("(b) engine", args.n, args.warmup, engine_instance)
    engine_check(persisted["results"])
    _check(len(queued) == 1 + args.warmup + args.n, f"engine: {len(queued)} renderings queued")

    report(args=args, database=database, server=server, parse_ms=parse_ms, raw=raw,
           persisted=persisted, queries=queries)
    return documents_render_report(first=queued[0], document_pks=queued[1:][-RENDER_COUNT:])


def documents_render_report(*, first: int, document_pks: list[int]) -> bool:
    """(c) Render decision PDFs one by one, as the Celery task would: one untimed first
    render (loads WeasyPrint and the fonts), then ``document_pks`` timed.
    Returns True when rendering failed."""
    from engine.documents import document_render

    print()
    times = []
    try:
        started = time.perf_counter()
        document_render(document_pk=first)
        first_ms = (time.perf_counter() - started) * 1000
        for pk in document_pks:
            started = time.perf_counter()
            document = document_render(document_pk=pk)
            times.append((time.perf_counter() - started) * 1000)
            _check(bool(document.pdf), f"document {pk} has no PDF after rendering")
    except Exception as exc:  # noqa: BLE001 - (a) and (b) are reported already
        print(f"(c) PDF rendering FAILED: {type(exc).__name__}: {exc}")
        return True
    times.sort()
    print(f"(c) PDF rendering of {len(times)} decision documents (engine.documents."
          f"document_render, one by one, in this process): mean {sum(times) / len(times):.0f} "
          f"ms, min {times[0]:.0f} ms, max {times[-1]:.0f} ms per document; the first render "
          f"before them (loads WeasyPrint and the fonts, not included) took {first_ms:.0f} ms.")
    return False


def _maintenance_connection(config: dict):
    """A connection to the server's "postgres" database, to drop and create the bench's."""
    import psycopg

    return psycopg.connect(dbname="postgres", user=config["USER"] or None,
                           password=config["PASSWORD"] or None, host=config["HOST"] or None,
                           port=config["PORT"] or None, autocommit=True)


def database_drop() -> None:
    import dj_database_url
    from psycopg import sql

    config = dj_database_url.parse(os.environ["DATABASE_URL"])
    with _maintenance_connection(config) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(config["NAME"])))


def report(*, args, database, server, parse_ms, raw, persisted, queries) -> None:
    n = args.n
    print()
    print("Temporary relief (临时救助), normal path: application → accept → investigate → "
          "township_review (2500 元) → 7-day public-notice timer → notice_result (no "
          "objection) → township_decide (approve) → decision document")
    print(f"N = {n} instances per measurement, {USER_TASKS} user tasks + 1 timer each, "
          f"{args.warmup} untimed warm-up instances before each")
    print(f"Python {platform.python_version()}, SpiffWorkflow {version('SpiffWorkflow')}, "
          f"Django {version('Django')}, {os.cpu_count()} CPUs; database: {database}, {server}")
    # Other processes on the machine skew wall-clock figures: say how busy it was.
    print(f"Load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, "
          f"15 min)")
    print("Both (a) and (b) use the project's sandboxed script engine "
          "(engine.runtime.ScriptEngine, RestrictedPython) for conditions, the DMN table and "
          "the service task.")
    print(f"(a) parses the diagram + DMN once with SpiffBpmnParser ({parse_ms:.0f} ms, not "
          f"included) and keeps every workflow in memory.")
    print("(b) goes through the procedure's forms, workflows.services.application_submit / "
          "task_submit and engine.services.timers_fire_due; each step locks the case, saves "
          "the state, inbox rows and audit entries; the decision allocates a document number.")
    print(f"    {queries} SQL queries per instance. PDF rendering excluded (separate Celery "
          f"task; measured separately).")
    print()
    print(f"{'':<44} {'instances/s':>11} {'ms/instance':>12} {'ms/user task':>13}")
    print(row("(a) raw SpiffWorkflow, in memory", raw))
    print(row("(b) engine, persisted", persisted))
    print(f"slowdown (b)/(a): {persisted['elapsed'] / raw['elapsed']:.1f}x")
    print("(ms/user task = ms/instance divided by the user tasks; start and timer included)")
    print()
    print(f"{'mean ms per step':<24} {'(a) raw':>9} {'(b) engine':>11}")
    for name in ["start", *[spec_name for spec_name, _, _ in STEPS]]:
        label = f"{name} (timer)" if name == TIMER else name
        print(f"{label:<24} {raw['steps'][name] / n * 1000:>9.2f} "
              f"{persisted['steps'][name] / n * 1000:>11.2f}")


if __name__ == "__main__":
    main()
