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


class Webhook(models.Model):
    """Where a department system wants to be told that a task was offered to it (one per
    token: revoking the token stops the hook). Each POST is signed with ``secret``
    (HMAC-SHA256), which — unlike the token — must be kept in clear to sign with; it is
    shown to the supervisor once, when made or renewed."""

    token = models.OneToOneField(ApiToken, on_delete=models.CASCADE, related_name="webhook")
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=100, editable=False)
    active = models.BooleanField(default=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Webhook"

    def __str__(self) -> str:
        return f"{self.token.label}：{self.url}"


class WebhookDeliveryStatus(models.TextChoices):
    PENDING = "pending", "待发送"
    SENT = "sent", "已送达"
    FAILED = "failed", "发送失败"


class WebhookDelivery(models.Model):
    """One event for one hook, written in the transaction that opened the task (the outbox):
    sent after the commit by a Celery task, retried with backoff, handed again by the sweep
    when the broker lost it. ``key`` is the idempotency key the receiver sees in every
    attempt (at-least-once delivery: a receiver drops a key it has already handled)."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    task = models.ForeignKey("engine.HumanTask", null=True, on_delete=models.SET_NULL,
                             related_name="+")
    event = models.CharField(max_length=40)
    key = models.UUIDField(unique=True, editable=False)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=WebhookDeliveryStatus.choices,
                              default=WebhookDeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "Webhook 推送"
        constraints = [models.UniqueConstraint(fields=["webhook", "task", "event"],
                                               name="api_webhookdelivery_once")]
        indexes = [models.Index(fields=["status", "enqueued_at"],
                                name="api_webhookdelivery_pending")]
