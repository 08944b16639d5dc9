from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The REST API: a thin layer over the same engine and workflow services as the portal."""

    name = "api"
    verbose_name = "接口"
