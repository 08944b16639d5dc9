"""manage.py api_token_revoke ID: revoke an API token (its next request is refused)."""
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from ...services import api_token_revoke


class Command(BaseCommand):
    help = "撤销接口令牌（按编号；api_token_create 打印的编号）"

    def add_arguments(self, parser):
        parser.add_argument("token_id", type=int, help="令牌编号")

    def handle(self, *args, token_id, **options):
        try:
            token = api_token_revoke(token_pk=token_id)
        except Http404:
            raise CommandError(f"令牌不存在：{token_id}") from None
        self.stdout.write(f"令牌 #{token.pk}（{token.label}）已撤销")
