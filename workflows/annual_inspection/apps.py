from django.apps import AppConfig


class AnnualInspectionConfig(AppConfig):
    name = "workflows.annual_inspection"
    label = "annual_inspection"
