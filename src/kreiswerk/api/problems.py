"""Errors of the API as problem details (RFC 9457), in German and English.

``title`` and ``detail`` follow the request's language (Accept-Language, German by
default); ``messages`` carries the detail in both languages, so a Fachverfahren can log
one and show the other. Field errors list where (``field``) and what, also in both.
"""

from __future__ import annotations

import functools
import inspect
import json

from django.http import HttpResponse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

CONTENT_TYPE = "application/problem+json"
LANGUAGES = ("de", "en")

TITLES = {
    400: _("Ungültige Anfrage"),
    401: _("Nicht angemeldet"),
    403: _("Keine Berechtigung"),
    404: _("Nicht gefunden"),
    405: _("Methode nicht erlaubt"),
    409: _("Konflikt"),
    413: _("Zu groß"),
    415: _("Dateiart nicht erlaubt"),
    422: _("Angaben unvollständig oder ungültig"),
    429: _("Zu viele Anfragen"),
    500: _("Interner Fehler"),
    503: _("Vorübergehend nicht verfügbar"),
}

# pydantic's error types → what to tell a person; anything else gets the generic text.
FIELD_MESSAGES = {
    "missing": _("Diese Angabe fehlt."),
    "string_type": _("Hier wird ein Text erwartet."),
    "int_parsing": _("Hier wird eine ganze Zahl erwartet."),
    "int_type": _("Hier wird eine ganze Zahl erwartet."),
    "bool_parsing": _("Hier wird true oder false erwartet."),
    "date_from_datetime_parsing": _("Hier wird ein Datum (JJJJ-MM-TT) erwartet."),
    "date_parsing": _("Hier wird ein Datum (JJJJ-MM-TT) erwartet."),
    "uuid_parsing": _("Hier wird eine UUID erwartet."),
    "greater_than_equal": _("Der Wert ist zu klein."),
    "less_than_equal": _("Der Wert ist zu groß."),
    "string_too_long": _("Der Text ist zu lang."),
    "string_too_short": _("Der Text ist zu kurz."),
    "literal_error": _("Dieser Wert ist nicht vorgesehen."),
    "enum": _("Dieser Wert ist nicht vorgesehen."),
    "json_invalid": _("Der Inhalt ist kein gültiges JSON."),
}
FIELD_FALLBACK = _("Dieser Wert ist ungültig.")


def both(message, params: dict | None = None) -> dict[str, str]:
    """A translatable message (with its ``%(name)s`` values) in every language the API answers in."""
    texts = {}
    for language in LANGUAGES:
        with translation.override(language):
            texts[language] = str(message) % params if params else str(message)
    return texts


def problem(
    status: int, code: str, message, *, params: dict | None = None, errors: list[dict] | None = None, headers=None
) -> HttpResponse:
    """A problem+json response; ``message`` is a lazy translatable text, formatted with ``params``."""
    body = {
        "type": f"urn:kreiswerk:problem:{code}",
        "title": str(TITLES.get(status, TITLES[400 if status < 500 else 500])),
        "status": status,
        "detail": str(message) % params if params else str(message),
        "code": code,
        "messages": both(message, params),
    }
    if errors:
        body["errors"] = errors
    response = HttpResponse(json.dumps(body, ensure_ascii=False), status=status, content_type=CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def field_errors(errors: list[dict]) -> list[dict]:
    """pydantic's error list as fields with messages in both languages."""
    result = []
    for error in errors:
        # ("query", "limit"), ("form", "title"), ("body", <parameter>, "status", ...): the field is what follows.
        where = [str(part) for part in error.get("loc", ())]
        location = where[2:] if where[:1] == ["body"] and len(where) > 2 else where[1:]
        message = FIELD_MESSAGES.get(error.get("type", ""), FIELD_FALLBACK)
        result.append({"field": ".".join(location), "type": error.get("type", ""), "messages": both(message)})
    return result


class Refused(Exception):
    """An API request that cannot be served; becomes a problem response."""

    def __init__(self, status: int, code: str, message, params: dict | None = None, errors: list | None = None):
        super().__init__(code)
        self.status, self.code, self.message, self.params, self.errors = status, code, message, params, errors


def strict_query(view):
    """Refuse undeclared or empty query parameters: a typo must not widen a list silently.

    An empty value (``?assistant=``) is refused too, as OpenAPI's ``allowEmptyValue: false``
    says: leaving a parameter out is the way to not filter.
    """
    declared = set(inspect.signature(view).parameters) - {"request"}

    @functools.wraps(view)
    def checked(request, *args, **kwargs):
        unknown = sorted(set(request.GET) - declared)
        if unknown:
            message = _("Diesen Parameter gibt es hier nicht: %(names)s.")
            raise Refused(422, "unknown_parameter", message, params={"names": ", ".join(unknown)[:200]})
        empty = sorted(name for name, values in request.GET.lists() if any(value == "" for value in values))
        if empty:
            message = _("Dieser Parameter ist leer: %(names)s. Lassen Sie ihn weg, wenn Sie nicht filtern wollen.")
            raise Refused(422, "empty_parameter", message, params={"names": ", ".join(empty)[:200]})
        return view(request, *args, **kwargs)

    return checked
