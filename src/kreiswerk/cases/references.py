"""Aktenzeichen from a Mandant's pattern, e.g. ``{praefix}-{aktenplan}-{jahr}-{nummer:05d}``.

Only the named placeholders below exist, and a format spec is allowed only on
``nummer``; anything else is refused when the pattern is saved, so a pattern
can never reach attributes or items of the values.
"""

from __future__ import annotations

import re
import string

from django.utils.translation import gettext as _

PLACEHOLDERS = ("praefix", "einheit", "aktenplan", "jahr", "nummer")
NUMBER_SPEC = re.compile(r"^0?[1-9]d$")
ALLOWED_LITERAL = re.compile(r"^[A-Za-z0-9 ./_\-]*$")


def reference_pattern_problems(pattern: str) -> list[str]:
    """German messages for every problem of ``pattern``; empty when it can be used."""
    problems = []
    try:
        parsed = list(string.Formatter().parse(pattern))
    except ValueError:
        return [_("Das Muster enthält eine nicht geschlossene geschweifte Klammer.")]
    names = set()
    for literal, name, spec, conversion in parsed:
        if not ALLOWED_LITERAL.match(literal):
            problems.append(
                _("Zwischen den Platzhaltern sind nur Buchstaben, Ziffern, Leerzeichen und . / _ - erlaubt.")
            )
        if name is None:
            continue
        if name not in PLACEHOLDERS:
            problems.append(_("Unbekannter Platzhalter „{%(name)s}“.") % {"name": name})
        elif conversion or (spec and (name != "nummer" or not NUMBER_SPEC.match(spec))):
            problems.append(_("Der Platzhalter „{%(name)s}“ erlaubt diese Formatangabe nicht.") % {"name": name})
        names.add(name)
    if "nummer" not in names:
        problems.append(_("Das Muster muss „{nummer}“ enthalten, sonst wären Aktenzeichen nicht eindeutig."))
    if "jahr" not in names:
        problems.append(_("Das Muster muss „{jahr}“ enthalten: die laufende Nummer beginnt jedes Jahr neu."))
    return list(dict.fromkeys(problems))


def reference_format(pattern: str, *, prefix: str, unit: str, filing: str, year: int, number: int) -> str:
    if reference_pattern_problems(pattern):
        raise ValueError("invalid reference pattern")
    return pattern.format(praefix=prefix, einheit=unit, aktenplan=filing, jahr=year, nummer=number)
