"""The last net under every page: a diagram failure (``RuntimeFailure``) no view caught
becomes a Chinese page (engine text only for staff, collapsed), never a 500, and the county's
supervisors are told (``portal.errors``)."""
from django.shortcuts import render

from engine.runtime import RuntimeFailure

from .errors import county_of, engine_failure


class EngineFailureMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, RuntimeFailure):
            return None
        user = request.user if request.user.is_authenticated else None
        message = engine_failure(user=user, county=county_of(user), where=request.path,
                                 error=str(exception))
        return render(request, "portal/engine_error.html", {"message": message}, status=400)
