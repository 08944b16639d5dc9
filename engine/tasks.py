"""Celery adapters: take IDs, call one service, safe to run twice (redelivery happens)."""
from celery import shared_task


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
