"""Refusals become 400/403/404/409 with a Chinese message, never a 500."""
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from engine.errors import ActionRefused
from engine.services import RuntimeFailure, TaskAlreadyHandled

logger = logging.getLogger(__name__)

# What a caller sees when a diagram fails while running: never the expression.
CONFIGURATION_ERROR_MESSAGE = "系统配置错误，已通知管理员，请稍后再试。"


def api_exception_handler(exc, context):
    if isinstance(exc, TaskAlreadyHandled):
        return Response({"detail": str(exc) or "该任务已被办理"}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, ActionRefused):
        return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RuntimeFailure):
        from portal.errors import failure_detail

        logger.warning("API: a diagram failed: %s", exc)
        request = context.get("request")
        return Response(failure_detail(user=getattr(request, "user", None), error=str(exc)),
                        status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ValidationError):
        return Response({"detail": "；".join(exc.messages)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404) and not exc.args:
        exc = Http404("不存在")
    if isinstance(exc, PermissionDenied) and not exc.args:
        exc = PermissionDenied("无权执行该操作")
    return exception_handler(exc, context)
