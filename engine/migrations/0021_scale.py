"""Scale (bench/README.md): indexes limited to open inbox rows, the case list's order, ID
number look-ups, the dashboard's running step summary (filled from the completed tasks), and
on PostgreSQL the search indexes (engine/search.py) and two more partial indexes."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# PostgreSQL only; SQLite searches with plain LIKE (engine/search.py).
POSTGRES_SQL = [
    ("CREATE EXTENSION IF NOT EXISTS pg_trgm", None),
    # Every fragment of up to 8 characters of a name, lower-cased: "张建国" → {张, 建, 国,
    # 张建, 建国, 张建国}. A GIN index over it finds "建国" in a name (trigrams need 3).
    ("""CREATE FUNCTION engine_name_fragments(value text) RETURNS text[]
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
            SELECT coalesce(array_agg(DISTINCT substr(lower(value), i, n)), '{}')
            FROM generate_series(1, length(value)) AS i, generate_series(1, 8) AS n
            WHERE i + n - 1 <= length(value)
        $$""", "DROP FUNCTION engine_name_fragments(text)"),
    ("CREATE INDEX case_name_fragments ON engine_case "
     "USING gin (engine_name_fragments(applicant_name))", "DROP INDEX case_name_fragments"),
    # The last digits of an ID number are the first of the reversed number.
    ("CREATE INDEX case_id_number_reversed ON engine_case "
     "(reverse(applicant_id_number) text_pattern_ops)", "DROP INDEX case_id_number_reversed"),
    ("CREATE INDEX document_number_trgm ON engine_document USING gin (number gin_trgm_ops)",
     "DROP INDEX document_number_trgm"),
    # The inbox's "-due" order: due_at DESC NULLS LAST (SQLite indexes cannot say so).
    ("CREATE INDEX open_task_due_desc ON engine_humantask "
     "(due_at DESC NULLS LAST, created_at, id) WHERE status = 'open'",
     "DROP INDEX open_task_due_desc"),
    # Open rows whose due time crossed a year without holiday data (the dashboard's warning).
    ("CREATE INDEX open_task_due_uncertain ON engine_humantask (village_path) "
     "WHERE status = 'open' AND due_uncertain_years <> '[]'::jsonb",
     "DROP INDEX open_task_due_uncertain"),
]


def postgres_forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for forwards, _ in POSTGRES_SQL:
            schema_editor.execute(forwards)


def postgres_backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for _, backwards in reversed(POSTGRES_SQL):
            if backwards:  # the extension stays: other databases objects may use it
                schema_editor.execute(backwards)


def step_stats_fill(apps, schema_editor):
    """The summary from the tasks completed so far (``engine.reports.step_stats_rebuild``)."""
    from engine.reports import step_stats_rows

    HumanTask = apps.get_model("engine", "HumanTask")
    StepStat = apps.get_model("engine", "StepStat")
    Unit = apps.get_model("engine", "Unit")
    StepStat.objects.bulk_create(step_stats_rows(HumanTask, Unit, StepStat), batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ('engine', '0020_visibility'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='humantask',
            name='status',
            field=models.CharField(choices=[('open', '待办'), ('completed', '已办'), ('cancelled', '已取消')], default='open', max_length=12),
        ),
        migrations.CreateModel(
            name='StepStat',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('unit_path', models.CharField(db_index=True, max_length=255)),
                ('procedure', models.CharField(max_length=60)),
                ('spec_name', models.CharField(max_length=100)),
                ('title', models.CharField(max_length=200)),
                ('completed', models.PositiveIntegerField(default=0)),
                ('total_seconds', models.FloatField(default=0)),
            ],
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['-created_at'], name='case_newest_first'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['applicant_id_number'], name='case_applicant_id_number'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('status__in', ['running', 'suspended', 'error'])), fields=['village', 'procedure'], name='case_open_by_village'),
        ),
        migrations.AddIndex(
            model_name='humantask',
            index=models.Index(condition=models.Q(('status', 'open')), fields=['due_at', 'created_at', 'id'], name='open_task_due'),
        ),
        migrations.AddIndex(
            model_name='humantask',
            index=models.Index(condition=models.Q(('status', 'open')), fields=['lane', 'village_path'], name='open_task_lane_path', opclasses=['varchar_pattern_ops', 'varchar_pattern_ops']),
        ),
        migrations.AddIndex(
            model_name='humantask',
            index=models.Index(condition=models.Q(('status', 'open')), fields=['assignee'], name='open_task_assignee'),
        ),
        migrations.AddField(
            model_name='stepstat',
            name='unit',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='engine.unit'),
        ),
        migrations.AddConstraint(
            model_name='stepstat',
            constraint=models.UniqueConstraint(fields=('unit', 'procedure', 'spec_name', 'title'), name='unique_step_stat'),
        ),
            migrations.RunPython(postgres_forwards, postgres_backwards),
        migrations.RunPython(step_stats_fill, migrations.RunPython.noop),
    ]
