import unicodedata
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from workflows.demo import DEMO_PASSWORD, demo_case, demo_seed
from workflows.procedures import DEMO_SEEDS
from workflows.registry import procedure_get
from workflows.services import procedures_deploy_all


def _pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal columns (a Chinese character takes two)."""
    used = sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)
    return text + " " * max(width - used, 1)


class Command(BaseCommand):
    help = ("Create the demo county, townships, villages and users, deploy every procedure "
            "and seed each procedure's demo data, including one case in each stage of every "
            "procedure (see README). Safe to run again: nothing is duplicated.")

    def add_arguments(self, parser):
        parser.add_argument("--no-stages", action="store_true",
                            help="skip the cases in every stage (organisation, accounts and "
                                 "procedures' own data only)")

    def handle(self, *args, **options):
        stages = not options["no_stages"]
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
        notes, modules = [], [import_module(module) for module in DEMO_SEEDS]
        for module in modules:
            notes += module.seed(stages=stages)
        self.stdout.write("\n演示账号（密码均为 %s）：" % DEMO_PASSWORD)
        listed = {username for username, _role, _unit in accounts}
        # Accounts the procedures' seeds made (applicant_wang, org_laonian, ...): every
        # account the demo has is in the table.
        # (not django-guardian's AnonymousUser, which nobody can log in as)
        from guardian.conf import settings as guardian_settings

        listed.add(guardian_settings.ANONYMOUS_USER_NAME)
        for user in (get_user_model().objects.exclude(username__in=listed)
                     .prefetch_related("role_assignments__unit").order_by("username")):
            assignments = list(user.role_assignments.all())
            role = "、".join(a.role_id for a in assignments) or "applicant"
            unit = "、".join(a.unit.name for a in assignments) or (user.first_name or "—")
            accounts.append((user.username, role, unit))
        for username, role, unit in accounts:
            self.stdout.write(f"  {_pad(username, 28)}{_pad(role, 30)}{unit}")
        if stages:
            self.stdout.write("\n各阶段演示案件（用右列账号登录，在“待办”或“案件”中按申请人查找）：")
            for module in modules:
                for stage in getattr(module, "STAGES", ()):
                    case = demo_case(stage)
                    number = f"#{case.pk}" if case else "未创建"
                    self.stdout.write(f"  {procedure_get(stage.procedure).name}｜{stage.stage}｜"
                                      f"{stage.applicant_name}（{number}）｜{stage.account}")
        self.stdout.write("\n各事项演示说明：")
        for line in notes:
            self.stdout.write(f"  {line}")
        self.stdout.write(f"\n打开 {settings.SITE_URL} 登录。")
