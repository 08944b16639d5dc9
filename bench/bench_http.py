"""HTTP end to end: the production server (``bin/serve``: gunicorn) on loopback, concurrent
clients completing tasks through the portal's task pages.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/minzheng_bench_http \\
        python bench/bench_http.py [--workers 2] [--clients 4] [--cases 150] [--port 8765]
        [--max-seconds 120]

Set-up (not timed): the named PostgreSQL database (its name must contain "bench") is dropped
and recreated, migrated and seeded with the demo organisation and procedures
(``workflows.demo``); ``--cases`` temporary-relief applications are filed through the
procedure's form and ``workflows.services.application_submit`` (each waits at 受理).
Then ``bin/serve`` starts gunicorn with ``WEB_CONCURRENCY=--workers`` on
``127.0.0.1:--port`` with the production settings (plain HTTP on loopback:
``SECURE_SSL_REDIRECT=0``; a throw-away ``SECRET_KEY``; ``REDIS_URL`` from the environment,
default ``redis://127.0.0.1:6379/1``), and ``--clients`` client threads log in through
``/login/`` as the staff of each step.

Measured: three rounds, one per step of the relief path, each a POST of the step's form to
``/tasks/<pk>/`` with the CSRF token (as the browser submits it): 受理 ``accept`` and 乡镇审核
``township_review`` by ``luodian_staff`` (罗店镇), 入户调查 ``investigate`` by
``luodian_v1_staff`` (罗店村). The clients share out each round's tasks; a completion is a
POST answered with the redirect to the inbox (anything else stops the run). The task ids of
a round are read from the database before the round (not timed). Printed per round and in
all: completions/s (completions / wall time of the round), p50 / p95 / max of the POSTs,
the load average, and the CPU time the gunicorn workers and the database's backends spent
per completion (from /proc: unlike wall time it does not grow with other processes' load,
so it tells what the server needs and what idle CPUs would allow); then a check that every
case reached the public notice.

Nothing outside loopback is contacted; the server is stopped and the database dropped at
the end. The client is ``http.client`` (no dependency), one connection per request (the
gunicorn sync worker closes it).
"""
import argparse
import http.client
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

ROUNDS = [("accept", "luodian_staff"), ("investigate", "luodian_v1_staff"),
          ("township_review", "luodian_staff")]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


class Session:
    """One logged-in browser: its cookies, sent by hand (the production cookies are marked
    Secure, which a cookie jar would not send over plain HTTP)."""

    def __init__(self, port: int, username: str, password: str):
        self.port, self.cookies = port, {}
        status, body = self.request("GET", "/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
        status, _ = self.request("POST", "/login/", {
            "username": username, "password": password, "csrfmiddlewaretoken": token})
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"login of {username} failed (HTTP {status})")

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, text
        finally:
            connection.close()

    def complete(self, task_pk: int, post: dict) -> tuple[int, str]:
        return self.request("POST", f"/tasks/{task_pk}/",
                            {**post, "csrfmiddlewaretoken": self.cookies["csrftoken"]})


def database_setup(cases: int) -> list[int]:
    """Migrate, seed, file ``cases`` relief applications; returns their pks."""
    from django.core.management import call_command
    from scenarios import TEMPORARY_RELIEF, _serial, check, user

    from workflows.demo import demo_seed
    from workflows.registry import procedure_get
    from workflows.services import application_submit, procedures_deploy_all

    call_command("migrate", verbosity=0)
    demo_seed()
    procedures_deploy_all()
    procedure = procedure_get(TEMPORARY_RELIEF.procedure)
    applicant = user(TEMPORARY_RELIEF.applicant)
    pks = []
    for _ in range(cases):
        form = procedure.application_form(data=TEMPORARY_RELIEF.application(next(_serial)))
        check(form.is_valid(), f"application form invalid: {form.errors}")
        pks.append(application_submit(procedure=procedure, cleaned_data=form.cleaned_data,
                                      user=applicant, on_behalf=False).pk)
    return pks


def open_tasks(case_pks: list[int], spec_name: str) -> list[int]:
    from engine.models import HumanTask, TaskStatus

    pks = list(HumanTask.objects.filter(case__in=case_pks, spec_name=spec_name,
                                        status=TaskStatus.OPEN).order_by("pk")
               .values_list("pk", flat=True))
    if len(pks) != len(case_pks):
        raise RuntimeError(f"{len(pks)} open {spec_name} tasks for {len(case_pks)} cases")
    return pks


def server_start(*, port: int, workers: int, database_url: str, log) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.production",
           "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "127.0.0.1",
           "DATABASE_URL": database_url,
           "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/1"),
           "WEB_CONCURRENCY": str(workers), "BIND": f"127.0.0.1:{port}",
           "SECURE_SSL_REDIRECT": "0", "SECURE_HSTS_SECONDS": "0", "DEBUG": "0"}
    process = subprocess.Popen([str(ROOT / "bin" / "serve")], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"bin/serve exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/login/")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("the server did not answer within 180 s")


def server_stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)  # gunicorn's master and its workers
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_cpu(master_pid: int) -> dict[str, float]:
    """CPU seconds so far of the gunicorn workers (children of the master) and of the
    PostgreSQL backends connected to the bench database (other than this process's)."""
    from django.db import connection

    workers = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master_pid:
                workers.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid <> pg_backend_pid()")
        backends = [row[0] for row in cursor.fetchall()]
    return {"web": sum(_cpu_seconds(pid) for pid in workers),
            "db": sum(_cpu_seconds(pid) for pid in backends)}


def run_round(*, sessions: list[Session], task_pks: list[int], post: dict,
              max_seconds: float) -> dict:
    """The clients share out ``task_pks`` (client i takes every i-th one) and POST each."""
    times: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + max_seconds

    def client(index: int) -> None:
        for pk in task_pks[index::len(sessions)]:
            if failures or time.monotonic() > deadline:
                return
            started = time.perf_counter()
            status, body = sessions[index].complete(pk, post)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if status != 302:
                    errors = re.findall(r'class="[^"]*error[^"]*"[^>]*>([^<]+)<', body)[:3]
                    failures.append(f"task {pk}: HTTP {status} {errors}")
                times.append(elapsed)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(sessions))]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if failures:
        raise RuntimeError("; ".join(failures[:5]))
    return {"n": len(times), "wall": wall, "times": times}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client threads")
    parser.add_argument("--cases", type=int, default=150, help="cases (3 completions each)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--max-seconds", type=float, default=120, help="bound per round")
    args = parser.parse_args()
    if args.workers < 1 or args.clients < 1 or args.cases < args.clients:
        parser.error("--workers, --clients >= 1 and --cases >= --clients")
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("DATABASE_URL must name a throw-away PostgreSQL database (its name "
                         "containing 'bench'): the production settings need PostgreSQL")
    import bench_engine

    database = bench_engine.database_prepare(tempfile.gettempdir())
    os.environ["DEBUG"] = "0"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    import django

    django.setup()
    from django.db import connections

    from scenarios import TEMPORARY_RELIEF
    from workflows.demo import DEMO_PASSWORD

    posts = {step.spec_name: step.post for step in TEMPORARY_RELIEF.steps}
    process = None
    log = tempfile.NamedTemporaryFile("w+", prefix="bench-http-", suffix=".log", delete=False)
    try:
        print(f"Setting up: {database}; migrate, demo seed, {args.cases} relief cases ...",
              flush=True)
        case_pks = database_setup(args.cases)
        connections.close_all()
        print(f"Starting bin/serve: {args.workers} gunicorn workers on 127.0.0.1:{args.port} "
              f"(log {log.name}) ...", flush=True)
        process = server_start(port=args.port, workers=args.workers, database_url=url, log=log)
        sessions = {username: [Session(args.port, username, DEMO_PASSWORD)
                               for _ in range(args.clients)]
                    for username in {username for _, username in ROUNDS}}
        # One untimed request per client and user: the workers import and warm up.
        for client_sessions in sessions.values():
            for session in client_sessions:
                session.request("GET", "/tasks/")
        results = []
        for spec_name, username in ROUNDS:
            task_pks = open_tasks(case_pks, spec_name)
            cpu_before = server_cpu(process.pid)
            result = run_round(sessions=sessions[username], task_pks=task_pks,
                               post=posts[spec_name], max_seconds=args.max_seconds)
            cpu_after = server_cpu(process.pid)
            result.update(step=spec_name, user=username, load=os.getloadavg()[0],
                          cpu={k: cpu_after[k] - cpu_before[k] for k in cpu_after})
            results.append(result)
            report_round(result)
            if result["n"] < len(task_pks):
                print(f"  stopped after {args.max_seconds:.0f} s: {result['n']} of "
                      f"{len(task_pks)} tasks")
                break
        report_summary(args, results)
        check_cases(case_pks, len(results))
    finally:
        if process is not None:
            server_stop(process)
        connections.close_all()
        bench_engine.database_drop()


def report_round(result: dict) -> None:
    times = result["times"]
    print(f"  {result['step']:<16} {result['user']:<17} {result['n']:>5} completions in "
          f"{result['wall']:6.2f} s = {result['n'] / result['wall']:6.1f}/s; POST p50 "
          f"{statistics.median(times):6.1f} ms, p95 {percentile(times, 0.95):6.1f} ms, max "
          f"{max(times):6.1f} ms (load average {result['load']:.2f})", flush=True)
    cpu = result["cpu"]
    print(f"  {'':<16} server CPU per completion: gunicorn workers "
          f"{cpu['web'] / result['n'] * 1000:.1f} ms + PostgreSQL backends "
          f"{cpu['db'] / result['n'] * 1000:.1f} ms", flush=True)


def report_summary(args, results: list[dict]) -> None:
    times = [t for r in results for t in r["times"]]
    n, wall = sum(r["n"] for r in results), sum(r["wall"] for r in results)
    print(f"All: {n} completions in {wall:.2f} s = {n / wall:.1f} completions/s with "
          f"{args.workers} web processes and {args.clients} clients; POST p50 "
          f"{statistics.median(times):.1f} ms, p95 {percentile(times, 0.95):.1f} ms; "
          f"{os.cpu_count()} CPUs, load average at the end "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    # CPU time does not depend on how busy the machine is (wall time does): what the
    # server needs per completion, and what that allows on idle CPUs.
    web = sum(r["cpu"]["web"] for r in results) / n * 1000
    db = sum(r["cpu"]["db"] for r in results) / n * 1000
    print(f"Server CPU per completion: {web:.1f} ms in the web workers + {db:.1f} ms in "
          f"PostgreSQL = {web + db:.1f} ms: at most {os.cpu_count() * 1000 / (web + db):.0f} "
          f"completions/s on {os.cpu_count()} idle CPUs (clients excluded)", flush=True)


def check_cases(case_pks: list[int], rounds: int) -> None:
    """After three rounds every case waits on its public notice (no open inbox row)."""
    from engine.models import HumanTask, TaskStatus

    if rounds < len(ROUNDS):
        return
    still_open = HumanTask.objects.filter(case__in=case_pks, status=TaskStatus.OPEN).count()
    done = HumanTask.objects.filter(case__in=case_pks, status=TaskStatus.COMPLETED).count()
    if still_open or done != len(ROUNDS) * len(case_pks):
        raise RuntimeError(f"after the run: {still_open} open, {done} completed tasks")
    print(f"Checked: all {len(case_pks)} cases went accept → investigate → township_review "
          f"and wait on their public notice.")


if __name__ == "__main__":
    main()
