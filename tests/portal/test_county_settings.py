"""The county edits its holiday calendar, 低保 standard and township quotas."""
from dataclasses import replace

import pytest
from django.urls import reverse
from django.utils import timezone

from engine.models import AuditAction, AuditEntry, Quota, Unit
from workflows import registry

pytestmark = pytest.mark.django_db

URL = reverse("portal:county_settings")


@pytest.fixture
def quota_procedure(monkeypatch):
    """A registered procedure declaring a quota (restored after the test)."""
    procedure = replace(registry.procedure_get("temporary_relief"), key="quota_demo",
                        quotas=(("quota_demo", "演示名额"),))
    monkeypatch.setitem(registry._PROCEDURES, "quota_demo", procedure)
    return procedure


def test_supervisor_edits_calendar_and_dibao(client, supervisor, demo):
    client.force_login(supervisor)
    assert "本县设置" in client.get(reverse("portal:inbox")).content.decode()
    response = client.post(URL, {"holidays": "2026-10-09\n2026-10-09, 2026-12-31",
                                 "workdays": "", "dibao_monthly": "1100"})
    assert response.status_code == 302
    demo.refresh_from_db()
    assert demo.settings["holidays"] == ["2026-10-09", "2026-12-31"]
    assert demo.settings["dibao_monthly"] == 1100
    assert AuditEntry.objects.filter(action=AuditAction.SETTINGS, actor=supervisor).exists()


def test_bad_dates_come_back_with_a_chinese_error(client, supervisor, demo):
    client.force_login(supervisor)
    response = client.post(URL, {"holidays": "2026-13-01", "workdays": "",
                                 "dibao_monthly": "1100"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "格式不对" in page and "2026-13-01" in page
    demo.refresh_from_db()
    assert demo.settings["holidays"] == []


def test_county_sets_township_quota(client, supervisor, demo, quota_procedure):
    client.force_login(supervisor)
    township = Unit.objects.get(name="罗店镇")
    assert "演示名额" in client.get(URL).content.decode()
    client.post(reverse("portal:county_quota_set", args=["quota_demo", township.pk]),
                {"capacity": "50"})
    quota = Quota.objects.get(key="quota_demo", unit=township)
    assert quota.capacity == 50 and quota.year == timezone.localdate().year


@pytest.mark.parametrize("persona", ["county_leader", "township_staff", "applicant", "outsider"])
def test_others_may_not_edit_county_settings(client, request, persona, demo):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(URL).status_code == 403
    township = Unit.objects.get(name="罗店镇")
    response = client.post(reverse("portal:county_quota_set", args=["x", township.pk]),
                           {"capacity": "5"})
    assert response.status_code == 403
