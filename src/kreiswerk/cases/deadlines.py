"""Fristen: the legal deadlines of a case, computed from rules.

A Frist follows from a rule (the processing deadline of a Vorgangsart, the
Genehmigungsfiktion of § 42a VwVfG, the one month of an information-access
request) and can be suspended (Hemmung) and extended (Verlängerung). A
Wiedervorlage is something else: a reminder date a person picks. It is stored
as entered and never computed here.

Administrative periods are governed by § 31 VwVfG (the Länder VwVfG have the
same § 31): paragraph 1 applies §§ 187-193 BGB, paragraph 3 replaces § 193 BGB
with the wording of § 222 (2) ZPO, "so endet die Frist mit dem Ablauf des
nächstfolgenden Werktags". The public holidays are those of the Mandant's Land
as the ``holidays`` package lists them in its "public" category; holidays of
single municipalities (Mariä Himmelfahrt in Catholic Bavarian municipalities,
the Friedensfest in Augsburg) are not included.

Everything here is a pure function of dates; a period ends at midnight at the
end of the day returned. Not modelled: § 31 (3) sentence 2 VwVfG (an authority
that names a weekend day as the end, pointing out that it is not moved).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays
from django.utils.translation import gettext, ngettext

UNITS = ("days", "weeks", "months", "years")
MAX_AMOUNT = 999
STATES = ("BB", "BE", "BW", "BY", "HB", "HE", "HH", "MV", "NI", "NW", "RP", "SH", "SL", "SN", "ST", "TH")

GREEN, AMBER, RED, PAUSED = "green", "amber", "red", "paused"

_ISO_DESIGNATOR = {"days": "D", "weeks": "W", "months": "M", "years": "Y"}
_UNIT_BY_DESIGNATOR = {designator: unit for unit, designator in _ISO_DESIGNATOR.items()}
_ISO_PATTERN = re.compile(r"P([0-9]{1,6})([DWMY])")


@dataclass(frozen=True)
class Duration:
    """The length of a period: a whole number of days, weeks, months or years."""

    amount: int
    unit: str

    def __post_init__(self):
        if self.unit not in UNITS:
            raise ValueError(gettext("Unbekannte Zeiteinheit. Erlaubt sind Tage, Wochen, Monate und Jahre."))
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or not 1 <= self.amount <= MAX_AMOUNT:
            raise ValueError(
                gettext("Die Dauer einer Frist muss eine ganze Zahl von 1 bis %(max)d sein.") % {"max": MAX_AMOUNT}
            )

    @classmethod
    def parse(cls, text: str) -> Duration:
        """Read the ISO 8601 subset "P<n>D", "P<n>W", "P<n>M", "P<n>Y" (no combinations, no times)."""
        match = _ISO_PATTERN.fullmatch(text.strip().upper()) if isinstance(text, str) else None
        if match is None:
            raise ValueError(gettext("Ungültige Frist. Erwartet wird zum Beispiel P14D, P2W, P1M oder P1Y."))
        return cls(amount=int(match[1]), unit=_UNIT_BY_DESIGNATOR[match[2]])

    def iso(self) -> str:
        return f"P{self.amount}{_ISO_DESIGNATOR[self.unit]}"

    def label(self) -> str:
        count = self.amount
        if self.unit == "days":
            template = ngettext("%(count)d Tag", "%(count)d Tage", count)
        elif self.unit == "weeks":
            template = ngettext("%(count)d Woche", "%(count)d Wochen", count)
        elif self.unit == "months":
            template = ngettext("%(count)d Monat", "%(count)d Monate", count)
        else:
            template = ngettext("%(count)d Jahr", "%(count)d Jahre", count)
        return template % {"count": count}


GENEHMIGUNGSFIKTION = Duration(amount=3, unit="months")


@dataclass(frozen=True)
class Suspension:
    """Hemmung: the period does not run from ``start`` to ``end``, both days included.

    ``end`` is None while the suspension lasts (waiting for the applicant's answer, for example).
    """

    start: date
    end: date | None

    def __post_init__(self):
        if self.end is not None and self.end < self.start:
            raise ValueError(gettext("Das Ende der Hemmung darf nicht vor ihrem Beginn liegen."))


def _check_state(state: str) -> None:
    if state not in STATES:
        raise ValueError(gettext("Unbekanntes Bundesland. Erwartet wird ein Kürzel wie BW, BY oder NW."))


@lru_cache(maxsize=256)
def _public_holidays(state: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("DE", subdiv=state, years=year, categories=holidays.PUBLIC))


def is_working_day(day: date, *, state: str) -> bool:
    """Monday to Friday and not a public holiday in the Land ``state`` (ISO code such as "BW")."""
    _check_state(state)
    return day.weekday() < 5 and day not in _public_holidays(state, day.year)


def next_working_day(day: date, *, state: str) -> date:
    """``day`` itself if it is a working day, else the next one (§ 193 BGB, § 31 (3) VwVfG)."""
    while not is_working_day(day, state=state):
        day += timedelta(days=1)
    return day


def _day_in_month(*, start: date, months: int, day: int) -> date:
    # § 188 (3) BGB: a day number the month does not have becomes its last day.
    year, month = divmod(start.year * 12 + start.month - 1 + months, 12)
    month += 1
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def period_end(*, start: date, duration: Duration, start_day_counts: bool = False) -> date:
    """The last day of a period under §§ 187, 188 BGB, before any move for weekends or holidays.

    § 187 (1): a period that starts with an event (an application arrives) does not count the
    event day; ``start`` is the event day. § 187 (2), ``start_day_counts=True``: the period starts
    at the beginning of ``start`` and that day counts.
    § 188 (1): a period of days ends with its last day. § 188 (2): a period of weeks, months or
    years ends on the day of the last week or month whose name or number matches ``start``; with
    § 187 (2) on the day before it. § 188 (3): a day number the last month lacks becomes its last
    day (31 January + 1 month = 29 February 2024, 28 February 2025). A year is twelve months.
    """
    amount = duration.amount
    if duration.unit == "days":
        return start + timedelta(days=amount - 1 if start_day_counts else amount)
    if duration.unit == "weeks":
        return start + timedelta(weeks=amount, days=-1 if start_day_counts else 0)
    months = amount if duration.unit == "months" else 12 * amount
    if not start_day_counts:
        return _day_in_month(start=start, months=months, day=start.day)
    if start.day == 1:
        return _day_in_month(start=start, months=months - 1, day=31)
    return _day_in_month(start=start, months=months, day=start.day - 1)


def _merge(suspensions: Sequence[Suspension]) -> list[tuple[date, date | None]]:
    # Overlapping or touching suspensions become one span, so a day is only ever suspended once.
    spans: list[tuple[date, date | None]] = []
    for suspension in sorted(suspensions, key=lambda item: item.start):
        if spans:
            last_start, last_end = spans[-1]
            if last_end is None or suspension.start <= last_end + timedelta(days=1):
                end = None if last_end is None or suspension.end is None else max(last_end, suspension.end)
                spans[-1] = (last_start, end)
                continue
        spans.append((suspension.start, suspension.end))
    return spans


def _suspend(
    *, first_day: date, end: date, spans: list[tuple[date, date | None]]
) -> tuple[date | None, list[tuple[date, date | None]]]:
    """Move ``end`` by the suspended days of the running period; return it (None if open) and the spans left."""
    for index, (span_start, span_end) in enumerate(spans):
        if span_end is not None and span_end < first_day:
            continue
        span_start = max(span_start, first_day)
        if span_start > end:
            return end, spans[index:]
        if span_end is None:
            return None, []
        end += timedelta(days=(span_end - span_start).days + 1)
    return end, []


def deadline_due(
    *,
    start: date,
    duration: Duration,
    state: str,
    suspensions: Sequence[Suspension] = (),
    extensions: Sequence[Duration] = (),
) -> date | None:
    """The last day of a Frist that starts with an event on ``start``; None while it is suspended.

    Order of computation:

    1. The period end under §§ 187 (1), 188 BGB (see ``period_end``).
    2. Hemmung, by analogy with § 209 BGB: suspended days are not counted, so each suspension
       that begins on or before the (moving) end pushes the end later by its days. Days before
       the first counted day do not count, overlapping suspensions count once, and a suspension
       that begins after the end changes nothing (the period had already run out), even an
       open one. An open suspension that begins on or before the end makes the result None.
    3. Verlängerung, § 190 BGB: each extension, in the given order, runs from the end of the
       previous period, as a new period whose event day is that end (§ 187 (1) BGB; BGH,
       2 June 2016, III ZB 13/16). If the previous period ended on a weekend or holiday, its end
       is the next working day, because § 31 (3) VwVfG, like § 222 (2) ZPO, lets the period
       itself end then: BGH, 14 December 2005, IX ZB 198/04, NJW 2006, 700, confirming BGHZ 21,
       43. Suspensions that begin during an extension move its end as in step 2.
    4. § 193 BGB / § 31 (3) VwVfG: an end on a Saturday, Sunday or public holiday of the Land
       moves to the next working day.
    """
    _check_state(state)
    spans = _merge(suspensions)
    end, spans = _suspend(
        first_day=start + timedelta(days=1), end=period_end(start=start, duration=duration), spans=spans
    )
    for extension in extensions:
        if end is None:
            return None
        # For private-law periods under § 193 BGB alone, commentary holds the opposite: the
        # extension runs from the unmoved end (Prütting/Wegen/Weinreich, BGB, § 190 Rn. 1;
        # BAG, 20 April 1956, 1 ABR 2/56). § 193 does not end the period, § 31 (3) VwVfG does.
        previous_end = next_working_day(end, state=state)
        end, spans = _suspend(
            first_day=previous_end + timedelta(days=1),
            end=period_end(start=previous_end, duration=extension),
            spans=spans,
        )
    return None if end is None else next_working_day(end, state=state)


def fiction_due(
    *,
    documents_complete: date,
    state: str,
    extension: Duration | None = None,
    period: Duration = GENEHMIGUNGSFIKTION,
) -> date:
    """The last day to decide before the permission is deemed granted (§ 42a VwVfG).

    § 42a (2): the period is three months unless a legal provision sets another (``period``),
    and starts when the complete documents arrive, so that day does not count (§ 187 (1) BGB).
    It can be extended once, with reasons, where the matter is difficult: hence one
    ``extension``, computed as in ``deadline_due``. If no decision is notified by the end of the
    returned day, the permission counts as granted.
    """
    end = period_end(start=documents_complete, duration=period)
    if extension is not None:
        end = period_end(start=next_working_day(end, state=state), duration=extension)
    return next_working_day(end, state=state)


def traffic_light(*, due: date | None, today: date, warn_days: int = 7) -> str:
    """The state of a Frist on ``today``.

    "paused" without a due date (suspended), "red" once the due day has passed, "amber" from
    ``warn_days`` calendar days before it up to and including the due day, otherwise "green".
    """
    if warn_days < 0:
        raise ValueError(gettext("Die Vorwarnzeit darf nicht negativ sein."))
    if due is None:
        return PAUSED
    if today > due:
        return RED
    if (due - today).days <= warn_days:
        return AMBER
    return GREEN
