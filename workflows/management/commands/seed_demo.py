from importlib import import_module

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
        notes = []
        for module in DEMO_SEEDS:
            notes += import_module(module).seed()
        self.stdout.write("\n演示账号（密码均为 %s）：" % DEMO_PASSWORD)
        for username, role, unit in accounts:
            self.stdout.write(f"  {username:<28} {role:<28} {unit}")
        self.stdout.write("\n各事项演示说明：")
        for line in notes:
            self.stdout.write(f"  {line}")
        self.stdout.write("\n打开 http://127.0.0.1:8000 登录。")
