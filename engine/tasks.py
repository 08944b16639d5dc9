"""Celery adapters: take IDs, call one service, safe to run twice (redelivery happens)."""
import logging

from celery import shared_task
from celery.signals import worker_ready


@shared_task(name="engine.tasks.timers_fire_due_task", time_limit=300, soft_time_limit=280)
def timers_fire_due_task() -> int:
    """Periodic sweep (Celery beat): fire every timer whose time has come."""
    from .services import timers_fire_due

    return timers_fire_due()


@shared_task(name="engine.tasks.document_render_task", time_limit=120, soft_time_limit=100,
             autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def document_render_task(document_pk: int) -> str:
    """Render a document's PDF. Idempotent: re-rendering keeps the number and content."""
    from .documents import document_render

    return document_render(document_pk=document_pk).status


@shared_task(bind=True, name="engine.tasks.notification_deliver_task", time_limit=60,
             soft_time_limit=50, max_retries=5)
def notification_deliver_task(self, delivery_pk: int) -> str:
    """Send one channel's delivery of a notification. A failure retries this channel alone
    with exponential backoff (1, 2, 4, 8, 16 minutes); after the last retry the delivery is
    marked failed. Idempotent: a delivery already sent is not sent again."""
    from .notifications import (
        DELIVERY_RETRY_BASE_SECONDS,
        DeliveryFailed,
        notification_delivery_send,
    )

    if self.request.is_eager:
        # Eager mode (the embedded demo, unit tests): there is no broker to schedule a retry
        # on, and Celery would raise the Retry into the web request. Retry in place instead.
        for attempt in range(self.max_retries + 1):
            try:
                return notification_delivery_send(delivery_pk=delivery_pk,
                                                  final=attempt >= self.max_retries)
            except DeliveryFailed:
                continue
    retries = self.request.retries
    try:
        return notification_delivery_send(delivery_pk=delivery_pk,
                                          final=retries >= self.max_retries)
    except DeliveryFailed as exc:
        raise self.retry(exc=exc, countdown=DELIVERY_RETRY_BASE_SECONDS * 2 ** retries) \
            from exc


@shared_task(name="engine.tasks.deadline_sweep_task", time_limit=300, soft_time_limit=280)
def deadline_sweep_task() -> dict:
    """Periodic sweep (Celery beat): deadline reminders and escalations of open tasks."""
    from .notifications import deadline_sweep

    return deadline_sweep()


@shared_task(name="engine.tasks.outbox_sweep_task", time_limit=120, soft_time_limit=100)
def outbox_sweep_task() -> dict:
    """Periodic sweep (Celery beat): hand again documents and deliveries still pending."""
    from .outbox import outbox_sweep

    return outbox_sweep()


@worker_ready.connect
def _sweep_at_worker_start(**kwargs) -> None:
    """A worker that starts (e.g. after one was killed mid-render) hands every pending render
    and delivery at once instead of waiting for the broker's visibility timeout."""
    from datetime import timedelta

    from .outbox import outbox_sweep

    try:
        outbox_sweep(document_after=timedelta(0))
    except Exception:  # noqa: BLE001 - a failed sweep must not stop the worker starting
        logging.getLogger(__name__).exception("outbox sweep at worker start failed")


@shared_task(name="engine.tasks.quota_grant_deliver_task", time_limit=60, soft_time_limit=50)
def quota_grant_deliver_task(case_pk: int) -> int:
    """Tell a case's workflow that it got a place from a quota's waiting list (候补递补).
    Idempotent: a grant already delivered is left alone."""
    from .services import quota_grant_deliver

    return quota_grant_deliver(case_pk=case_pk)
