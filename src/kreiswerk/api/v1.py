"""The REST API, version 1: ``/api/v1``, described by OpenAPI 3 at ``/api/v1/openapi.json``.

Every error is a problem+json response (see ``problems``); unknown paths and server
errors under ``/api/`` answer the same way (``kreiswerk.views``).
"""

from __future__ import annotations

import logging

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from kreiswerk.cases.services import CaseActionRefused
from kreiswerk.submissions.filecheck import FileRejected
from kreiswerk.submissions.scanning import ScannerUnavailable

from . import assistants, cases, submissions
from .auth import BearerToken, ScopeMissing
from .problems import CONTENT_TYPE, Refused, field_errors, problem

logger = logging.getLogger(__name__)


class KreiswerkApi(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        """Errors are described as what they are: application/problem+json."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema["paths"].values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if int(status) >= 400 and "application/json" in content:
                        response["content"] = {CONTENT_TYPE: content["application/json"]}
        return schema


api = KreiswerkApi(
    title="kreiswerk API",
    version="1",
    description=(
        "Schnittstelle für Fachverfahren und Auswertungen. Anmeldung mit dem Token eines API-Zugangs "
        "(`Authorization: Bearer …`); jeder Zugang sieht nur die Organisationseinheiten und Rechte, "
        "die ihm gewährt sind. Fehler sind problem+json (RFC 9457) mit deutscher und englischer Meldung; "
        "Listen werden mit `cursor` geblättert."
    ),
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url=None,  # the interactive page would load scripts from a CDN
    auth=BearerToken(),
)
api.add_router("", cases.router)
api.add_router("", submissions.router)
api.add_router("", assistants.router)


@api.exception_handler(Refused)
def _refused(request, exc: Refused):
    return problem(exc.status, exc.code, exc.message, params=exc.params, errors=exc.errors)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return problem(
        401,
        "unauthenticated",
        _("Bitte senden Sie ein gültiges Token im Kopf „Authorization: Bearer …“."),
        headers={"WWW-Authenticate": 'Bearer realm="kreiswerk"'},
    )


@api.exception_handler(ScopeMissing)
def _scope_missing(request, exc: ScopeMissing):
    return problem(
        403, "forbidden", _("Dieser API-Zugang hat dafür keine Berechtigung (%(scope)s).") % {"scope": exc.scope}
    )


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    return problem(
        422, "invalid", _("Die Anfrage enthält fehlende oder ungültige Angaben."), errors=field_errors(exc.errors)
    )


@api.exception_handler(CaseActionRefused)
def _case_refused(request, exc: CaseActionRefused):
    return problem(409, "refused", exc.args[0])


@api.exception_handler(ScannerUnavailable)
def _scanner_unavailable(request, exc: ScannerUnavailable):
    return problem(503, "scanner_unavailable", exc.message, headers={"Retry-After": "60"})


@api.exception_handler(FileRejected)
def _file_rejected(request, exc: FileRejected):
    return problem(422, "file_rejected", exc.message)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return problem(404, "not_found", _("Diese Adresse gibt es in der API nicht."))


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    # ninja raises these for a body it cannot parse (400) and the like.
    if exc.status_code == 400:
        return problem(400, "bad_request", _("Die Anfrage ist ungültig."))
    return problem(exc.status_code, "http_error", _("Die Anfrage konnte nicht bearbeitet werden."))
