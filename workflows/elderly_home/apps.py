from django.apps import AppConfig


class ElderlyHomeConfig(AppConfig):
    name = "workflows.elderly_home"
    label = "elderly_home"
