"""Seed a throw-away PostgreSQL database with a county's ten years of history, for ``pages.py``.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/minzheng_bench_scale \\
        python bench/seed_scale.py [--cases 300000] [--tasks 1000000] [--open 100000]

The named database is dropped and recreated (its name must contain "bench"), migrated (to
``--migrate-to`` if given, e.g. ``engine 0018_notice`` for measuring the code before the
scale work on the same data), and the demo organisation is seeded (``workflows.demo``:
婺城区, its users, every procedure deployed). The county is then grown to 18 townships of
20 villages (360) with ``engine.services.unit_create``, and cases, inbox rows and documents
are inserted in bulk with ``INSERT ... SELECT generate_series`` (minutes, not hours):

* ``--cases`` cases over ten years, newest first; the newest ~19 % still running (a few
  suspended or failed), the older ones completed (a few voided). Procedures: 40 % temporary
  relief, 25 % after-death bundle, 15 % elderly-home adaptation, 10 % marriage-birth bundle,
  5 % cemetery, 5 % annual inspection, each on its deployed definition. Applicant names are
  drawn from 30 surnames × 40 given-name characters, ID numbers are unique 18-digit strings;
  20 cases belong to the demo applicant 张建国 (``applicant_zhang``), the rest were filed on
  behalf (村委会代办).
* ``--open`` open inbox rows on the running and suspended cases (created in the last 30
  days, due 10–30 days later: about a third overdue), lanes as in each procedure's diagram
  (village, township, county, departments, applicant); 30 % of 罗店镇's township_staff rows
  are claimed by ``luodian_staff``, 10 % of the county_staff rows by
  ``wucheng_county_staff``; the rest of ``--tasks`` are completed rows, 3 per case.
* one issued decision document per completed case, numbered per issuer, type and year
  (罗店政救〔2021〕17号).

Then ``VACUUM ANALYZE`` (what autovacuum does to a real database), and (when the database is
at the latest migration) the dashboard's step summary is rebuilt
(``engine.reports.step_stats_rebuild``). Personas for ``pages.py``: ``luodian_staff`` (罗店镇),
(dashboard), ``applicant_zhang`` (我的申请); every password is the demo one.
"""
import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

TOWNSHIPS = 18
VILLAGES_PER_TOWNSHIP = 20

# (procedure key, share of cases in %, [(spec_name, title, lane)]): the user tasks of each
# diagram that inbox rows are drawn from (bpmn/*.bpmn; department lanes as the bundles and
# the cemetery's opinion round give them).
PROCEDURES = [
    ("temporary_relief", 40, [
        ("accept", "受理审查", "township_staff"), ("investigate", "入户调查", "village_staff"),
        ("township_review", "乡镇审核", "township_staff"),
        ("township_decide", "乡镇审批", "township_leader"),
        ("county_review", "县民政局科室审核", "county_staff"),
        ("county_decide", "县民政局审批", "county_leader"),
        ("supplement", "补正材料", "applicant")]),
    ("after_death_bundle", 25, [
        ("department_handle", "部门联办：死亡医学证明", "department:卫健"),
        ("department_handle", "部门联办：户口注销", "department:公安"),
        ("department_handle", "部门联办：医保待遇停发", "department:医保"),
        ("department_handle", "部门联办：养老保险待遇停发", "department:人社"),
        ("department_handle", "部门联办：火化", "department:殡仪馆"),
        ("department_handle", "部门联办：残疾人证注销", "department:残联")]),
    ("elderly_home_adaptation", 15, [
        ("township_review", "乡镇初审", "township_staff"),
        ("county_review", "县民政局科室审核", "county_staff"),
        ("county_decide", "县民政局审批", "county_leader"),
        ("assess", "需求评估（制定改造方案）", "assessor"),
        ("plan_review", "改造方案审核", "county_staff"), ("works", "施工", "provider"),
        ("acceptance", "竣工验收", "township_staff")]),
    ("marriage_birth_bundle", 10, [
        ("department_handle", "部门联办：结婚登记", "department:婚姻登记"),
        ("department_handle", "部门联办：户口登记", "department:公安"),
        ("department_handle", "部门联办：出生医学证明", "department:卫健")]),
    ("cemetery_approval", 5, [
        ("township_review", "乡镇审核（选址核查）", "township_staff"),
        ("township_decide", "乡镇人民政府审核同意", "township_leader"),
        ("department_opinion", "部门意见征询：自然资源和规划局", "department:自然资源"),
        ("department_opinion", "部门意见征询：林业局", "department:林业"),
        ("county_summary", "县民政局科室汇总审查", "county_staff"),
        ("county_decide", "县民政局审批", "county_leader")]),
    ("annual_inspection", 5, [
        ("file_report", "网上报送年检报告书", "applicant"),
        ("supervisor_review", "业务主管单位初审", "org_supervisor"),
        ("county_review", "登记管理机关审查", "county_staff"),
        ("conclude", "作出年检结论", "county_leader")]),
]
# Document number abbreviations of the county's series (婺民老〔2021〕3号).
ABBREVIATIONS = {"temporary_relief": "救", "after_death_bundle": "联",
                 "elderly_home_adaptation": "老", "marriage_birth_bundle": "婚",
                 "cemetery_approval": "墓", "annual_inspection": "检"}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂兰建国华红玉梅文辉志宏海波春燕金"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=300_000)
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--migrate-to", nargs=2, metavar=("APP", "MIGRATION"),
                        help="migrate only this far (e.g. engine 0018_notice)")
    args = parser.parse_args()
    if args.tasks < args.open + 3 * args.cases:
        args.tasks = args.open + 3 * args.cases
        print(f"--tasks raised to {args.tasks} (3 completed rows per case)")
    started = time.perf_counter()
    from bench_engine import database_prepare, django_setup, fast_hashing

    if not os.environ.get("DATABASE_URL"):
        raise SystemExit("DATABASE_URL must name a throw-away PostgreSQL database")
    print(database_prepare(""))
    django_setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if args.migrate_to:  # back to before the scale work: its indexes and summary go
        call_command("migrate", *args.migrate_to, verbosity=0)
    from workflows.demo import demo_seed
    from workflows.services import procedures_deploy_all

    with fast_hashing():
        demo_seed()
    procedures_deploy_all()
    organisation_grow()
    print(f"organisation ready ({time.perf_counter() - started:.0f} s)")
    bulk_insert(cases=args.cases, open_tasks=args.open,
                completed_per_case=(args.tasks - args.open) // args.cases)
    print(f"done in {time.perf_counter() - started:.0f} s")


def organisation_grow() -> None:
    """18 townships of 20 villages: the demo county's 3 townships get 17 more villages each,
    15 more townships are created (no staff accounts: only the personas are measured)."""
    from engine.models import Unit, UnitLevel
    from engine.services import unit_create

    county = Unit.objects.get(level=UnitLevel.COUNTY, name="婺城区")
    townships = list(Unit.objects.filter(parent=county, level=UnitLevel.TOWNSHIP).order_by("pk"))
    for index in range(len(townships), TOWNSHIPS):
        townships.append(unit_create(name=f"第{index + 1}镇", level=UnitLevel.TOWNSHIP,
                                     parent=county, doc_prefix=f"镇{index + 1}政",
                                     office_name=f"第{index + 1}镇人民政府"))
    for township in townships:
        have = Unit.objects.filter(parent=township, level=UnitLevel.VILLAGE).count()
        for index in range(have, VILLAGES_PER_TOWNSHIP):
            unit_create(name=f"{township.name}{index + 1}村", level=UnitLevel.VILLAGE,
                        parent=township)


def bulk_insert(*, cases: int, open_tasks: int, completed_per_case: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from engine.models import ProcessDefinition

    users = {u.username: u.pk for u in get_user_model().objects.filter(username__in=[
        "applicant_zhang", "luodian_staff", "wucheng_county_staff"])}
    definitions = {}
    for definition in ProcessDefinition.objects.order_by("key", "version"):
        definitions[definition.key] = definition  # the latest version of each key
    procedure_rows, step_rows, start = [], [], 0
    for key, share, steps in PROCEDURES:
        definition = definitions[key]
        procedure_rows.append((start, start + share, definition.pk, key, definition.name,
                               ABBREVIATIONS[key]))
        start += share
        step_rows += [(key, n, spec, title, lane) for n, (spec, title, lane) in enumerate(steps)]
    running = max(open_tasks * 56 // 100, 1)
    with connection.cursor() as cursor:
        t = time.perf_counter()

        def step(label: str, sql: str, params=None) -> None:
            nonlocal t
            cursor.execute(sql, params)
            print(f"  {label}: {cursor.rowcount if cursor.rowcount >= 0 else ''} "
                  f"({time.perf_counter() - t:.0f} s)")
            t = time.perf_counter()

        cursor.execute("SELECT setseed(0.2026)")
        cursor.execute("CREATE TEMP TABLE seed_village AS SELECT (row_number() OVER "
                       "(ORDER BY id)) - 1 AS n, id, path, parent_id FROM engine_unit "
                       "WHERE level = 'village'")
        cursor.execute("CREATE TEMP TABLE seed_procedure (lo int, hi int, definition_id int, "
                       "key text, name text, abbr text)")
        cursor.executemany("INSERT INTO seed_procedure VALUES (%s, %s, %s, %s, %s, %s)",
                           procedure_rows)
        cursor.execute("CREATE TEMP TABLE seed_step (procedure text, n int, spec_name text, "
                       "title text, lane text)")
        cursor.executemany("INSERT INTO seed_step VALUES (%s, %s, %s, %s, %s)", step_rows)
        cursor.execute("CREATE TEMP TABLE seed_step_count AS SELECT procedure, count(*) AS c "
                       "FROM seed_step GROUP BY procedure")
        cursor.execute("SELECT count(*) FROM seed_village")
        villages = cursor.fetchone()[0]
        # Cases: g = 1 is the newest; ten years, a little denser towards now.
        step("cases", """
            INSERT INTO engine_case (definition_id, procedure, title, applicant_id,
                applicant_name, applicant_id_number, village_id, village_path, status, data,
                state, serializer_version, next_timer_at, created_by_id, created_at,
                updated_at, completed_at, error)
            SELECT p.definition_id, p.key, p.name,
                CASE WHEN s.g %% %(every)s = 7 THEN %(zhang)s END,
                CASE WHEN s.g %% %(every)s = 7 THEN '张建国' ELSE
                    substr(%(surnames)s, 1 + (s.h %% 30)::int, 1)
                    || substr(%(given)s, 1 + (mod(s.h / 30, 40))::int, 1)
                    || CASE WHEN s.h %% 5 = 0 THEN ''
                       ELSE substr(%(given)s, 1 + (mod(s.h / 1200, 40))::int, 1) END END,
                '33070' || lpad((s.g::bigint * 7919 %% 10000000000000)::text, 13, '0'),
                v.id, v.path,
                CASE WHEN s.g <= %(running)s THEN
                        CASE WHEN s.g %% 97 = 0 THEN 'suspended'
                             WHEN s.g %% 499 = 0 THEN 'error' ELSE 'running' END
                     WHEN s.g %% 113 = 0 THEN 'voided' ELSE 'completed' END,
                jsonb_build_object('hardship_type', 'illness', 'household_size', 1 + s.h %% 5,
                    'requested_amount', 1000 + s.h %% 4000, 'reason',
                    repeat('因病致贫，家庭收入不足以支付医疗费用。', 8)),
                repeat(md5(s.g::text), 100), '3', NULL, NULL, s.at, s.at,
                CASE WHEN s.g > %(running)s THEN s.at + interval '20 days' END, ''
            FROM (SELECT g, abs(hashtext(g::text))::bigint AS h,
                         now() - (power(g::float / %(cases)s, 1.2) * interval '3650 days')
                               - interval '1 hour' AS at
                  FROM generate_series(1, %(cases)s) AS g) AS s
            JOIN seed_village AS v ON v.n = mod(s.h / 7, %(villages)s)
            JOIN seed_procedure AS p ON mod(s.h / 11, 100) >= p.lo AND mod(s.h / 11, 100) < p.hi
            ORDER BY s.g DESC
            """, {"every": cases // 20, "zhang": users["applicant_zhang"],
                  "surnames": SURNAMES, "given": GIVEN, "running": running, "cases": cases,
                  "villages": villages})
        cursor.execute("CREATE TEMP TABLE seed_case AS SELECT c.id, c.procedure, c.village_id, "
                       "c.village_path, c.status, c.created_at, c.completed_at, c.applicant_id, "
                       "c.applicant_name, v.parent_id AS township_id, "
                       "(row_number() OVER (ORDER BY c.id DESC)) - 1 AS n "
                       "FROM engine_case c JOIN seed_village v ON v.id = c.village_id")
        cursor.execute("CREATE INDEX ON seed_case (n)")
        cursor.execute("SELECT id FROM engine_unit WHERE level = 'county'")
        county_id = cursor.fetchone()[0]
        task_columns = """case_id, procedure, task_id, spec_name, form_key, title, lane,
            village_id, village_path, candidate_unit_id, township_id, due_at, assignee_id,
            status, task_data, form_data, completed_by_id, created_at, completed_at,
            delegated_by_id, delegate_answer, reminded_at, escalated_at, due_start,
            due_working_days, due_uncertain_years"""
        candidate = f"""CASE WHEN st.lane IN ('township_staff', 'township_leader')
                THEN c.township_id WHEN st.lane = 'village_staff' THEN c.village_id
                WHEN st.lane = 'applicant' THEN NULL ELSE {int(county_id)} END"""
        step("completed tasks", f"""
            INSERT INTO engine_humantask ({task_columns})
            SELECT c.id, c.procedure, gen_random_uuid(), st.spec_name, '', st.title, st.lane,
                c.village_id, c.village_path, {candidate}, c.township_id,
                c.created_at + (k + 1) * interval '5 days', NULL, 'completed', '{{}}',
                jsonb_build_object('opinion', '情况属实，同意。', 'decision', 'approve'), NULL,
                c.created_at + k * interval '4 days',
                c.created_at + k * interval '4 days' + ((c.id * 37 + k * 11) %% 200)
                    * interval '1 hour', NULL, NULL, NULL, NULL,
                c.created_at + k * interval '4 days', 5, '[]'
            FROM seed_case AS c CROSS JOIN generate_series(0, %(k)s - 1) AS k
            JOIN seed_step_count AS sc ON sc.procedure = c.procedure
            JOIN seed_step AS st ON st.procedure = c.procedure AND st.n = k %% sc.c
            ORDER BY c.created_at, k
            """, {"k": completed_per_case})
        step("open tasks", f"""
            INSERT INTO engine_humantask ({task_columns})
            SELECT c.id, c.procedure, gen_random_uuid(), st.spec_name, '', st.title, st.lane,
                c.village_id, c.village_path, {candidate}, c.township_id,
                o.at + (10 + o.h %% 21) * interval '1 day',
                CASE WHEN st.lane = 'township_staff' AND c.village_path LIKE %(luodian)s
                          AND o.h %% 10 < 3 THEN %(luodian_staff)s
                     WHEN st.lane = 'county_staff' AND o.h %% 10 = 0 THEN %(county_staff)s
                     WHEN st.lane = 'applicant' THEN c.applicant_id END,
                'open', '{{}}', '{{}}', NULL, o.at, NULL, NULL, NULL, NULL, NULL, o.at, 5,
                CASE WHEN o.h %% 50 = 0 THEN '[2027]' ELSE '[]' END::jsonb
            FROM (SELECT g, abs(hashtext('o' || g))::bigint AS h,
                         now() - (abs(hashtext('t' || g)) %% 43200) * interval '1 minute' AS at
                  FROM generate_series(0, %(open)s - 1) AS g) AS o
            JOIN seed_case AS c ON c.n = o.g %% %(running)s
            JOIN seed_step_count AS sc ON sc.procedure = c.procedure
            JOIN seed_step AS st ON st.procedure = c.procedure AND st.n = o.h %% sc.c
            WHERE c.status IN ('running', 'suspended', 'error')
            ORDER BY o.at
            """, {"open": open_tasks, "running": running, "luodian": _luodian_path() + "%",
                  "luodian_staff": users["luodian_staff"],
                  "county_staff": users["wucheng_county_staff"]})
        step("documents", f"""
            INSERT INTO engine_document (uuid, case_id, doc_type, title, issuer_code, year,
                sequence, number, issued_on, issuer_unit_id, holder_name, holder_id_masked,
                context, status, pdf, pdf_sha256, rendered_at, error, created_at, enqueued_at,
                handling_unit_id, issuer_form, validity, validity_changed_at,
                validity_changed_by_id, validity_reason)
            SELECT gen_random_uuid(), d.id, d.procedure || '_decision', '审批决定书',
                d.prefix, d.year, d.seq,
                d.prefix || '〔' || d.year || '〕' || d.seq || '号',
                d.completed_at::date, d.issuer_id, d.applicant_name, '330702********1234',
                '{{}}', 'ready', NULL, '', d.completed_at, '', d.completed_at, NULL, NULL, '',
                'valid', NULL, NULL, ''
            FROM (SELECT c.id, c.procedure, c.completed_at, c.applicant_name,
                         extract(year FROM c.completed_at)::int AS year,
                         CASE WHEN c.procedure = 'temporary_relief' THEN t.id
                              ELSE {int(county_id)} END AS issuer_id,
                         CASE WHEN c.procedure = 'temporary_relief' THEN t.doc_prefix || '救'
                              ELSE '婺民' || p.abbr END AS prefix,
                         row_number() OVER (PARTITION BY
                             CASE WHEN c.procedure = 'temporary_relief' THEN t.id
                                  ELSE {int(county_id)} END, c.procedure,
                             extract(year FROM c.completed_at) ORDER BY c.completed_at, c.id)
                             AS seq
                  FROM seed_case AS c JOIN engine_unit AS t ON t.id = c.township_id
                  JOIN seed_procedure AS p ON p.key = c.procedure
                  WHERE c.status = 'completed') AS d
            """)
        step("vacuum analyze", "VACUUM ANALYZE")
    from django.db.migrations.recorder import MigrationRecorder

    if MigrationRecorder(connection).migration_qs.filter(app="engine",
                                                         name="0021_scale").exists():
        from engine.reports import step_stats_rebuild

        print(f"  step summary: {step_stats_rebuild()} rows")
    if MigrationRecorder(connection).migration_qs.filter(app="engine",
                                                         name="0022_charts").exists():
        from engine.reports import case_month_stats_rebuild

        print(f"  monthly summary: {case_month_stats_rebuild()} rows")


def _luodian_path() -> str:
    from engine.models import Unit

    return Unit.objects.get(name="罗店镇").path


if __name__ == "__main__":
    main()
