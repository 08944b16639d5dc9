"""Celery application: timers, PDF rendering and notifications run here."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("minzheng")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
