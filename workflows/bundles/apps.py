from django.apps import AppConfig


class BundlesConfig(AppConfig):
    name = "workflows.bundles"
    label = "bundles"
