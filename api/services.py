"""Writes of the API app: issue and revoke API tokens."""
import hashlib
import secrets

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from engine.errors import ActionRefused
from engine.selectors import role_assignments

from .models import ApiToken

TOKEN_PREFIX = "mz_"


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def user_in_county(user, county) -> bool:
    """Does ``user`` hold a role within ``county`` (the only service users a county's
    supervisor may issue tokens for)?"""
    return any(a.unit.path.startswith(county.path) for a in role_assignments(user))


@transaction.atomic
def api_token_create(*, user, label: str, created_by=None, county=None) -> tuple[ApiToken, str]:
    """Issue a token for service user ``user``; returns the row and the token itself, which
    is shown once and never stored. ``county``: the issuing supervisor's county, whose
    staff alone may get a token from them."""
    label = (label or "").strip()
    if not label:
        raise ActionRefused("请填写令牌用途（如“公安户籍核查系统”）")
    if not user.is_active:
        raise ActionRefused("该账号已停用，不能签发令牌")
    if county is not None and not user_in_county(user, county):
        raise PermissionDenied("只能为本县的工作人员账号签发令牌")
    # One live token per account and purpose: a second one is a resubmitted form (the page
    # reloaded after issuing) or a mistake; revoke the old one to issue a new one.
    if ApiToken.objects.filter(user=user, label=label[:100], revoked_at__isnull=True).exists():
        raise ActionRefused(f"该账号已有用途为“{label[:100]}”的有效令牌；如需换发，请先撤销原令牌")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, label=label[:100], key_hash=token_hash(raw), prefix=raw[:8],
                     created_by=created_by)
    token.full_clean()
    token.save()
    return token, raw


@transaction.atomic
def api_token_revoke(*, token_pk: int, revoked_by=None, county=None) -> ApiToken:
    """Revoke a token at once (its next request is refused). Revoking twice is a no-op."""
    token = ApiToken.objects.select_for_update().select_related("user").filter(
        pk=token_pk).first()
    if token is None or (county is not None and not user_in_county(token.user, county)):
        from django.http import Http404

        raise Http404("令牌不存在")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_by = revoked_by
        token.save(update_fields=["revoked_at", "revoked_by"])
    return token
