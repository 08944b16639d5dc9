from django.apps import AppConfig


class CemeteryConfig(AppConfig):
    name = "workflows.cemetery"
    label = "cemetery"
