"""Field types: how a value is read from a form post, checked, and shown.

Stored values are JSON: text types are strings, integers ints, decimal and money
decimal strings ("12.50"), dates ISO strings, yes/no and declarations booleans,
checkboxes lists, addresses dicts, files lists of attachment ids, repeats lists
of dicts.
"""

import datetime
import re
from decimal import Decimal
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import validators
from .definition import Element, localized

ADDRESS_PARTS = ("street", "house_number", "postal_code", "city")


class RawInput(Protocol):
    def get(self, key: str, default: Any = None) -> Any: ...

    def getlist(self, key: str) -> list: ...


def input_name(element: Element, prefix: str = "") -> str:
    return f"{prefix}{element.key}"


def parse(element: Element, raw: RawInput, *, prefix: str = "") -> Any:
    """Read the posted value; raises ValidationError for a value of the wrong form."""
    name = input_name(element, prefix)
    kind = element.type
    if kind == "address":
        return {part: (raw.get(f"{name}__{part}") or "").strip() for part in ADDRESS_PARTS}
    if kind == "date":
        parts = [raw.get(f"{name}__{part}") or "" for part in ("day", "month", "year")]
        if not any(p.strip() for p in parts):
            return None
        return validators.parse_date_parts(*parts).isoformat()
    if kind == "checkboxes":
        return [value for value in raw.getlist(name) if value]
    if kind in {"yesno"}:
        value = raw.get(name)
        return {"ja": True, "nein": False}.get(value)
    if kind == "declaration":
        return raw.get(name) == "ja" or None
    text = (raw.get(name) or "").strip()
    if kind != "textarea":
        text = " ".join(text.split())
    if not text:
        return None
    if kind == "integer":
        return validators.parse_integer(text)
    if kind in {"decimal", "money"}:
        number = validators.parse_decimal(text, places=2 if kind == "money" else None)
        return str(number.quantize(Decimal("0.01")) if kind == "money" else number)
    if kind == "email":
        return validators.validate_email(text)
    if kind == "phone":
        return validators.validate_phone(text)
    if kind == "iban":
        return validators.validate_iban(text)
    return text


def is_empty(element: Element, value: Any) -> bool:
    if element.type == "address":
        return not value or not any((value or {}).values())
    if element.type == "yesno":
        return value is None
    return value is None or value == "" or value == [] or value is False


def constraint_errors(element: Element, value: Any, *, today: datetime.date) -> list[str]:
    """Problems with a value of the right form: options, lengths, ranges, patterns."""
    rules = element.validation
    kind = element.type
    problems: list[str] = []
    if kind == "address":
        missing = [part for part in ADDRESS_PARTS if not value.get(part)]
        if missing:
            problems.append(_("Bitte geben Sie die vollständige Anschrift ein (Straße, Hausnummer, PLZ, Ort)."))
        elif value.get("postal_code"):
            try:
                validators.validate_postal_code(value["postal_code"])
            except ValidationError as exc:
                problems.extend(exc.messages)
        return problems
    if kind in {"select", "radio"}:
        if value not in {option.value for option in element.options}:
            problems.append(_("Bitte wählen Sie eine der angebotenen Möglichkeiten."))
        return problems
    if kind == "checkboxes":
        allowed = {option.value for option in element.options}
        if any(item not in allowed for item in value):
            problems.append(_("Bitte wählen Sie nur angebotene Möglichkeiten."))
        if "min" in rules and len(value) < int(rules["min"]):
            problems.append(
                ngettext(
                    "Bitte wählen Sie mindestens eine Möglichkeit.",
                    "Bitte wählen Sie mindestens %(n)s Möglichkeiten.",
                    int(rules["min"]),
                )
                % {"n": rules["min"]}
            )
        if "max" in rules and len(value) > int(rules["max"]):
            problems.append(
                ngettext(
                    "Bitte wählen Sie höchstens eine Möglichkeit.",
                    "Bitte wählen Sie höchstens %(n)s Möglichkeiten.",
                    int(rules["max"]),
                )
                % {"n": rules["max"]}
            )
        return problems
    if isinstance(value, str) and kind not in {"date", "decimal", "money"}:
        if "min_length" in rules and len(value) < rules["min_length"]:
            problems.append(
                ngettext(
                    "Bitte geben Sie mindestens ein Zeichen ein.",
                    "Bitte geben Sie mindestens %(n)s Zeichen ein.",
                    rules["min_length"],
                )
                % {"n": rules["min_length"]}
            )
        if "max_length" in rules and len(value) > rules["max_length"]:
            problems.append(
                ngettext(
                    "Bitte geben Sie höchstens ein Zeichen ein.",
                    "Bitte geben Sie höchstens %(n)s Zeichen ein.",
                    rules["max_length"],
                )
                % {"n": rules["max_length"]}
            )
        pattern = rules.get("pattern")
        if pattern and not re.fullmatch(pattern, value):
            problems.append(localized(rules.get("pattern_message")) or _("Die Eingabe hat nicht das erwartete Format."))
    if kind in {"integer", "decimal", "money"}:
        number = Decimal(value)
        if "min" in rules and number < Decimal(str(rules["min"])):
            problems.append(_("Der Wert muss mindestens %(n)s sein.") % {"n": _number(rules["min"], kind)})
        if "max" in rules and number > Decimal(str(rules["max"])):
            problems.append(_("Der Wert darf höchstens %(n)s sein.") % {"n": _number(rules["max"], kind)})
    if kind == "date":
        day = datetime.date.fromisoformat(value)
        low = _date_bound(rules.get("min"), today)
        high = _date_bound(rules.get("max"), today)
        if low and day < low:
            problems.append(_("Das Datum darf nicht vor dem %(d)s liegen.") % {"d": _date(low)})
        if high and day > high:
            problems.append(_("Das Datum darf nicht nach dem %(d)s liegen.") % {"d": _date(high)})
    return problems


def _date_bound(bound: Any, today: datetime.date) -> datetime.date | None:
    """``today``, ``today+30``, ``today-6570`` (days) or an ISO date."""
    if not bound:
        return None
    text = str(bound).replace(" ", "")
    match = re.fullmatch(r"today([+-]\d+)?", text)
    if match:
        return today + datetime.timedelta(days=int(match.group(1) or 0))
    return datetime.date.fromisoformat(text)


def _number(value: Any, kind: str) -> str:
    if kind == "integer":
        return str(value)
    return validators.format_decimal(Decimal(str(value)), places=2 if kind == "money" else 0)


def _date(day: datetime.date) -> str:
    return date_format(day, "DATE_FORMAT")


def rule_value(element: Element, value: Any) -> Any:
    """The value as rules see it: decimals exact, everything else as stored."""
    if value is not None and element.type in {"decimal", "money"}:
        return Decimal(value)
    return value


def display(element: Element, value: Any, *, language: str | None = None, files: dict | None = None) -> str:
    """The value as a person reads it (check-your-answers page, receipt, export)."""
    if is_empty(element, value):
        return ""
    kind = element.type
    if kind == "yesno":
        return _("Ja") if value else _("Nein")
    if kind == "declaration":
        return _("bestätigt")
    if kind in {"select", "radio"}:
        return _option_label(element, value, language)
    if kind == "checkboxes":
        return ", ".join(_option_label(element, item, language) for item in value)
    if kind == "money":
        return f"{validators.format_decimal(Decimal(value))} €"
    if kind == "decimal":
        places = max(0, -Decimal(value).as_tuple().exponent)
        return validators.format_decimal(Decimal(value), places=places)
    if kind == "date":
        return _date(datetime.date.fromisoformat(value))
    if kind == "iban":
        return validators.format_iban(value)
    if kind == "address":
        return f"{value['street']} {value['house_number']}, {value['postal_code']} {value['city']}"
    if kind == "file":
        files = files or {}
        return ", ".join(files.get(item, _("Datei")) for item in value)
    return str(value)


def _option_label(element: Element, value: str, language: str | None) -> str:
    for option in element.options:
        if option.value == value:
            return localized(option.label, language)
    return value
