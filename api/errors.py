"""Every answer of ``/api/`` is JSON of one shape, ``{"detail": "<中文原因>", "errors": {...}}``
(``errors`` only for a body or query that failed validation, field by field): refusals of the
services become 400/403/404/409 with a Chinese message, never a 500; DRF's own validation
errors are reshaped to it; a path no route matches answers a JSON 404 (``not_found``), and
Django's error handlers answer JSON under ``/api/`` (``handler400`` … ``handler500``)."""
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from engine.errors import ActionRefused
from engine.services import RuntimeFailure, TaskAlreadyHandled

logger = logging.getLogger(__name__)

NOT_FOUND_MESSAGE = "接口不存在"
API_PREFIX = "/api/"


def _messages(value) -> list[str]:
    if isinstance(value, dict):
        return [m for v in value.values() for m in _messages(v)]
    if isinstance(value, (list, tuple)):
        return [m for v in value for m in _messages(v)]
    return [str(value)]


def validation_body(detail) -> dict:
    """DRF's ``ValidationError.detail`` (a dict of fields, a list, or a string) in the API's
    error shape."""
    if isinstance(detail, dict) and set(detail) != {"detail"}:
        errors = {str(name): _messages(value) for name, value in detail.items()}
        summary = "；".join(f"{name}：{messages[0]}" for name, messages in errors.items()
                           if messages)
        return {"detail": f"请求参数有误：{summary}", "errors": errors}
    return {"detail": "；".join(_messages(detail)) or "请求有误"}


def api_exception_handler(exc, context):
    if isinstance(exc, TaskAlreadyHandled):
        return Response({"detail": str(exc) or "该任务已被办理"}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, ActionRefused):
        return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RuntimeFailure):
        # A diagram failed on a path the view did not catch: the caller is never shown the
        # engine's text (staff get it as technical_detail), the county's supervisors are told.
        from portal.errors import county_of, engine_failure, failure_detail

        request = context.get("request")
        user = getattr(request, "user", None)
        engine_failure(user=user, county=county_of(user),
                       where=f"接口 {getattr(request, 'path', '')}", error=str(exc))
        return Response(failure_detail(user=user, error=str(exc)),
                        status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ValidationError):
        return Response({"detail": "；".join(exc.messages)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, drf_exceptions.ValidationError):
        return Response(validation_body(exc.detail), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404) and not exc.args:
        exc = Http404("不存在")
    if isinstance(exc, PermissionDenied) and not exc.args:
        exc = PermissionDenied("无权执行该操作")
    response = exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"detail": str(response.data["detail"])}
    return response


@csrf_exempt  # a 404 for every method, not the CSRF failure page
def not_found(request, *args, **kwargs):
    """The last route under ``/api/``: any path no other route matches (e.g. a non-numeric
    id), for any method."""
    return JsonResponse({"detail": NOT_FOUND_MESSAGE}, status=404,
                        json_dumps_params={"ensure_ascii": False})


def _under_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def _json(message: str, code: int) -> JsonResponse:
    return JsonResponse({"detail": message}, status=code,
                        json_dumps_params={"ensure_ascii": False})


# Django's own error views (config/urls.py): JSON under /api/, the site's pages elsewhere.
def handler400(request, exception=None):
    if _under_api(request):
        return _json("请求有误", 400)
    return defaults.bad_request(request, exception)


def handler403(request, exception=None):
    if _under_api(request):
        return _json(str(exception) if exception and exception.args else "无权执行该操作", 403)
    return defaults.permission_denied(request, exception)


def handler404(request, exception=None):
    if _under_api(request):
        return _json(NOT_FOUND_MESSAGE, 404)
    return defaults.page_not_found(request, exception)


def handler500(request):
    if _under_api(request):
        return _json("服务器内部错误，已记录，请稍后再试", 500)
    return defaults.server_error(request)
