"""LeiKa keys (Leistungsschlüssel of the Leistungskatalog der öffentlichen Verwaltung).

A key has 14 digits: "99", then Leistungsgruppierung, Leistungsobjekt, Verrichtung and
Verrichtungsdetail with three digits each ("000" where a level is not used). It has no
check digit, so the format is all that can be checked offline.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

KEY = re.compile(r"[0-9]{14}")  # not \d: that matches Arabic-Indic and other digits too
URN_PREFIX = "urn:de:fim:leika:leistung:"


def leika_normalize(value: str) -> str:
    """The key without the spaces and dots people type to group its digits."""
    return re.sub(r"[\s.]", "", value or "")


def leika_validate(value: str) -> None:
    key = leika_normalize(value)
    if not KEY.fullmatch(key):
        raise ValidationError(_("Ein LeiKa-Schlüssel hat genau 14 Ziffern, z. B. 99050012104000."), code="leika_format")
    if not key.startswith("99"):
        raise ValidationError(_("Ein LeiKa-Schlüssel beginnt mit 99."), code="leika_prefix")


def leika_urn(key: str) -> str:
    return f"{URN_PREFIX}{key}" if key else ""
