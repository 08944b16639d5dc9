"""Celery adapters of the API app: take IDs, call one service, safe to run twice."""
import logging

import requests

from celery import shared_task
from celery.signals import worker_ready


@shared_task(bind=True, name="api.tasks.webhook_deliver_task", time_limit=60,
             soft_time_limit=50, max_retries=5)  # MAX_RETRIES of api.webhooks
def webhook_deliver_task(self, delivery_pk: int) -> str:
    """POST one webhook delivery. A failure retries with exponential backoff (1, 2, 4, 8,
    16 minutes); after the last retry the delivery is marked failed. Idempotent: a delivery
    already sent is not sent again (and the receiver sees the same idempotency key)."""
    from .webhooks import WebhookFailed, retry_countdown, webhook_delivery_send

    if self.request.is_eager:
        # Eager mode (embedded demo, unit tests): no broker to schedule a retry on; retry in
        # place, as engine.tasks.notification_deliver_task does — but not after a receiver
        # that did not answer in time: the clerk's request would wait on it again and again.
        # That delivery stays pending for webhook_sweep (beat) to hand again.
        for attempt in range(self.max_retries + 1):
            try:
                return webhook_delivery_send(delivery_pk=delivery_pk,
                                             final=attempt >= self.max_retries)
            except WebhookFailed as exc:
                if isinstance(exc.__cause__, requests.Timeout):
                    return "pending"
                continue
    retries = self.request.retries
    try:
        return webhook_delivery_send(delivery_pk=delivery_pk, final=retries >= self.max_retries)
    except WebhookFailed as exc:
        raise self.retry(exc=exc, countdown=retry_countdown(retries)) from exc


@shared_task(name="api.tasks.webhook_sweep_task", time_limit=120, soft_time_limit=100)
def webhook_sweep_task() -> int:
    """Periodic sweep (Celery beat): hand again webhook deliveries still pending."""
    from .webhooks import webhook_sweep

    return webhook_sweep()


@worker_ready.connect
def _sweep_at_worker_start(**kwargs) -> None:
    from datetime import timedelta

    from .webhooks import webhook_sweep

    try:
        webhook_sweep(after=timedelta(minutes=1))
    except Exception:  # noqa: BLE001 - a failed sweep must not stop the worker starting
        logging.getLogger(__name__).exception("webhook sweep at worker start failed")
