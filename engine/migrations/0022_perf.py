"""Dashboard counts index-only at a county's scale (bench/README.md, EXPLAIN ANALYZE):
open cases per village and procedure with the path and definition the visibility split
filters on, and open steps by due time with what the overdue count groups by (its join to
the running cases stays a hash join over the status index: covering status and id too made
the planner hash-join every running case for the inbox's capped counts, 4x slower). The
open-cases index replaces ``case_open_by_village`` (its prefix). PostgreSQL builds the
INCLUDE columns; other databases skip covering indexes."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('engine', '0021_scale'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='case',
            name='case_open_by_village',
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('status__in', ['running', 'suspended', 'error'])), fields=['village', 'procedure', 'definition'], include=('village_path',), name='case_open_count'),
        ),
        migrations.AddIndex(
            model_name='humantask',
            index=models.Index(condition=models.Q(('status', 'open')), fields=['due_at'], include=('case', 'village', 'procedure', 'village_path', 'id'), name='open_task_overdue'),
        ),
    ]
