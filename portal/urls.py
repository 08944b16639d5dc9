from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import verification, views
from .forms import LoginForm

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(
        template_name="portal/login.html", authentication_form=LoginForm,
        redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("register/", views.register, name="register"),
    path("apply/", views.procedure_index, name="procedures"),
    path("apply/<slug:procedure_key>/", views.apply, name="apply"),
    path("tasks/", views.inbox, name="inbox"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("tasks/<int:pk>/claim/", views.task_claim_view, name="task_claim"),
    path("tasks/<int:pk>/release/", views.task_release_view, name="task_release"),
    path("cases/", views.case_list, name="cases"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/withdraw/", views.case_withdraw, name="case_withdraw"),
    path("my/", views.my_applications, name="my"),
    path("documents/<uuid:uuid>/", views.document_download, name="document"),
    path("attachments/<uuid:uuid>/", views.attachment_download, name="attachment"),
    path("verify/<uuid:uuid>/", verification.verify, name="verify"),
    path("county/settings/", views.county_settings, name="county_settings"),
    path("county/quotas/<slug:key>/<int:township_pk>/", views.county_quota_set,
         name="county_quota_set"),
]


# Procedures' own pages (see workflows.registry.Procedure.urls).
def procedure_urlpatterns():
    from workflows.registry import procedure_list

    return [path(f"p/{p.key}/", include(p.urls)) for p in procedure_list() if p.urls]
