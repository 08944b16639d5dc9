from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from workflows.demo import DEMO_PASSWORD, demo_seed
from workflows.procedures import DEMO_SEEDS
from workflows.services import procedures_deploy_all


class Command(BaseCommand):
    help = ("Create the demo county, townships, villages and users, deploy every procedure "
            "and seed each procedure's demo data. Safe to run again.")

    def handle(self, *args, **options):
        accounts = demo_seed()
        for definition in procedures_deploy_all():
            self.stdout.write(f"流程已部署：{definition.name} 第 {definition.version} 版")
        # Documents are signed: a demo CA and a certificate for every issuing unit (county
        # bureau, townships with their own series), under SIGNING_DIR, never in the repo.
        from engine.models import Unit
        from engine.signing import demo_signing_setup

        signed = demo_signing_setup(Unit.objects.exclude(doc_prefix="").order_by("path"))
        self.stdout.write(f"演示电子签章：{settings.SIGNING_DIR}（演示根证书 ca/ca.crt，"
                          f"{len(signed)} 个出具单位的证书；仅供演示）")
        notes = []
        for module in DEMO_SEEDS:
            notes += import_module(module).seed()
        self.stdout.write("\n演示账号（密码均为 %s）：" % DEMO_PASSWORD)
        listed = {username for username, _role, _unit in accounts}
        # Accounts the procedures' seeds made (applicant_wang, org_laonian, ...): every
        # account the demo has is in the table.
        for user in (get_user_model().objects.exclude(username__in=listed)
                     .prefetch_related("role_assignments__unit").order_by("username")):
            assignments = list(user.role_assignments.all())
            role = "、".join(a.role_id for a in assignments) or "applicant"
            unit = "、".join(a.unit.name for a in assignments) or (user.first_name or "—")
            accounts.append((user.username, role, unit))
        for username, role, unit in accounts:
            self.stdout.write(f"  {username:<28} {role:<28} {unit}")
        self.stdout.write("\n各事项演示说明：")
        for line in notes:
            self.stdout.write(f"  {line}")
        self.stdout.write(f"\n打开 {settings.SITE_URL} 登录。")
