"""Per-system API tokens: ``Authorization: Token <token>`` (or ``Bearer``)."""
from datetime import timedelta

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from .models import ApiToken
from .services import token_hash

# last_used_at is informative: written at most once a minute per token, not on every call.
LAST_USED_GRANULARITY = timedelta(minutes=1)


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """The token's hash is looked up (the table holds no token); a revoked token or an
    inactive service user is refused with 401/403 before any view runs."""

    keywords = ("token", "bearer")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower().decode("latin-1") not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("令牌格式错误，应为“Token <令牌>”")
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("令牌格式错误") from None
        token = ApiToken.objects.select_related("user").filter(key_hash=token_hash(raw)).first()
        if token is None or token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("令牌无效或已被撤销")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("令牌所属账号已停用")
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRANULARITY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request):
        return 'Token realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "ApiToken"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "部门系统接口令牌：`Token <令牌>`，由县民政局主管人员签发。"}
