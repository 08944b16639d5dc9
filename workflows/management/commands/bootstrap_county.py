from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from workflows.bootstrap import BootstrapError, county_bootstrap, parse_units


class Command(BaseCommand):
    help = ("Set up a real county without demo data: roles, townships and villages (--units), "
            "the shipped procedures, and a first administrator who sets their own password "
            "through the printed one-time link.")

    def add_arguments(self, parser):
        parser.add_argument("--county", required=True, help="e.g. 婺城区")
        parser.add_argument("--doc-prefix", required=True, help="document number prefix, e.g. 婺民")
        parser.add_argument("--office-name", required=True, help="e.g. 金华市婺城区民政局")
        parser.add_argument("--admin", required=True, help="the administrator's username")
        parser.add_argument("--admin-name", default="", help="the administrator's full name")
        parser.add_argument("--admin-email", default="")
        parser.add_argument("--units", type=Path,
                            help="text file, one township per line: 罗店镇：罗店村、后溪村")
        parser.add_argument("--demo-signing", action="store_true",
                            help="create a demo CA and signing certificates for the issuing "
                                 "units under SIGNING_DIR (trying it out only; a real county "
                                 "installs certificates from its CA, see README)")

    def handle(self, *args, **options):
        try:
            townships = parse_units(options["units"].read_text(encoding="utf-8")) \
                if options["units"] else []
            result = county_bootstrap(
                county_name=options["county"], doc_prefix=options["doc_prefix"],
                office_name=options["office_name"], admin_username=options["admin"],
                admin_full_name=options["admin_name"], admin_email=options["admin_email"],
                townships=townships)
        except (BootstrapError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"已建立：{result.county.name}（{result.county.office_name}），"
                          f"乡镇 {result.county.children.count()} 个")
        self._signing(result.county, demo=options["demo_signing"])
        self.stdout.write(f"管理员 {result.admin.username} 请打开以下链接设置密码（一次有效）：")
        self.stdout.write(f"  {settings.SITE_URL}{result.set_password_path}")

    def _signing(self, county, *, demo: bool) -> None:
        """Every document is signed with its issuer's key: say where each issuing unit's key
        and certificate go, or make demo ones."""
        from engine.models import Unit
        from engine.signing import demo_signing_setup, signing_status, trust_root_files

        units = Unit.objects.filter(path__startswith=county.path).exclude(doc_prefix="")
        if demo:
            demo_signing_setup(units)
            self.stdout.write(f"已生成演示电子签章证书（仅供试用）：{settings.SIGNING_DIR}")
        self.stdout.write("电子签章（文书签名）：")
        for row in signing_status(units):
            state = "已配置" if row["ok"] else "未配置，该单位不能出具文书"
            self.stdout.write(f"  {row['office_name']}（单位代码 {row['code']}）：{state}")
            if not row["ok"]:
                self.stdout.write(f"    私钥 {row['key']}，证书 {row['cert']}")
        roots = "、".join(str(p) for p in trust_root_files())
        self.stdout.write(f"  信任的根证书：{roots}")
