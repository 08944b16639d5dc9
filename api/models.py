"""API tokens of department systems (部门系统接口令牌)."""
from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """A token with which another system acts as a named service user (holding that user's
    roles, so it sees and does exactly what the user could on the pages). Only the SHA-256
    of the token is stored: a leaked table gives no usable token. ``prefix`` (the token's
    first characters) lets a supervisor tell tokens apart in the list."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="api_tokens")
    label = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "接口令牌"

    def __str__(self) -> str:
        return f"{self.label}（{self.prefix}…）"

    @property
    def active(self) -> bool:
        return self.revoked_at is None
