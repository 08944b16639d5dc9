"""Camunda 7 import: a county's mapping of Camunda groups, lanes and users to its roles and
users (engine.models.CamundaMapping)."""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("engine", "0021_scale"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CamundaMapping",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("kind", models.CharField(choices=[("group", "组或泳道"), ("user", "用户")],
                                          max_length=5)),
                ("name", models.CharField(max_length=200)),
                ("target", models.CharField(blank=True, max_length=150)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("county", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                             related_name="camunda_mappings",
                                             to="engine.unit")),
                ("updated_by", models.ForeignKey(blank=True, null=True,
                                                 on_delete=django.db.models.deletion.SET_NULL,
                                                 related_name="+",
                                                 to=settings.AUTH_USER_MODEL)),
            ],
            options={"ordering": ["kind", "name"]},
        ),
        migrations.AddConstraint(
            model_name="camundamapping",
            constraint=models.UniqueConstraint(fields=("county", "kind", "name"),
                                               name="unique_camunda_mapping"),
        ),
    ]
