from django.utils.translation import gettext_lazy as _

from .problems import CONTENT_TYPE, problem


class MethodNotAllowedProblemMiddleware:
    """ninja answers a method a path does not have with plain text; the API promises problem+json."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 405
            and request.path.startswith("/api/")
            and response.get("Content-Type") != CONTENT_TYPE
        ):
            allowed = response.get("Allow", "")
            return problem(
                405,
                "method_not_allowed",
                _("Diese Methode gibt es für diese Adresse nicht."),
                headers={"Allow": allowed},
            )
        return response
