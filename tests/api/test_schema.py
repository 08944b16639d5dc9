"""The schema speaks Chinese and documents its errors; every answer under /api/ is JSON."""
import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")


def _texts(node, path=""):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("description", "summary") and isinstance(value, str):
                yield f"{path}/{key}", value
            yield from _texts(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _texts(value, f"{path}[{i}]")


def test_every_description_is_chinese_and_every_refusal_has_the_error_shape(demo):
    schema = Client().get("/api/schema/", {"format": "json"}).json()
    english = [(where, text) for where, text in _texts(schema) if not CJK.search(text)]
    assert not english, english
    error = schema["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"detail", "errors"} and error["required"] == ["detail"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), (method, path)
            for parameter in operation.get("parameters", []):
                assert CJK.search(parameter.get("description", "")), (method, path, parameter)
            for code, response in operation["responses"].items():
                if code.startswith("4"):
                    [content] = response["content"].values()
                    assert content["schema"] == {"$ref": "#/components/schemas/Error"}, \
                        (method, path, code)
            if path != "/api/documents/{uuid}/verify/" and not path.startswith(
                    ("/api/schema", "/api/docs", "/api/redoc")):
                assert "403" in operation["responses"], (method, path)


@pytest.mark.parametrize("method,path", [
    ("get", "/api/nothing-here/"), ("get", "/api/cases/abc/"), ("post", "/api/tasks/x/claim/"),
    ("delete", "/api/cases/"), ("get", "/api/cases"),
])
def test_unrouted_paths_answer_json(demo, township_staff, method, path):
    client = Client(enforce_csrf_checks=True)
    client.force_login(township_staff)
    response = getattr(client, method)(path)
    assert response["Content-Type"].startswith("application/json")
    assert response.status_code in (403, 404, 405) and response.json()["detail"]


def test_query_errors_have_the_shared_shape(demo, township_staff):
    client = Client()
    client.force_login(township_staff)
    for query in ({"limit": "0"}, {"limit": ""}, {"offset": "1.0"}, {"limit": "abc"}):
        response = client.get("/api/cases/", query)
        assert response.status_code == 400, query
        body = response.json()
        assert "limit" in body["errors"] or "offset" in body["errors"]
        assert body["detail"].startswith("请求参数有误")
    body = client.post("/api/tasks/1/return/", "[1, 2]", content_type="application/json").json()
    assert body["detail"] and isinstance(body["detail"], str)


def test_pages_outside_the_api_keep_their_html_404(demo):
    response = Client().get("/no-such-page/")
    assert response.status_code == 404 and "text/html" in response["Content-Type"]
