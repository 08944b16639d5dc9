"""The county supervisor's page for API tokens and webhooks: a token and a webhook secret are
shown once; revoking stops the token at once; a failed webhook delivery is visible there."""
import re

import pytest
from django.test import Client

from api.models import ApiToken, Webhook, WebhookDeliveryStatus
from tests.processes import free_port
from tests.workflows.bundles.helpers import after_death_data, department_user, file_bundle

pytestmark = [pytest.mark.django_db,
              pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")]

URL = "/county/api-tokens/"


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _issue(client, label="公安户籍核查系统"):
    response = client.post(URL, {"username": "wucheng_dept_police", "label": label})
    assert response.status_code == 200, response.content.decode()[:2000]
    page = response.content.decode()
    raw = re.search(r'<code id="shown-value">([^<]+)</code>', page).group(1)
    return ApiToken.objects.get(label=label), raw


def test_issue_shows_the_token_once_and_revoke_stops_it(demo, supervisor, township_staff):
    client = _client(supervisor)
    assert "接口令牌与 Webhook" in client.get("/county/settings/").content.decode()
    token, raw = _issue(client)
    assert raw.startswith(token.prefix)
    api = Client(HTTP_AUTHORIZATION=f"Token {raw}")
    assert api.get("/api/tasks/").status_code == 200
    # The page reloaded after issuing (the form posted again): no second token.
    again = client.post(URL, {"username": "wucheng_dept_police", "label": "公安户籍核查系统"})
    assert again.status_code == 400 and "已有用途为" in again.content.decode()
    assert ApiToken.objects.filter(label="公安户籍核查系统").count() == 1
    page = client.get(URL).content.decode()
    assert raw not in page and f"{token.prefix}…" in page and "公安户籍核查系统" in page
    # Not an account of this county's roles, an empty label: refused with the reason.
    refused = client.post(URL, {"username": "no_such_user", "label": "x"})
    assert refused.status_code == 400 and "账号不存在" in refused.content.decode()
    assert client.post(URL, {"username": "wucheng_dept_police", "label": ""}).status_code == 400
    # Only the supervisor.
    assert _client(township_staff).get(URL).status_code == 403
    assert _client(township_staff).post(f"{URL}{token.pk}/revoke/").status_code == 403
    response = client.post(f"{URL}{token.pk}/revoke/", follow=True)
    assert "已撤销令牌" in response.content.decode()
    assert api.get("/api/tasks/").status_code == 403
    assert "已撤销" in client.get(URL).content.decode()


def test_webhook_set_secret_shown_once_and_failures_visible(
        demo, supervisor, applicant, village, django_capture_on_commit_callbacks):
    client = _client(supervisor)
    token, _ = _issue(client)
    prefix = f"hook{token.pk}"
    hook_url = f"{URL}{token.pk}/webhook/"
    bad = client.post(hook_url, {"action": "save", f"{prefix}-url": "ftp://x"}, follow=True)
    assert "http://" in bad.content.decode() and not Webhook.objects.exists()
    # Nothing listens on this port: every attempt fails.
    target = f"http://127.0.0.1:{free_port()}/hook"
    saved = client.post(hook_url, {"action": "save", f"{prefix}-url": target,
                                   f"{prefix}-active": "on"})
    assert saved.status_code == 200
    hook = Webhook.objects.get(token=token)
    assert hook.url == target and hook.active
    assert hook.secret in saved.content.decode()  # shown once ...
    assert hook.secret not in client.get(URL).content.decode()  # ... and not again
    renewed = client.post(hook_url, {"action": "renew"})
    old_secret = hook.secret
    hook.refresh_from_db()
    assert hook.secret != old_secret and hook.secret in renewed.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        file_bundle("after_death_bundle", after_death_data(village, death_type="unnatural",
                                                           wanted_items=[]), user=applicant)
    delivery = hook.deliveries.get()
    assert delivery.status == WebhookDeliveryStatus.FAILED and delivery.attempts == 6
    page = client.get(URL).content.decode()
    assert "发送失败" in page and "ConnectionError" in page
    # Switched off, then removed.
    client.post(hook_url, {"action": "save", f"{prefix}-url": target})
    hook.refresh_from_db()
    assert not hook.active
    client.post(hook_url, {"action": "remove"})
    assert not Webhook.objects.exists()
    assert department_user("公安").api_tokens.get().active
