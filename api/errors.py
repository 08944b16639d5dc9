"""Refusals become 400/403/404/409 with a Chinese message, never a 500."""
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from engine.errors import ActionRefused
from engine.services import RuntimeFailure, TaskAlreadyHandled


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
    if isinstance(exc, Http404) and not exc.args:
        exc = Http404("不存在")
    if isinstance(exc, PermissionDenied) and not exc.args:
        exc = PermissionDenied("无权执行该操作")
    return exception_handler(exc, context)
