from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from . import views
from .errors import not_found

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("procedures/", views.ProcedureListView.as_view(), name="procedures"),
    path("procedures/<slug:procedure_key>/", views.ProcedureDetailView.as_view(),
         name="procedure"),
    path("procedures/<slug:procedure_key>/applications/", views.ApplicationCreateView.as_view(),
         name="apply"),
    path("cases/", views.CaseListView.as_view(), name="cases"),
    path("cases/<int:pk>/", views.CaseDetailView.as_view(), name="case"),
    path("tasks/", views.TaskListView.as_view(), name="tasks"),
    path("tasks/outbox/", views.OutboxView.as_view(), name="outbox"),
    path("tasks/<int:pk>/", views.TaskDetailView.as_view(), name="task"),
    path("tasks/<int:pk>/claim/", views.TaskClaimView.as_view(), name="task_claim"),
    path("tasks/<int:pk>/release/", views.TaskReleaseView.as_view(), name="task_release"),
    path("tasks/<int:pk>/complete/", views.TaskCompleteView.as_view(), name="task_complete"),
    path("tasks/<int:pk>/return/", views.TaskReturnView.as_view(), name="task_return"),
    path("tasks/<int:pk>/return-to-applicant/", views.TaskReturnToApplicantView.as_view(),
         name="task_return_to_applicant"),
    path("tasks/<int:pk>/transfer/", views.TaskTransferView.as_view(), name="task_transfer"),
    path("tasks/<int:pk>/delegate/", views.TaskDelegateView.as_view(), name="task_delegate"),
    path("tasks/<int:pk>/add-signer/", views.TaskSignerAddView.as_view(),
         name="task_add_signer"),
    path("tasks/<int:pk>/remove-signer/", views.TaskSignerRemoveView.as_view(),
         name="task_remove_signer"),
    path("attachments/<uuid:uuid>/", views.AttachmentDownloadView.as_view(), name="attachment"),
    path("documents/verify/", views.DocumentUploadVerifyView.as_view(),
         name="document_upload_verify"),
    path("documents/<uuid:uuid>/", views.DocumentDetailView.as_view(), name="document"),
    path("documents/<uuid:uuid>/pdf/", views.DocumentPdfView.as_view(), name="document_pdf"),
    path("documents/<uuid:uuid>/verify/", views.DocumentVerifyView.as_view(),
         name="document_verify"),
    path("webhook/", views.OwnWebhookView.as_view(), name="webhook"),
    path("tokens/", views.TokenListView.as_view(), name="tokens"),
    path("tokens/<int:pk>/revoke/", views.TokenRevokeView.as_view(), name="token_revoke"),
    # Last: any other path under /api/ (e.g. a non-numeric id) is a JSON 404, never the
    # site's HTML page (api.errors).
    re_path(r"^.*$", not_found),
]
