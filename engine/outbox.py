"""Work handed to Celery is driven from the database, so a broker fault never loses it.

A pending ``Document`` (its PDF not rendered yet) and a pending ``NotificationDelivery`` are
rows written in the deciding transaction: they are the outbox. After the commit the engine
hands each to the broker once (``enqueue_on_commit``); if the broker is down that only logs a
warning — the decision stands and the clerk sees no error. ``outbox_sweep`` (Celery beat every
minute, ``run_timers`` in the embedded demo, and every worker at start-up) hands again
whatever is still pending after a grace period: messages lost with a stopped broker, or left
unacknowledged by a worker killed mid-task. The tasks are idempotent (a document already
rendered or a delivery already sent is left alone), so a message handed twice does no harm.
"""
import logging
from datetime import timedelta

import kombu.exceptions
import redis.exceptions
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

logger = logging.getLogger(__name__)

BROKER_ERRORS = (kombu.exceptions.OperationalError, redis.exceptions.ConnectionError,
                 redis.exceptions.TimeoutError, ConnectionError, TimeoutError, OSError)
# A document is rendered within seconds; one still pending after this was lost on the way.
DOCUMENT_REQUEUE_AFTER = timedelta(minutes=3)
# Longer than the longest retry countdown of a delivery (16 minutes), so a delivery waiting
# for its retry is not sent early.
DELIVERY_REQUEUE_AFTER = timedelta(minutes=20)


def enqueue(task, *args) -> bool:
    """Hand one task to the broker; False (and a warning) when the broker cannot take it."""
    try:
        # retry=False: fail fast instead of holding the caller while the broker is down; the
        # sweep hands the work again later.
        task.apply_async(args=args, retry=False)
    except BROKER_ERRORS as exc:
        logger.warning("broker unavailable, %s%s stays pending in the database: %s",
                       task.name, args, exc)
        return False
    return True


def enqueue_on_commit(task, *args) -> None:
    """``enqueue`` once the surrounding transaction commits (nothing for a rolled-back one).
    robust: whatever happens while handing it over, the committed decision is not undone and
    the request that made it does not fail."""
    def hand_over() -> None:
        enqueue(task, *args)

    # Django names a robust callback that raised in its log line (``__qualname__``).
    hand_over.__qualname__ = f"enqueue({task.name}{args})"
    transaction.on_commit(hand_over, robust=True)


def outbox_sweep(*, now=None, document_after: timedelta = DOCUMENT_REQUEUE_AFTER,
                 delivery_after: timedelta = DELIVERY_REQUEUE_AFTER, limit: int = 500) -> dict:
    """Hand again every document still pending and every delivery still pending that was last
    handed over (or created) longer ago than the grace period. Returns the counts handed."""
    from .models import DeliveryStatus, Document, DocumentStatus, NotificationDelivery
    from .tasks import document_render_task, notification_deliver_task

    now = now or timezone.now()
    handed = {"documents": 0, "deliveries": 0}
    documents = (Document.objects.filter(status=DocumentStatus.PENDING)
                 .annotate(last=Coalesce("enqueued_at", "created_at"))
                 .filter(last__lte=now - document_after).order_by("pk")
                 .values_list("pk", flat=True)[:limit])
    for pk in list(documents):
        Document.objects.filter(pk=pk).update(enqueued_at=now)
        handed["documents"] += enqueue(document_render_task, pk)
    deliveries = (NotificationDelivery.objects.filter(status=DeliveryStatus.PENDING)
                  .filter(Q(enqueued_at__lte=now - delivery_after) |
                          Q(enqueued_at__isnull=True,
                            notification__created_at__lte=now - delivery_after))
                  .order_by("pk").values_list("pk", flat=True)[:limit])
    for pk in list(deliveries):
        NotificationDelivery.objects.filter(pk=pk).update(enqueued_at=now)
        handed["deliveries"] += enqueue(notification_deliver_task, pk)
    if any(handed.values()):
        logger.info("outbox sweep handed %s", handed)
    return handed


__all__ = ["BROKER_ERRORS", "enqueue", "enqueue_on_commit", "outbox_sweep"]
