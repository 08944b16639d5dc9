from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy

from . import verification, views, views_actions, views_tokens
from .forms import LoginForm, SetPasswordForm

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(
        template_name="portal/login.html", authentication_form=LoginForm,
        redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("register/", views.register, name="register"),
    # One-time link printed by manage.py bootstrap_county (Django's password-reset token).
    path("password/set/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(
        template_name="portal/password_set.html", form_class=SetPasswordForm,
        success_url=reverse_lazy("portal:password_set_done")), name="password_set"),
    path("password/set/done/", auth_views.PasswordResetCompleteView.as_view(
        template_name="portal/password_set_done.html"), name="password_set_done"),
    path("apply/", views.procedure_index, name="procedures"),
    path("apply/<slug:procedure_key>/", views.apply, name="apply"),
    path("tasks/", views.inbox, name="inbox"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("tasks/<int:pk>/claim/", views.task_claim_view, name="task_claim"),
    path("tasks/<int:pk>/release/", views.task_release_view, name="task_release"),
    path("tasks/<int:pk>/return/", views_actions.task_return_view, name="task_return"),
    path("tasks/<int:pk>/return-to-applicant/", views_actions.task_return_to_applicant_view,
         name="task_return_to_applicant"),
    path("tasks/<int:pk>/transfer/", views_actions.task_transfer_view, name="task_transfer"),
    path("tasks/<int:pk>/delegate/", views_actions.task_delegate_view, name="task_delegate"),
    path("tasks/<int:pk>/add-signer/", views_actions.task_add_signer_view,
         name="task_add_signer"),
    path("tasks/<int:pk>/remove-signer/", views_actions.task_remove_signer_view,
         name="task_remove_signer"),
    path("cases/<int:pk>/take-back/", views_actions.case_take_back_view, name="case_take_back"),
    path("cases/<int:pk>/state/<slug:action>/", views_actions.case_state_view,
         name="case_state"),
    path("substitutes/", views_actions.substitutes_view, name="substitutes"),
    path("cases/", views.case_list, name="cases"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/withdraw/", views.case_withdraw, name="case_withdraw"),
    path("my/", views.my_applications, name="my"),
    path("documents/<uuid:uuid>/", views.document_download, name="document"),
    path("attachments/<uuid:uuid>/", views.attachment_download, name="attachment"),
    path("verify/", verification.verify_upload, name="verify_upload"),
    path("verify/<uuid:uuid>/", verification.verify, name="verify"),
    path("county/settings/", views.county_settings, name="county_settings"),
    path("county/quotas/<slug:key>/<int:township_pk>/", views.county_quota_set,
         name="county_quota_set"),
    path("county/api-tokens/", views_tokens.api_tokens, name="api_tokens"),
    path("county/api-tokens/<int:pk>/revoke/", views_tokens.api_token_revoke_view,
         name="api_token_revoke"),
    path("county/api-tokens/<int:pk>/webhook/", views_tokens.api_token_webhook,
         name="api_token_webhook"),
    path("modeler/", include("portal.modeler.urls", namespace="modeler")),
]


# Procedures' own pages (see workflows.registry.Procedure.urls).
def procedure_urlpatterns():
    from workflows.registry import procedure_list

    return [path(f"p/{p.key}/", include(p.urls)) for p in procedure_list() if p.urls]


# Notifications, 催办 and 抄送 (portal/views_notifications.py).
from . import views_notifications  # noqa: E402

urlpatterns += [
    path("notifications/", views_notifications.notification_list, name="notifications"),
    path("notifications/<int:pk>/open/", views_notifications.notification_open,
         name="notification_open"),
    path("notifications/read-all/", views_notifications.notification_read_all,
         name="notifications_read_all"),
    path("copies/", views_notifications.copy_list, name="copies"),
    path("copies/<int:pk>/open/", views_notifications.copy_open, name="copy_open"),
    path("cases/<int:pk>/urge/", views_notifications.case_urge_view, name="case_urge"),
    path("cases/<int:pk>/copy/", views_notifications.case_copy_view, name="case_copy"),
]

# 公示公告 (public, no login) and the staff's 登记异议 (portal/views_public.py).
from . import views_public  # noqa: E402

urlpatterns += [
    path("public/notices/", views_public.notice_list, name="public_notices"),
    path("public/notices/<uuid:uuid>/", views_public.notice_detail, name="public_notice"),
    path("cases/<int:pk>/notice-objection/", views_public.case_notice_objection,
         name="case_notice_objection"),
]

# 督办看板 (portal/dashboard.py).
from . import dashboard  # noqa: E402

urlpatterns += [
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/data/", dashboard.dashboard_data, name="dashboard_data"),
]

# Excel exports and registers (登记簿) (portal/exports.py).
from . import exports  # noqa: E402

urlpatterns += [
    path("cases/export/", exports.cases_export, name="cases_export"),
    path("tasks/export/", exports.inbox_export, name="inbox_export"),
    path("registers/<slug:procedure_key>/", exports.register, name="register_book"),
    path("registers/<slug:procedure_key>/export/", exports.register_export,
         name="register_export"),
]

# 节假日安排录入 (portal/views_calendar.py).
from . import views_calendar  # noqa: E402

urlpatterns += [
    path("county/calendar/", views_calendar.county_calendar, name="county_calendar"),
]

# 报县备案, document revocation, the township approval setting (portal/views_filings.py).
from . import views_filings  # noqa: E402

urlpatterns += [
    path("county/filings/", views_filings.filing_list, name="filings"),
    path("county/filings/<int:pk>/", views_filings.filing_detail, name="filing"),
    path("documents/<uuid:uuid>/revoke/", views_filings.document_revoke_view,
         name="document_revoke"),
    path("county/settings/township-approval/", views_filings.county_issuer_settings,
         name="county_issuer_settings"),
]
