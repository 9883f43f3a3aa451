"""Validators for the values citizens type: German formats first.

Each returns the normalised value or raises ``django.core.exceptions.ValidationError``
with a German message a citizen understands.
"""

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email as django_validate_email
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

# ASCII digits only: "\d" would also accept Arabic-Indic and other digits.
_POSTAL_CODE = re.compile(r"[0-9]{5}")
_PHONE_ALLOWED = re.compile(r"\+?[0-9 ()/\-.]+")
_GROUPED = r"[0-9]{1,3}(?:\.[0-9]{3})+"
_DECIMAL_GERMAN = re.compile(rf"[+-]?(?:{_GROUPED}|[0-9]+)(?:,[0-9]+)?")
# With at most 15 digits before and 10 after the comma, every value fits Decimal's 28 digits.
MAX_DECIMAL_PLACES = 10
_DECIMAL_DOT = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
_INTEGER = re.compile(rf"[+-]?(?:{_GROUPED}|[0-9]{{1,15}})")


def validate_postal_code(value: str) -> str:
    """A German Postleitzahl: five digits; the 00 zone is not assigned."""
    value = value.strip()
    if not _POSTAL_CODE.fullmatch(value) or value.startswith("00"):
        raise ValidationError(_("Geben Sie eine Postleitzahl mit fünf Ziffern ein, z. B. 88400."))
    return value


def validate_iban(value: str) -> str:
    """Checks country format and the ISO 7064 checksum; returns the compact form."""
    compact = re.sub(r"\s+", "", value).upper()
    if not compact:
        raise ValidationError(_("Geben Sie eine IBAN ein."))
    try:
        iban = IBAN(compact)
    except SchwiftyException as exc:
        raise ValidationError(
            _("Die IBAN ist nicht gültig. Bitte prüfen Sie die Eingabe, z. B. DE02 1203 0000 0000 2020 51.")
        ) from exc
    return iban.compact


def format_iban(compact: str) -> str:
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def validate_phone(value: str) -> str:
    value = " ".join(value.split())
    digits = re.sub(r"[^0-9]", "", value)
    if not _PHONE_ALLOWED.fullmatch(value) or not 6 <= len(digits) <= 20:
        raise ValidationError(_("Geben Sie eine Telefonnummer ein, z. B. 07351 52-0 oder +49 7351 520."))
    return value


def validate_email(value: str) -> str:
    value = value.strip()
    try:
        django_validate_email(value)
    except ValidationError as exc:
        raise ValidationError(_("Geben Sie eine E-Mail-Adresse im Format name@beispiel.de ein.")) from exc
    return value


def parse_decimal(value: str, *, places: int | None = None) -> Decimal:
    """German input ("1.234,50") and plain input ("1234.50") both become a Decimal."""
    text = value.strip().replace(" ", "").replace("\u00a0", "").removesuffix("€").strip()
    # German first: "1.000" and "1.234,5" group thousands with dots; "1.5" is read as a decimal point.
    if _DECIMAL_GERMAN.fullmatch(text) and ("," in text or re.fullmatch(rf"[+-]?{_GROUPED}", text)):
        normalised = text.replace(".", "").replace(",", ".")
    elif _DECIMAL_DOT.fullmatch(text):
        normalised = text
    else:
        raise ValidationError(_("Geben Sie eine Zahl ein, z. B. 12,50."))
    try:
        number = Decimal(normalised)
    except InvalidOperation as exc:  # pragma: no cover - the patterns above exclude this
        raise ValidationError(_("Geben Sie eine Zahl ein, z. B. 12,50.")) from exc
    if number.adjusted() >= 15:
        raise ValidationError(_("Geben Sie eine Zahl mit höchstens 15 Stellen vor dem Komma ein."))
    if -number.as_tuple().exponent > MAX_DECIMAL_PLACES:
        raise ValidationError(
            _("Geben Sie höchstens %(places)s Nachkommastellen ein.") % {"places": MAX_DECIMAL_PLACES}
        )
    if places is not None and -number.as_tuple().exponent > places:
        raise ValidationError(_("Geben Sie höchstens %(places)s Nachkommastellen ein.") % {"places": places})
    return number


def parse_integer(value: str) -> int:
    text = value.strip().replace(" ", "")
    if not _INTEGER.fullmatch(text) or len(text) > 20:
        raise ValidationError(_("Geben Sie eine ganze Zahl ein, z. B. 3."))
    return int(text.replace(".", ""))


def parse_date_parts(day: str, month: str, year: str) -> datetime.date:
    """GOV.UK-style three inputs; the message names what is missing or wrong."""
    day, month, year = day.strip(), month.strip(), year.strip()
    missing = [name for name, part in ((_("Tag"), day), (_("Monat"), month), (_("Jahr"), year)) if not part]
    if missing and len(missing) < 3:
        raise ValidationError(
            ngettext(
                "Das Datum ist unvollständig: %(parts)s fehlt.",
                "Das Datum ist unvollständig: %(parts)s fehlen.",
                len(missing),
            )
            % {"parts": get_text_list(missing, _("und"))}
        )
    if not all(re.fullmatch(r"[0-9]{1,4}", part) for part in (day, month, year)) or len(year) != 4:
        raise ValidationError(_("Geben Sie ein gültiges Datum ein, z. B. 27 3 2026 (Jahr vierstellig)."))
    try:
        return datetime.date(int(year), int(month), int(day))
    except ValueError as exc:
        raise ValidationError(_("Dieses Datum gibt es nicht. Bitte prüfen Sie Tag und Monat.")) from exc


def format_decimal(value: Decimal | str, *, places: int = 2) -> str:
    """German notation with thousands separators: 1.234,50."""
    number = Decimal(value).quantize(Decimal(1).scaleb(-places)) if places else Decimal(value)
    sign = "-" if number < 0 else ""
    integer, _sep, fraction = f"{abs(number):f}".partition(".")
    grouped = f"{int(integer):,}".replace(",", ".")
    return f"{sign}{grouped},{fraction}" if fraction else f"{sign}{grouped}"
