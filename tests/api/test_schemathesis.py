"""The API against its own OpenAPI schema (schemathesis, bounded examples): no 5xx and every
answer at least a refusal, for a township clerk's token (who may act on tasks)."""
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from config.wsgi import application

pytestmark = pytest.mark.django_db

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@pytest.fixture
def token(demo, township_staff):
    # Raw WSGI calls (unlike Django's test client) close the connection after each request,
    # which would end the test's transaction.
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    from api.services import api_token_create

    yield api_token_create(user=township_staff, label="模糊测试")[1]
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=4, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, token):
    # No 5xx for any generated input. (Full conformance — call_and_validate — still finds
    # 400 bodies of DRF's own shape and Django's HTML 404 for paths no route matches.)
    response = case.call(headers={"Authorization": f"Token {token}"})
    assert response.status_code < 500, (case.as_curl_command(), response.text[:500])
