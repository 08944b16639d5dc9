from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The REST API: a thin layer over the same engine and workflow services as the portal."""

    name = "api"
    verbose_name = "接口"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from engine.models import HumanTask

        from .webhooks import _on_task_created

        # Webhooks (api.webhooks): a task row created in an engine advance writes its
        # deliveries in the same transaction; the engine does not know the API exists.
        post_save.connect(_on_task_created, sender=HumanTask,
                          dispatch_uid="api.webhooks.task_offered")
