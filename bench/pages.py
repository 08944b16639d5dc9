"""Time the list pages, search and dashboard on a seeded database (``seed_scale.py``).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/minzheng_bench_scale \\
        python bench/pages.py [--n 20] [--warmup 2] [--code /path/to/other/tree] [--only inbox]

Each page is requested through the Django test client with a logged-in session
(``force_login``), ``DEBUG`` off, ``--warmup`` untimed times and then ``--n`` timed times
(wall clock of ``client.get``: URL resolving, middleware, the view, the queries, the
template). Printed per page and user: p50, p95, max in ms, the response's status and the
number of SQL queries of one request. Users: ``luodian_staff`` (township, 罗店镇),
``wucheng_county_staff`` (county), ``wucheng_supervisor`` (dashboard), ``applicant_zhang``
(我的申请).

Search terms are taken from the database once, within each user's jurisdiction: a two-
character fragment of an applicant's name (the given name), the last six digits of an ID
number, a case number, a document number. ``--code`` runs the pages of another checkout of
the project (e.g. the code before the scale work, on the same database); it must be able to
import this database's schema. The database is only read (plus Django sessions).
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))
    return ordered[index]


def search_terms(user) -> dict[str, str]:
    """One term of each kind, found in ``user``'s jurisdiction (read with plain SQL so the
    script does not depend on the code it measures)."""
    from django.db import connection

    from engine.models import RoleAssignment

    path = RoleAssignment.objects.filter(user=user).select_related("unit").first().unit.path
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT c.id, c.applicant_name, c.applicant_id_number, d.number
            FROM engine_case c JOIN engine_document d ON d.case_id = c.id
            WHERE c.village_path LIKE %s AND length(c.applicant_name) = 3
            ORDER BY c.id LIMIT 1 OFFSET 1000""", [path + "%"])
        row = cursor.fetchone()
    if row is None:
        return {}
    case_id, name, id_number, number = row
    return {"name": name[1:], "id_last6": id_number[-6:], "case_no": str(case_id),
            "doc_no": number}


def pages_for(users: dict, townships: dict) -> list[tuple[str, str, str]]:
    """(label, user key, URL)."""
    pages = []
    for key in ("township", "county"):
        user = users[key]
        terms = search_terms(user)
        township = townships["罗店镇"]
        inbox = [("default", ""), ("free", "claimed=free"), ("mine", "claimed=mine"),
                 ("overdue", "overdue=yes"), ("not overdue", "overdue=no"),
                 ("procedure", "procedure=after_death_bundle"),
                 ("township", f"township={township}"), ("sort -due", "sort=-due"),
                 ("page 50", "page=50")]
        inbox += [(f"q={kind}", f"q={value}") for kind, value in terms.items()]
        pages += [(f"/tasks/ {label}", key, f"/tasks/?{query}") for label, query in inbox]
        cases = [("default", ""), ("page 50", "page=50")]
        cases += [(f"q={kind}", f"q={value}") for kind, value in terms.items()]
        pages += [(f"/cases/ {label}", key, f"/cases/?{query}") for label, query in cases]
    pages.append(("/dashboard/data/", "supervisor", "/dashboard/data/"))
    pages.append(("/my/", "applicant", "/my/"))
    return pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--code", type=Path, default=ROOT,
                        help="project tree whose code serves the pages (default: this one)")
    parser.add_argument("--only", default="", help="only pages whose label contains this")
    parser.add_argument("--skip", default="", help="leave out pages whose label contains this")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        raise SystemExit("DATABASE_URL must name the database seed_scale.py filled")
    sys.path.insert(0, str(args.code.resolve()))
    os.chdir(args.code)  # Celery's loader puts the working directory first on sys.path
    os.environ["DEBUG"] = "0"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from engine.models import Unit, UnitLevel

    setup_test_environment()  # the test client's templates signal; DEBUG stays off
    user_model = get_user_model()
    users = {"township": user_model.objects.get(username="luodian_staff"),
             "county": user_model.objects.get(username="wucheng_county_staff"),
             "supervisor": user_model.objects.get(username="wucheng_supervisor"),
             "applicant": user_model.objects.get(username="applicant_zhang")}
    townships = dict(Unit.objects.filter(level=UnitLevel.TOWNSHIP).values_list("name", "pk"))
    clients = {}
    for key, user in users.items():
        clients[key] = Client()
        clients[key].force_login(user)
    with connection.cursor() as cursor:
        cursor.execute("SELECT (SELECT count(*) FROM engine_humantask), (SELECT count(*) FROM "
                       "engine_humantask WHERE status = 'open'), (SELECT count(*) FROM "
                       "engine_case), (SELECT count(*) FROM engine_document), version()")
        tasks, open_tasks, cases, documents, server = cursor.fetchone()
    print(f"code: {args.code.resolve()}  database: {connection.settings_dict['NAME']} "
          f"({server.split(' on ')[0]})")
    print(f"{tasks:,} tasks ({open_tasks:,} open), {cases:,} cases, {documents:,} documents; "
          f"n = {args.n}, warm-up {args.warmup}; load average {os.getloadavg()[0]:.2f}")
    print(f"{'page':<28} {'user':<10} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} "
          f"{'SQL':>4} {'HTTP':>4}  URL")
    worst = 0.0
    for label, key, url in pages_for(users, townships):
        if (args.only and args.only not in label) or (args.skip and args.skip in label):
            continue
        client = clients[key]
        for _ in range(args.warmup):
            client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        query_count = len(queries)  # now: every request clears the connection's query log
        times = []
        for _ in range(args.n):
            started = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        p95 = percentile(times, 0.95)
        worst = max(worst, p95)
        print(f"{label:<28} {key:<10} {statistics.median(times):8.1f} {p95:8.1f} "
              f"{max(times):8.1f} {query_count:4d} {response.status_code:4d}  {url}",
              flush=True)
    print(f"worst p95: {worst:.1f} ms; load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
