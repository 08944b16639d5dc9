"""Raw SpiffWorkflow in memory vs the persistent engine, on every procedure's happy path.

    python bench/bench_engine.py [--n 50] [--warmup 3] [--procedures temporary_relief,cemetery]

One run measures, on the same machine and in the same process, for each procedure
(temporary relief, elderly-home adaptation, annual inspection, cemetery approval (public
welfare), after-death bundle, marriage-birth bundle; the paths are in ``bench/scenarios.py``):

(a) SpiffWorkflow alone: the definition the engine deployed (its BPMN and stored DMN XML) is
    parsed once with ``SpiffBpmnParser``, then N workflows run to completion in memory,
    seeded, completed, timed-out and sent messages with exactly what the engine handed
    SpiffWorkflow in recorded, untimed cases.
(a') the same with the whole workflow (spec included) written with the library's
    ``serialize_json`` and rebuilt with ``deserialize_json`` after the start and every step:
    a plain SpiffWorkflow application keeping its workflows between requests; the goal is
    the engine at >= 1/3 of its completions/s.
(b) the engine: N cases (N households / organisations) through the procedure's forms,
    ``workflows.services.application_submit`` / ``task_submit`` (the annual inspection:
    ``campaign_open`` and ``spot_check_draw``) and ``engine.services.timers_fire_due``; every
    step locks the case, saves the workflow state, the inbox rows and the audit entries, and
    documents get their numbers. PDF rendering is a separate Celery task and is excluded.
(c) the PDF rendering of 5 temporary-relief decisions with ``engine.documents.document_render``,
    one by one (when temporary relief is measured).

(a), (a') and (b) are interleaved, one instance of each in turn, so that both run under the same
load from other processes. Both run expressions, gateway conditions, DMN tables and service
tasks through the project's sandboxed ``engine.runtime.ScriptEngine`` (RestrictedPython), so
the difference is the persistence and the product's bookkeeping, not the expression
evaluator.

Database: ``DATABASE_URL`` if set (PostgreSQL: the named database is dropped and recreated,
so its name must contain "bench"), otherwise a throw-away SQLite file in a temporary
directory. Either way the script migrates it and seeds the demo organisation and procedures.

This is the only module outside ``engine/`` that imports SpiffWorkflow: it measures the
library itself.
"""
import argparse
import copy
import os
import platform
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, date, datetime
from importlib.metadata import version
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

RENDER_COUNT = 5
PROCEDURE_KEYS = ["temporary_relief", "elderly_home", "annual_inspection", "cemetery",
                  "after_death", "marriage_birth"]


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


def fast_hashing():
    """The demo users' passwords are hashed with PBKDF2 otherwise: ~20 users would take
    longer than some measurements. Logging in is not measured."""
    from django.test import override_settings

    return override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])


def database_seed() -> None:
    from django.core.management import call_command

    from workflows.demo import demo_seed
    from workflows.services import procedures_deploy_all

    call_command("migrate", verbosity=0)
    with fast_hashing():
        demo_seed()
    procedures_deploy_all()


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


# ---------------------------------------------------------------------------------------------
# Recording what the engine hands SpiffWorkflow


class Recorder:
    """Wraps ``engine.runtime``'s calls into SpiffWorkflow and keeps, per case, what the engine
    handed the library: the seed data, each completed task (its spec, which of the ready
    tasks of that spec it was, its data), each timer sweep and each message. Cases are told
    apart by ``record_key`` in the workflow's data (several cases of one campaign), else all
    calls belong to one case."""

    def __init__(self, record_key: str | None):
        self.record_key = record_key
        self.scripts: dict = defaultdict(list)

    def _key(self, data: dict):
        return data.get(self.record_key) if self.record_key else None

    def patches(self):
        from uuid import UUID

        from SpiffWorkflow.util.task import TaskState

        from engine import runtime

        real = {name: getattr(runtime, name) for name in
                ("new_workflow", "complete_task", "fire_timers", "send_message")}

        def new_workflow(spec_json, data, **kwargs):
            self.scripts[self._key(data)].append(("start", copy.deepcopy(data)))
            return real["new_workflow"](spec_json, data, **kwargs)

        def complete_task(workflow, task_id, data):
            task = workflow.get_task_from_id(UUID(task_id))
            name = task.task_spec.bpmn_id
            same = [t for t in workflow.get_tasks(state=TaskState.READY, manual=True)
                    if t.task_spec.bpmn_id == name]
            self.scripts[self._key(workflow.task_tree.data)].append(
                ("task", name, same.index(task), copy.deepcopy(data)))
            return real["complete_task"](workflow, task_id, data)

        def fire_timers(workflow):
            self.scripts[self._key(workflow.task_tree.data)].append(("timers",))
            return real["fire_timers"](workflow)

        def send_message(workflow, name, payload):
            self.scripts[self._key(workflow.task_tree.data)].append(
                ("message", name, copy.deepcopy(payload)))
            return real["send_message"](workflow, name, payload)

        return [mock.patch.object(runtime, "new_workflow", new_workflow),
                mock.patch.object(runtime, "complete_task", complete_task),
                mock.patch.object(runtime, "fire_timers", fire_timers),
                mock.patch.object(runtime, "send_message", send_message)]

    def __enter__(self):
        self._patches = self.patches()
        for patch in self._patches:
            patch.start()
        return self

    def __exit__(self, *exc):
        for patch in reversed(self._patches):
            patch.stop()


def script_check(key: str, script: list) -> None:
    from scenarios import check

    check(bool(script) and script[0][0] == "start",
          f"{key}: the recorded case did not start with a new workflow")
    check(sum(1 for op in script if op[0] == "start") == 1,
          f"{key}: the recorded case started {sum(op[0] == 'start' for op in script)} workflows")


# ---------------------------------------------------------------------------------------------
# (a) SpiffWorkflow in memory


def raw_parse(case_pk: int):
    """Parse the definition the engine ran the recorded case on (its BPMN and its DMN tables
    as stored at deployment) with SpiffBpmnParser."""
    from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

    from engine.models import Case

    definition = Case.objects.select_related("definition").get(pk=case_pk).definition
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(definition.bpmn_xml.encode())
    for dmn in definition.dmn_xml:
        parser.add_dmn_str(dmn.encode())
    return (parser.get_spec(definition.process_id),
            parser.get_subprocess_specs(definition.process_id))


def raw_instance(spec, subprocess_specs, script: list, timer_wait, steps: dict,
                 persist: bool = False) -> None:
    """Replay one recorded case in memory, nothing saved; with ``persist`` the whole workflow
    (spec included, as a plain SpiffWorkflow application stores it) is serialised to JSON and
    rebuilt from it after the start and after every step, with a fresh script engine."""
    import time_machine
    from scenarios import START, TIMER, add_time, check
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.bpmn.util.event import BpmnEvent
    from SpiffWorkflow.util.task import TaskState

    from engine.runtime import ScriptEngine, _waiting_message_definitions

    started = time.perf_counter()
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=ScriptEngine())
    workflow.task_tree.set_data(**copy.deepcopy(script[0][1]))
    workflow.do_engine_steps()
    if persist:
        workflow = _json_round_trip(workflow)
    add_time(steps, START, started)
    for op in script[1:]:
        started = time.perf_counter()
        if op[0] == "task":
            _, name, index, data = op
            ready = [t for t in workflow.get_tasks(state=TaskState.READY, manual=True)
                     if t.task_spec.bpmn_id == name]
            check(len(ready) > index, f"raw: {name} #{index} is not ready")
            ready[index].set_data(**copy.deepcopy(data))
            ready[index].run()
            workflow.do_engine_steps()
            label = name
        elif op[0] == "timers":
            with time_machine.travel(datetime.now(UTC) + timer_wait, tick=True):
                workflow.refresh_timers()
                workflow.do_engine_steps()
            label = TIMER
        else:
            _, name, payload = op
            # Waiting catch events, and those an event-based gateway waits for (公示).
            definition = next(event for event in _waiting_message_definitions(workflow)
                              if event.name == name)
            workflow.send_event(BpmnEvent(definition, payload=copy.deepcopy(payload)))
            workflow.do_engine_steps()
            label = f"message {name}"
        if persist:
            workflow = _json_round_trip(workflow)
        add_time(steps, label, started)
    check(workflow.is_completed(), "raw: workflow did not complete")


def _json_round_trip(workflow):
    """What a plain SpiffWorkflow application does to keep a workflow between requests:
    ``serialize_json`` (spec included) and ``deserialize_json``, the library's own API, with
    the spiff configuration the engine uses; the script engine is not serialised."""
    from engine.runtime import SERIALIZER, ScriptEngine

    restored = SERIALIZER.deserialize_json(SERIALIZER.serialize_json(workflow))
    restored.script_engine = ScriptEngine()
    return restored


class RawRunner:
    """Times raw instances one at a time, so that they can be interleaved with the engine's
    cases: both sides then run under the same load (other processes on the machine)."""

    def __init__(self, spec, subprocess_specs, timer_wait):
        self.spec, self.subprocess_specs, self.timer_wait = spec, subprocess_specs, timer_wait
        # (a) in memory and (a') with a JSON round trip after every step, one of each in turn.
        self.sides = {False: {"elapsed": 0.0, "n": 0, "steps": {}},
                      True: {"elapsed": 0.0, "n": 0, "steps": {}}}

    def warm_up(self, script: list, times: int) -> None:
        for _ in range(times):
            for persist in (False, True):
                raw_instance(self.spec, self.subprocess_specs, script, self.timer_wait, {},
                             persist)

    def one(self, script: list) -> None:
        for persist, side in self.sides.items():
            started = time.perf_counter()
            raw_instance(self.spec, self.subprocess_specs, script, self.timer_wait,
                         side["steps"], persist)
            side["elapsed"] += time.perf_counter() - started
            side["n"] += 1

    def result(self) -> dict:
        return self.sides[False]

    def result_json(self) -> dict:
        return self.sides[True]


# ---------------------------------------------------------------------------------------------
# (b) the engine, persisted, and a procedure's whole measurement


def _doc_types(case_pk: int) -> list[str]:
    from engine.models import Document

    return sorted(Document.objects.filter(case=case_pk).values_list("doc_type", flat=True))


def measure_instances(scenario, n: int, warmup: int) -> dict:
    """A procedure filed case by case: one recorded case, warm-up, then (b) and (a)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from scenarios import cases_check

    with Recorder(None) as recorder, CaptureQueriesContext(connection) as queries:
        recorded_pk = scenario.engine_instance({})
    script = recorder.scripts[None]
    script_check(scenario.key, script)
    doc_types = _doc_types(recorded_pk)
    raw = RawRunner(*raw_parse(recorded_pk), scenario.timer_wait)
    for _ in range(warmup):
        # The queries are counted again on the last warm-up case: the first case of a
        # procedure fills caches (units, content types) that later cases do not query.
        with CaptureQueriesContext(connection) as queries:
            scenario.engine_instance({})
    raw.warm_up(script, warmup)
    steps: dict = {}
    elapsed = 0.0
    case_pks = []
    print(f"  (b) engine and (a) raw SpiffWorkflow, interleaved: {n} instances each ...",
          flush=True)
    for _ in range(n):
        started = time.perf_counter()
        case_pks.append(scenario.engine_instance(steps))
        elapsed += time.perf_counter() - started
        raw.one(script)
    persisted = {"elapsed": elapsed, "n": n, "steps": steps}
    cases_check(scenario.key, case_pks, doc_types)
    tasks = sum(1 for op in script if op[0] == "task")
    return {"raw": raw.result(), "raw_json": raw.result_json(), "persisted": persisted,
            "queries": len(queries),
            "user_tasks": tasks * n, "tasks_per_case": str(tasks), "documents": doc_types}


def measure_campaign(scenario, n: int, warmup: int) -> dict:
    """The annual inspection: a recorded (and warm-up) campaign of warmup + 2 organisations
    in which the first is drawn for a spot check and the second is not; then the measured
    campaign of N organisations (another year), and (a) replays the recorded drawn case for
    as many instances as the measured draw picked and the other one for the rest."""
    from django.utils import timezone
    from scenarios import check

    this_year = timezone.localdate().year
    recorded_orgs = warmup + 2
    queries: list[int] = []
    with Recorder(scenario.record_key) as recorder:
        cases, drawn, _ = scenario.campaign(
            organisations=recorded_orgs, year=this_year - 1,
            registered_on=date(this_year - 1, 3, 1), steps={},
            wanted_draw=lambda chosen, codes: chosen == [codes[0]], queries=queries)
    by_code = {case.data["credit_code"]: case for case in cases}
    drawn_code = next(iter(drawn))
    other_code = next(code for code in by_code if code not in drawn)
    scripts = {True: recorder.scripts[drawn_code], False: recorder.scripts[other_code]}
    for script in scripts.values():
        script_check(scenario.key, script)
    doc_types = {True: _doc_types(by_code[drawn_code].pk),
                 False: _doc_types(by_code[other_code].pk)}

    from engine.services import random_draw
    from workflows.annual_inspection.selectors import SPOT_CHECK_MINIMUM, SPOT_CHECK_RATIO

    # How many of N the draw picks does not depend on the seed.
    drawn_count = len(random_draw(population=[str(i) for i in range(n)],
                                  ratio=SPOT_CHECK_RATIO, minimum=SPOT_CHECK_MINIMUM,
                                  seed="bench"))
    mix = iter([scripts[True]] * drawn_count + [scripts[False]] * (n - drawn_count))
    raw = RawRunner(*raw_parse(by_code[other_code].pk), None)
    raw.warm_up(scripts[False], warmup)
    steps: dict = {}
    print(f"  (b) engine: a campaign of {n} organisations, and (a) raw SpiffWorkflow: {n} "
          f"instances ({drawn_count} drawn), interleaved ...", flush=True)
    # Organisations registered years ago: a campaign of the year before last has only these.
    cases, drawn, elapsed = scenario.campaign(
        organisations=n, year=this_year - 2, registered_on=date(2015, 3, 1),
        steps=steps, between=lambda: raw.one(next(mix)))
    check(len(drawn) == drawn_count,
          f"annual_inspection: {len(drawn)} drawn, expected {drawn_count}")
    persisted = {"elapsed": elapsed, "n": n, "steps": steps}
    from engine.models import Case, CaseStatus

    finished = Case.objects.filter(pk__in=[c.pk for c in cases],
                                   status=CaseStatus.COMPLETED).count()
    check(finished == n, f"annual_inspection: {finished} of {n} cases finished")
    for case in cases:
        expected = doc_types[case.data["credit_code"] in drawn]
        check(_doc_types(case.pk) == expected,
              f"annual_inspection: case {case.pk} issued {_doc_types(case.pk)}")
    per_case = {k: sum(1 for op in s if op[0] == "task") for k, s in scripts.items()}
    return {"raw": raw.result(), "raw_json": raw.result_json(), "persisted": persisted,
            # The recorded campaign's queries shared out among its cases (1 of them drawn).
            "queries": round(sum(queries) / recorded_orgs),
            "user_tasks": per_case[True] * len(drawn) + per_case[False] * (n - len(drawn)),
            "tasks_per_case": f"{per_case[False]} (+{per_case[True] - per_case[False]} for "
                              f"{len(drawn)} drawn)",
            "documents": doc_types[False]}


# ---------------------------------------------------------------------------------------------
# Running and reporting


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=50, help="instances per measurement")
    parser.add_argument("--warmup", type=int, default=3,
                        help="untimed instances before each measurement")
    parser.add_argument("--procedures", default=",".join(PROCEDURE_KEYS),
                        help=f"comma-separated, of: {', '.join(PROCEDURE_KEYS)}")
    args = parser.parse_args()
    args.procedures = [p.strip() for p in args.procedures.split(",") if p.strip()]
    unknown = sorted(set(args.procedures) - set(PROCEDURE_KEYS))
    if unknown or not args.procedures or args.n < 1 or args.warmup < 0:
        parser.error(f"--procedures: choose among {', '.join(PROCEDURE_KEYS)}; --n >= 1, "
                     f"--warmup >= 0" + (f" (unknown: {', '.join(unknown)})" if unknown else ""))

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
    """Set up, measure (a) and (b) of each procedure, report them, then (c).
    Returns True when (c) failed."""
    from django.db import connection

    from engine.tasks import document_render_task

    started_run = time.perf_counter()
    print("Setting up (migrate, demo seed, deploy) ...", flush=True)
    database_seed()
    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()" if connection.vendor == "sqlite"
                       else "SHOW server_version")
        server = f"{connection.vendor} {cursor.fetchone()[0]}"
    import scenarios

    by_key = {s.key: s for s in (scenarios.TEMPORARY_RELIEF, scenarios.ELDERLY_HOME,
                                 scenarios.AnnualInspection(), scenarios.CEMETERY,
                                 scenarios.AFTER_DEATH, scenarios.MARRIAGE_BIRTH)}
    # Rendering is handed to Celery after the commit (engine.outbox.enqueue ->
    # apply_async); keep the document ids instead, so that (b) times the engine and (c) times
    # the rendering.
    queued: list[int] = []
    results = {}

    def keep(args, **_options):
        queued.append(args[0])

    with mock.patch.object(document_render_task, "apply_async", new=keep):
        for key in args.procedures:
            scenario = by_key[key]
            print(f"{key} ...", flush=True)
            if scenario.setup:
                with fast_hashing():
                    scenario.setup()
            first_queued = len(queued)
            measure_one = measure_campaign if scenario.batch else measure_instances
            results[key] = measure_one(scenario, args.n, args.warmup)
            results[key]["queued"] = queued[first_queued:]
            results[key]["load"] = os.getloadavg()[0]
            report_one(by_key[key], results[key], args.n)
    report_summary(args=args, database=database, server=server, results=results,
                   seconds=time.perf_counter() - started_run)
    if "temporary_relief" not in results:
        return False
    relief = results["temporary_relief"]["queued"]
    return documents_render_report(first=relief[0], document_pks=relief[1:][-RENDER_COUNT:])


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
            if not document.pdf:
                raise RuntimeError(f"document {pk} has no PDF after rendering")
    except Exception as exc:  # noqa: BLE001 - (a) and (b) are reported already
        print(f"(c) PDF rendering FAILED: {type(exc).__name__}: {exc}")
        return True
    times.sort()
    print(f"(c) PDF rendering of {len(times)} temporary-relief decisions (engine.documents."
          f"document_render, one by one, in this process): mean {sum(times) / len(times):.0f} "
          f"ms, min {times[0]:.0f} ms, max {times[-1]:.0f} ms per document; the first render "
          f"before them (loads WeasyPrint and the fonts, not included) took {first_ms:.0f} ms.")
    return False


def _figures(run: dict, user_tasks: int) -> tuple[float, float, float]:
    """instances/s, ms per instance, ms per user task."""
    return (run["n"] / run["elapsed"], run["elapsed"] / run["n"] * 1000,
            run["elapsed"] / user_tasks * 1000)


def report_one(scenario, result: dict, n: int) -> None:
    raw, raw_json, persisted = result["raw"], result["raw_json"], result["persisted"]
    print()
    print(f"== {scenario.path}")
    print(f"   user tasks per case: {result['tasks_per_case']}; SQL queries per engine case: "
          f"{result['queries']} ({result['queries'] / (result['user_tasks'] / n):.1f} per "
          f"user task); documents per case: {', '.join(result['documents'])}")
    print(f"   {'':<40} {'instances/s':>11} {'ms/instance':>12} {'completions/s':>14}")
    for label, run in (("(a) raw SpiffWorkflow, in memory", raw),
                       ("(a') raw SpiffWorkflow, JSON every step", raw_json),
                       ("(b) engine, persisted", persisted)):
        per_s, per_instance, per_task = _figures(run, result["user_tasks"])
        print(f"   {label:<40} {per_s:>11.1f} {per_instance:>12.2f} {1000 / per_task:>14.1f}")
    print(f"   (b)/(a): {persisted['elapsed'] / raw['elapsed']:.1f}x slower; (b)/(a'): "
          f"{persisted['elapsed'] / raw_json['elapsed']:.2f}x slower, i.e. the engine does "
          f"{raw_json['elapsed'] / persisted['elapsed']:.2f} of raw+JSON's completions/s "
          f"(goal >= 0.33)   (load average {result['load']:.2f})")
    print(f"   {'mean ms per step':<36} {'per case':>8} {'(a) raw':>9} {'(a) JSON':>9} "
          f"{'(b) engine':>11}")
    for label, (total, count) in persisted["steps"].items():
        cells = []
        for side in (raw, raw_json):
            side_total, side_count = side["steps"].get(label, (0.0, 0))
            cells.append(f"{side_total / side_count * 1000:>9.2f}" if side_count
                         else f"{'-':>9}")
        print(f"   {label:<36} {count / n:>8.2f} {cells[0]} {cells[1]} "
              f"{total / count * 1000:>11.2f}")
    print("", flush=True)


def report_summary(*, args, database, server, results, seconds) -> None:
    print()
    print(f"Summary: N = {args.n} instances per procedure and side, {args.warmup} untimed "
          f"warm-up instances before each; PDF rendering excluded")
    print(f"Python {platform.python_version()}, SpiffWorkflow {version('SpiffWorkflow')}, "
          f"Django {version('Django')}, {os.cpu_count()} CPUs; database: {database}, {server}")
    # Other processes on the machine skew wall-clock figures: say how busy it was.
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average at the end: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min); set-up and "
          f"measurements took {seconds:.0f} s")
    json_done, json_share = "(a') done/s", "(b):(a')"
    header = (f"{'procedure':<18} {'tasks':>5} {'(a) done/s':>10} {json_done:>12} "
              f"{'(b) done/s':>10} {'ms/task':>8} {'(b)/(a)':>8} {json_share:>9} "
              f"{'SQL/case':>8} {'SQL/task':>8}")
    print(header)
    print("-" * len(header))
    for key, result in results.items():
        raw = _figures(result["raw"], result["user_tasks"])
        raw_json = _figures(result["raw_json"], result["user_tasks"])
        persisted = _figures(result["persisted"], result["user_tasks"])
        ratio = result["persisted"]["elapsed"] / result["raw"]["elapsed"]
        share = result["raw_json"]["elapsed"] / result["persisted"]["elapsed"]
        tasks = result["user_tasks"] / args.n
        print(f"{key:<18} {tasks:>5.2f} {1000 / raw[2]:>10.1f} {1000 / raw_json[2]:>12.1f} "
              f"{1000 / persisted[2]:>10.1f} {persisted[2]:>8.2f} {ratio:>7.1f}x "
              f"{share:>9.2f} {result['queries']:>8} {result['queries'] / tasks:>8.1f}")
    print("(done/s = user-task completions per second = user tasks per case / s per case, the "
          "start, timers and messages included; (a') = raw SpiffWorkflow with serialize_json + "
          "deserialize_json after every step; (b):(a') = the engine's completions/s as a share "
          "of (a')'s, goal >= 0.33; SQL/task = SQL per case / user tasks)", flush=True)


if __name__ == "__main__":
    main()
