from django.core.management.base import BaseCommand

from workflows.demo import DEMO_PASSWORD, demo_seed
from workflows.services import procedures_deploy_all


class Command(BaseCommand):
    help = "Create the demo county, townships, villages and users, and deploy every procedure."

    def handle(self, *args, **options):
        accounts = demo_seed()
        for definition in procedures_deploy_all():
            self.stdout.write(f"流程已部署：{definition.name} 第 {definition.version} 版")
        self.stdout.write("\n演示账号（密码均为 %s）：" % DEMO_PASSWORD)
        for username, role, unit in accounts:
            self.stdout.write(f"  {username:<24} {role:<28} {unit}")
