"""Dashboard counts index-only at a county's scale (bench/README.md, EXPLAIN ANALYZE):
``case_open_count`` (open cases per village and procedure, with the path and definition the
visibility split filters on) replaces ``case_open_by_village`` (its prefix); the inbox's
``open_task_due`` also covers the overdue count (due before now, grouped by village and
procedure, joined to the case). Not the case's status in the first: the inbox's capped
counts then hash-joined every running case from it (4x slower); and no separate index for
the overdue count: the planner scanned it whole for the inbox's page 50. PostgreSQL builds
the INCLUDE columns; SQLite gets the same indexes without them."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('engine', '0024_charts'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='case',
            name='case_open_by_village',
        ),
        migrations.RemoveIndex(
            model_name='humantask',
            name='open_task_due',
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('status__in', ['running', 'suspended', 'error'])), fields=['village', 'procedure', 'definition'], include=('village_path', 'id'), name='case_open_count'),
        ),
        migrations.AddIndex(
            model_name='humantask',
            index=models.Index(condition=models.Q(('status', 'open')), fields=['due_at', 'created_at', 'id'], include=('case', 'village', 'procedure', 'village_path'), name='open_task_due'),
        ),
    ]
