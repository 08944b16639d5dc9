"""The county supervisor's API tokens and webhooks (接口令牌与 Webhook): issue, list and
revoke tokens of the county's service accounts, and set each token's webhook. A token and a
webhook secret are shown once, on the page answering the request that made them (never put
in a message or a redirect). Views: access, one service call, render or redirect."""
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from api.selectors import tokens_of_county
from api.services import api_token_create, api_token_revoke
from api.webhooks import (
    deliveries_of_hook,
    hooks_of_tokens,
    webhook_remove,
    webhook_secret_renew,
    webhook_set,
)
from engine.errors import ActionRefused

from .forms_tokens import ApiTokenForm, WebhookActionForm, WebhookForm
from .selectors import county_supervised_or_403


def _page(request, county, *, form=None, shown=None, status=200):
    tokens = list(tokens_of_county(county))
    hooks = hooks_of_tokens(tokens)
    rows = []
    for token in tokens:
        hook = hooks.get(token.pk)
        rows.append({"token": token, "hook": hook,
                     "deliveries": deliveries_of_hook(hook) if hook else [],
                     "hook_form": WebhookForm(prefix=f"hook{token.pk}", initial={
                         "url": hook.url if hook else "",
                         "active": hook.active if hook else True})})
    return render(request, "portal/api_tokens.html", {
        "county": county, "rows": rows, "form": form or ApiTokenForm(), "shown": shown,
    }, status=status)


@login_required
def api_tokens(request):
    county = county_supervised_or_403(request.user)
    if request.method != "POST":
        return _page(request, county)
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _page(request, county, form=form, status=400)
    user = get_user_model().objects.filter(username=form.cleaned_data["username"]).first()
    try:
        if user is None:
            raise ActionRefused("账号不存在")
        token, raw = api_token_create(user=user, label=form.cleaned_data["label"],
                                      created_by=request.user, county=county)
    except (ActionRefused, PermissionDenied) as exc:
        form.add_error(None, str(exc))
        return _page(request, county, form=form, status=400)
    return _page(request, county, shown={"what": "令牌", "label": token.label, "value": raw})


@login_required
@require_POST
def api_token_revoke_view(request, pk):
    county = county_supervised_or_403(request.user)
    token = api_token_revoke(token_pk=pk, revoked_by=request.user, county=county)
    messages.success(request, f"已撤销令牌“{token.label}”，使用它的请求即刻被拒绝")
    return redirect("portal:api_tokens")


@login_required
@require_POST
def api_token_webhook(request, pk):
    county = county_supervised_or_403(request.user)
    action = WebhookActionForm(request.POST)
    if not action.is_valid():
        messages.error(request, "操作不正确")
        return redirect("portal:api_tokens")
    try:
        if action.cleaned_data["action"] == "remove":
            webhook_remove(token_pk=pk, by=request.user, county=county)
            messages.success(request, "已删除 Webhook")
            return redirect("portal:api_tokens")
        if action.cleaned_data["action"] == "renew":
            hook, secret = webhook_secret_renew(token_pk=pk, by=request.user, county=county)
        else:
            form = WebhookForm(request.POST, prefix=f"hook{pk}")
            if not form.is_valid():
                raise ActionRefused("；".join(m for ms in form.errors.values() for m in ms))
            hook, secret = webhook_set(token_pk=pk, url=form.cleaned_data["url"],
                                       active=form.cleaned_data["active"], by=request.user,
                                       county=county)
    except ActionRefused as exc:
        messages.error(request, str(exc))
        return redirect("portal:api_tokens")
    if secret is None:
        messages.success(request, "Webhook 已保存")
        return redirect("portal:api_tokens")
    return _page(request, county, shown={"what": "Webhook 签名密钥", "label": hook.token.label,
                                         "value": secret})
