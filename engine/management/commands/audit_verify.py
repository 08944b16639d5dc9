from django.core.management.base import BaseCommand, CommandError

from engine.audit import audit_verify, audit_verify_all, chain_key


class Command(BaseCommand):
    help = ("Verify the audit trail's hash chains (every case's, and the system's); exits "
            "with an error when any entry was changed, removed or inserted.")

    def add_arguments(self, parser):
        parser.add_argument("--case", type=int, help="only this case's chain")

    def handle(self, *args, **options):
        checks = [audit_verify(chain=chain_key(options["case"]))] if options["case"] \
            else audit_verify_all()
        broken = [check for check in checks if not check.ok]
        for check in broken:
            for problem in check.problems:
                self.stderr.write(f"{check.chain}: {problem}")
        total = sum(check.checked for check in checks)
        if broken:
            raise CommandError(f"审计记录校验失败：{len(broken)} 条链有问题（共 {total} 条记录）")
        self.stdout.write(f"审计记录完整：{len(checks)} 条链，{total} 条记录")
