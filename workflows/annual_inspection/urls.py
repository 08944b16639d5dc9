from django.urls import path

from . import views

app_name = "annual_inspection"

urlpatterns = [
    path("", views.campaign, name="campaign"),
    path("spot-checks/", views.spot_checks, name="spot_checks"),
]
