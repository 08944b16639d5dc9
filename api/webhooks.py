"""Webhooks: a department system is told (a signed JSON POST) that a task was offered to it.

The outbox pattern of ``engine.outbox``: when a task row is created, one pending
``WebhookDelivery`` per hook whose service user has the task in its inbox (the same
``task_list_for_user`` rule the outbox feed and the pages use: another department's hook is
never told of a task it cannot see) is written in the transaction that opened the task. After
the commit it is handed to Celery (``api.tasks.webhook_deliver_task``), which POSTs it with
retries and backoff; a broker that is down only logs, and ``webhook_sweep`` (Celery beat,
worker start, ``run_timers``) hands it again later. Nothing here can hold up or undo the
advance: no HTTP call happens inside the engine's transaction.

Each POST carries (every attempt of one delivery the same key — at-least-once, the receiver
drops a key it has already handled)::

    Content-Type: application/json
    X-Minzheng-Event: task.offered
    X-Minzheng-Delivery: <idempotency key, a UUID>      (also Idempotency-Key)
    X-Minzheng-Timestamp: <Unix seconds>
    X-Minzheng-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
"""
import hashlib
import hmac
import json
import logging
import secrets
import time
import uuid
from datetime import timedelta

import requests
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from engine.errors import ActionRefused
from engine.outbox import enqueue, enqueue_on_commit

from .models import ApiToken, Webhook, WebhookDelivery, WebhookDeliveryStatus

logger = logging.getLogger(__name__)

EVENT_TASK_OFFERED = "task.offered"
SIGNATURE_HEADER = "X-Minzheng-Signature"
TIMESTAMP_HEADER = "X-Minzheng-Timestamp"
DELIVERY_HEADER = "X-Minzheng-Delivery"
EVENT_HEADER = "X-Minzheng-Event"
# Connect and read timeouts of one attempt: a slow receiver holds a worker this long at most.
TIMEOUT = (3, 10)
MAX_RETRIES = 5  # after 1, 2, 4, 8, 16 minutes (settings.WEBHOOK_RETRY_BASE_SECONDS = 60)
# Longer than the longest retry countdown, so a delivery waiting for its retry is not sent
# early by the sweep.
REQUEUE_AFTER = timedelta(minutes=20)


def retry_countdown(retries: int) -> int:
    """Seconds before retry number ``retries + 1``: exponential backoff."""
    from django.conf import settings

    return settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** retries


class WebhookFailed(Exception):
    """One attempt failed (the receiver answered non-2xx or could not be reached)."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body,
                      hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signature_valid(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """For receivers (and tests): constant-time check of a delivery's signature."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature or "")


# ---------------------------------------------------------------------------------------------
# Hooks: set, renew the secret, remove (county supervisors, through the portal page)


_url_validator = URLValidator(schemes=["http", "https"])


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    try:
        _url_validator(url)
    except Exception:  # noqa: BLE001 - Django's ValidationError: say it in Chinese
        raise ActionRefused("请填写以 http:// 或 https:// 开头的完整网址") from None
    if len(url) > 500:
        raise ActionRefused("网址过长（最多 500 个字符）")
    refused = address_refused(url)
    if refused:
        raise ActionRefused(refused)
    return url


def address_refused(url: str) -> str:
    """Why a hook may not be sent to ``url`` (Chinese), or "". The worker would otherwise
    POST wherever a supervisor points it: to itself (loopback), to the cloud's metadata
    service (link-local) or nowhere at all. Department systems live on the government
    network (private addresses are allowed); ``settings.WEBHOOK_ALLOWED_NETWORKS`` (CIDRs)
    lets a county allow what is refused by default. Checked on save and before every POST,
    since a name may resolve elsewhere later."""
    import ipaddress
    import socket
    from urllib.parse import urlsplit

    from django.conf import settings

    parts = urlsplit(url)
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError):
        return f"无法解析网址中的主机名“{parts.hostname}”，请检查网址"
    allowed = [ipaddress.ip_network(n, strict=False)
               for n in getattr(settings, "WEBHOOK_ALLOWED_NETWORKS", [])]
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if any(address in network for network in allowed):
            continue
        if (address.is_loopback or address.is_link_local or address.is_unspecified
                or address.is_multicast or address.is_reserved):
            return (f"不能把 Webhook 发往本机或保留地址（{address}）；如确需如此，请系统管理员在"
                    f" WEBHOOK_ALLOWED_NETWORKS 中放行")
    return ""


def _token_of_county(token_pk: int, county) -> ApiToken:
    from .services import user_in_county

    token = ApiToken.objects.select_for_update().select_related("user").filter(
        pk=token_pk).first()
    if token is None or (county is not None and not user_in_county(token.user, county)):
        raise Http404("令牌不存在")
    return token


@transaction.atomic
def webhook_set(*, token_pk: int, url: str, active: bool = True, by=None,
                county=None) -> tuple[Webhook, str | None]:
    """Register or change the hook of a token. Returns the hook and, when it is new, its
    secret (shown once). A revoked token gets no hook."""
    token = _token_of_county(token_pk, county)
    if token.revoked_at is not None:
        raise ActionRefused("令牌已撤销，不能设置 Webhook")
    url = _clean_url(url)
    hook = Webhook.objects.filter(token=token).first()
    secret = None
    if hook is None:
        secret = secrets.token_urlsafe(32)
        hook = Webhook(token=token, secret=secret)
    hook.url, hook.active, hook.updated_by = url, bool(active), by
    hook.save()
    return hook, secret


@transaction.atomic
def webhook_secret_renew(*, token_pk: int, by=None, county=None) -> tuple[Webhook, str]:
    """A new signing secret (the old one stops at once); returned to be shown once."""
    token = _token_of_county(token_pk, county)
    hook = Webhook.objects.filter(token=token).first()
    if hook is None:
        raise ActionRefused("该令牌尚未设置 Webhook")
    hook.secret, hook.updated_by = secrets.token_urlsafe(32), by
    hook.save(update_fields=["secret", "updated_by", "updated_at"])
    return hook, hook.secret


@transaction.atomic
def webhook_remove(*, token_pk: int, by=None, county=None) -> None:
    token = _token_of_county(token_pk, county)
    Webhook.objects.filter(token=token).delete()


# ---------------------------------------------------------------------------------------------
# Events: written with the task, in its transaction


def _live_hooks():
    return (Webhook.objects.filter(active=True, token__revoked_at__isnull=True,
                                   token__user__is_active=True)
            .select_related("token__user"))


def task_offered_record(task) -> list[WebhookDelivery]:
    """Write the pending deliveries of a newly opened task (inside its transaction) and hand
    each to Celery once the transaction commits. Only hooks whose service user has the task
    in its inbox are told."""
    from engine.selectors import task_list_for_user

    from .selectors import task_summary

    # Read once per case object: the engine opens all of a step's tasks on the case it has
    # just locked (the cemetery's opinion round opens six), and loads the case afresh for
    # each step, so this lasts one transaction.
    hooks = getattr(task.case, "_live_webhooks", None)
    if hooks is None:
        hooks = list(_live_hooks())
        task.case._live_webhooks = hooks
    if not hooks:
        return []
    created = []
    for hook in hooks:
        if not task_list_for_user(user=hook.token.user).filter(pk=task.pk).exists():
            continue
        key = uuid.uuid4()
        payload = {"event": EVENT_TASK_OFFERED, "id": str(key),
                   "created_at": timezone.now(), "task": task_summary(task)}
        delivery = WebhookDelivery.objects.create(
            webhook=hook, task=task, event=EVENT_TASK_OFFERED, key=key,
            payload=json.loads(json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False)))
        from .tasks import webhook_deliver_task

        enqueue_on_commit(webhook_deliver_task, delivery.pk)
        created.append(delivery)
    return created


def _on_task_created(sender, instance, created, raw=False, **kwargs) -> None:
    from engine.models import TaskStatus

    if created and not raw and instance.status == TaskStatus.OPEN:
        task_offered_record(instance)


# ---------------------------------------------------------------------------------------------
# Delivery (Celery)


def _post(hook: Webhook, delivery: WebhookDelivery) -> requests.Response:
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    return requests.post(hook.url, data=body, timeout=TIMEOUT, allow_redirects=False, headers={
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "minzheng-webhook/1",
        EVENT_HEADER: delivery.event,
        DELIVERY_HEADER: str(delivery.key),
        "Idempotency-Key": str(delivery.key),
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(hook.secret, timestamp, body),
    })


def webhook_delivery_send(*, delivery_pk: int, final: bool) -> str:
    """Make one attempt. Idempotent: a delivery already sent (or failed for good) is left
    alone. The attempt, the answer's status and any error are recorded; a failure raises
    ``WebhookFailed`` for the Celery task to retry, unless ``final`` (then it is marked
    failed, and shown as such on the supervisor's token page). Returns the status."""
    error = None
    with transaction.atomic():
        # The row lock keeps a redelivered task from sending at the same time; skip_locked:
        # the other worker is on it.
        delivery = (WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("webhook__token__user")
                    .filter(pk=delivery_pk, status=WebhookDeliveryStatus.PENDING).first())
        if delivery is None:
            return WebhookDelivery.objects.filter(pk=delivery_pk).values_list(
                "status", flat=True).first() or ""
        hook = delivery.webhook
        delivery.attempts += 1
        if not hook.active or hook.token.revoked_at is not None \
                or not hook.token.user.is_active:
            delivery.status = WebhookDeliveryStatus.FAILED
            delivery.last_error = "Webhook 已停用或令牌已撤销，未发送"
        else:
            try:
                refused = address_refused(hook.url)
                if refused:
                    raise WebhookFailed(refused)
                response = _post(hook, delivery)
                delivery.last_status_code = response.status_code
                if not 200 <= response.status_code < 300:
                    raise WebhookFailed(f"接收方返回 HTTP {response.status_code}")
            except (requests.RequestException, WebhookFailed) as exc:
                logger.warning("webhook delivery %s to %s failed: %s", delivery.pk, hook.url,
                               exc)
                error = exc
                delivery.last_error = (str(exc) if isinstance(exc, WebhookFailed)
                                       else f"无法送达（{type(exc).__name__}）：{exc}")[:2000]
                if final:
                    delivery.status = WebhookDeliveryStatus.FAILED
            else:
                delivery.status = WebhookDeliveryStatus.SENT
                delivery.sent_at = timezone.now()
                delivery.last_error = ""
        delivery.save(update_fields=["attempts", "status", "last_error", "last_status_code",
                                     "sent_at"])
    if error is not None and not final:
        raise WebhookFailed(str(error)) from error
    return delivery.status


def webhook_sweep(*, now=None, after: timedelta = REQUEUE_AFTER, limit: int = 500) -> int:
    """Hand again every pending delivery last handed over (or made) longer ago than
    ``after``: lost with a broker that was down, or with a worker killed mid-task."""
    from .tasks import webhook_deliver_task

    now = now or timezone.now()
    pending = (WebhookDelivery.objects.filter(status=WebhookDeliveryStatus.PENDING)
               .filter(Q(enqueued_at__lte=now - after)
                       | Q(enqueued_at__isnull=True, created_at__lte=now - after))
               .order_by("pk").values_list("pk", flat=True)[:limit])
    handed = 0
    for pk in list(pending):
        WebhookDelivery.objects.filter(pk=pk).update(enqueued_at=now)
        handed += enqueue(webhook_deliver_task, pk)
    if handed:
        logger.info("webhook sweep handed %s deliveries", handed)
    return handed


# ---------------------------------------------------------------------------------------------
# Reads


def hooks_of_tokens(tokens) -> dict[int, Webhook]:
    return {h.token_id: h for h in Webhook.objects.filter(token__in=tokens)}


def deliveries_of_hook(hook: Webhook, *, limit: int = 20) -> list[WebhookDelivery]:
    return list(hook.deliveries.order_by("-created_at", "-pk")[:limit])

