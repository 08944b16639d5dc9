"""The API against its own OpenAPI schema (schemathesis, bounded examples), for a township
clerk's token (who may act on tasks): no 5xx, every status code and content type documented,
every body matching its documented schema (the shared Error shape for refusals), and input
the schema forbids refused.

Not run: ``ignored_auth`` — the schema also declares the browser's session cookie, so
schemathesis adds a made-up cookie beside the valid token and then counts the token's 200 as
"invalid auth accepted" (tests/api/test_api.py covers bad and revoked tokens); and the
stateful checks (``use_after_free``, ``ensure_resource_availability``), which need links."""
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application

pytestmark = pytest.mark.django_db

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance, negative_data_rejection]


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
@settings(max_examples=6, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, token):
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
