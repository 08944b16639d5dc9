"""manage.py api_token_create --user U --label L: issue an API token (printed once)."""
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from engine.errors import ActionRefused

from ...services import api_token_create


class Command(BaseCommand):
    help = "为服务账号签发接口令牌（令牌只打印这一次，系统只保存其 SHA-256）"

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="服务账号的用户名")
        parser.add_argument("--label", required=True, help="用途，如“公安户籍核查系统”")

    def handle(self, *args, user, label, **options):
        account = get_user_model().objects.filter(username=user).first()
        if account is None:
            raise CommandError(f"账号不存在：{user}")
        try:
            token, raw = api_token_create(user=account, label=label)
        except ActionRefused as exc:
            raise CommandError(str(exc)) from None
        self.stderr.write(f"令牌 #{token.pk}（{token.label}，账号 {account.username}）已签发；"
                          "请立即保存，之后无法再次查看：")
        self.stdout.write(raw)
