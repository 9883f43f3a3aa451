"""Error pages in German, without internals; under ``/api/`` the same as problem+json."""

from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

API_PREFIX = "/api/"


def _api_problem(request, status: int, code: str, message):
    if not request.path.startswith(API_PREFIX):
        return None
    from kreiswerk.api.problems import problem

    return problem(status, code, message)


def error_400(request, exception=None):
    return _api_problem(request, 400, "bad_request", _("Die Anfrage ist ungültig.")) or render(
        request, "errors/400.html", status=400
    )


def error_403(request, exception=None):
    return _api_problem(request, 403, "forbidden", _("Dafür fehlt die Berechtigung.")) or render(
        request, "errors/403.html", status=403
    )


def error_404(request, exception=None):
    return _api_problem(request, 404, "not_found", _("Diese Adresse gibt es in der API nicht.")) or render(
        request, "errors/404.html", status=404
    )


def error_500(request):
    message = _("Ein interner Fehler ist aufgetreten. Bitte versuchen Sie es später noch einmal.")
    return _api_problem(request, 500, "server_error", message) or render(request, "errors/500.html", status=500)


def csrf_failure(request, reason=""):
    return _api_problem(request, 403, "forbidden", _("Dafür fehlt die Berechtigung.")) or render(
        request, "errors/csrf.html", status=403
    )
