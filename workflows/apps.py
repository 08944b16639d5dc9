from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "审批事项"

    def ready(self):
        # Each procedure registers its document types and forms with the registries.
        from . import procedures  # noqa: F401
