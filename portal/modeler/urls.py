from django.urls import path

from . import views

app_name = "modeler"

urlpatterns = [
    path("", views.procedure_index, name="index"),
    path("camunda-mapping/", views.camunda_mapping, name="camunda_mapping"),
    path("library/new/", views.library_upload, name="library_upload"),
    path("library/<int:pk>/", views.library_diagram, name="library_diagram"),
    path("<slug:key>/", views.editor, name="editor"),
    path("<slug:key>/draft/", views.draft_save, name="draft_save"),
    path("<slug:key>/draft/discard/", views.draft_discard, name="draft_discard"),
    path("<slug:key>/validate/", views.validate, name="validate"),
    path("<slug:key>/layout/", views.layout, name="layout"),
    path("<slug:key>/camunda/", views.camunda_import_view, name="camunda_import"),
    path("<slug:key>/dry-run/", views.dry_run_view, name="dry_run"),
    path("<slug:key>/deploy/", views.deploy, name="deploy"),
    path("<slug:key>/versions/", views.versions, name="versions"),
    path("<slug:key>/versions/<int:version>/rollback/", views.rollback, name="rollback"),
    path("<slug:key>/migrate/", views.migrate, name="migrate"),
]
