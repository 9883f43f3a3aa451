"""Fristen against real calendars: every expected date below was checked by hand for its weekday and holidays."""

import random
from datetime import date, timedelta

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from kreiswerk.cases.deadlines import (
    STATES,
    Duration,
    Suspension,
    deadline_due,
    fiction_due,
    is_working_day,
    next_working_day,
    period_end,
    traffic_light,
)

D = Duration.parse

# (state, start = event day, duration, expected due date): § 187 (1) BGB, the event day is not counted.
REAL_CASES = [
    # Plain days: Mon 13 Jan 2025 + 14 days = Mon 27 Jan 2025, a working day.
    ("BW", date(2025, 1, 13), "P14D", date(2025, 1, 27)),
    # Weeks: Wed 8 Jan 2025 + 2 weeks ends on the same weekday, Wed 22 Jan 2025.
    ("BW", date(2025, 1, 8), "P2W", date(2025, 1, 22)),
    # § 188 (3): 31 Jan + 1 month; February 2024 has 29 days (Thu), February 2025 has 28 (Fri).
    ("BW", date(2024, 1, 31), "P1M", date(2024, 2, 29)),
    ("BW", date(2025, 1, 31), "P1M", date(2025, 2, 28)),
    # § 188 (3) for a year: 29 Feb 2024 + 1 year = Fri 28 Feb 2025.
    ("BW", date(2024, 2, 29), "P1Y", date(2025, 2, 28)),
    # End on a Saturday: 1 Jan 2025 + 1 month = Sat 1 Feb 2025, moves to Mon 3 Feb.
    ("BW", date(2025, 1, 1), "P1M", date(2025, 2, 3)),
    # End on a Sunday: Sun 2 Feb 2025 moves to Mon 3 Feb.
    ("BW", date(2025, 1, 2), "P1M", date(2025, 2, 3)),
    # Ostermontag: Mon 21 Apr 2025 moves to Tue 22 Apr.
    ("NW", date(2025, 3, 21), "P1M", date(2025, 4, 22)),
    # Karfreitag Fri 18 Apr 2025, weekend, Ostermontag: Tue 22 Apr 2025.
    ("BE", date(2025, 3, 18), "P1M", date(2025, 4, 22)),
    # Karfreitag Fri 3 Apr 2026, weekend, Ostermontag 6 Apr: Tue 7 Apr 2026.
    ("HH", date(2026, 3, 3), "P1M", date(2026, 4, 7)),
    # Gründonnerstag is no public holiday: Thu 2 Apr 2026 stays.
    ("BW", date(2026, 3, 2), "P1M", date(2026, 4, 2)),
    # 1. Mai: Thu 1 May 2025 moves to Fri 2 May.
    ("BY", date(2025, 4, 1), "P1M", date(2025, 5, 2)),
    # Tag der Deutschen Einheit on a Friday, then the weekend: Fri 3 Oct 2025 moves to Mon 6 Oct.
    ("SN", date(2025, 9, 3), "P1M", date(2025, 10, 6)),
    # Christmas Thu 25 and Fri 26 Dec 2025, then the weekend: Mon 29 Dec 2025.
    ("BW", date(2025, 11, 25), "P1M", date(2025, 12, 29)),
    # 26 Dec 2026 is a Saturday (and a holiday): Mon 28 Dec 2026.
    ("NI", date(2026, 11, 26), "P1M", date(2026, 12, 28)),
    # 24 and 31 Dec are working days: Wed 24 Dec 2025 and Wed 31 Dec 2025 stay.
    ("BW", date(2025, 11, 24), "P1M", date(2025, 12, 24)),
    ("BW", date(2025, 10, 31), "P2M", date(2025, 12, 31)),
    # Neujahr Fri 1 Jan 2027, then the weekend: Mon 4 Jan 2027.
    ("RP", date(2026, 12, 1), "P1M", date(2027, 1, 4)),
    # Fronleichnam Thu 4 Jun 2026: a holiday in BW, BY, NW; not in Berlin or Niedersachsen.
    ("BW", date(2026, 5, 4), "P1M", date(2026, 6, 5)),
    ("BY", date(2026, 5, 4), "P1M", date(2026, 6, 5)),
    ("NW", date(2026, 5, 4), "P1M", date(2026, 6, 5)),
    ("BE", date(2026, 5, 4), "P1M", date(2026, 6, 4)),
    ("NI", date(2026, 5, 4), "P1M", date(2026, 6, 4)),
    # Reformationstag Fri 31 Oct 2025: a holiday in NI and SN (then the weekend), not in BW.
    ("NI", date(2025, 10, 17), "P2W", date(2025, 11, 3)),
    ("SN", date(2025, 10, 17), "P2W", date(2025, 11, 3)),
    ("BW", date(2025, 10, 17), "P2W", date(2025, 10, 31)),
    # Allerheiligen Fri 1 Nov 2024 in BW: Mon 4 Nov 2024.
    ("BW", date(2024, 10, 1), "P1M", date(2024, 11, 4)),
    # Allerheiligen Mon 1 Nov 2027: BW moves to Tue 2 Nov, NI does not.
    ("BW", date(2027, 10, 1), "P1M", date(2027, 11, 2)),
    ("NI", date(2027, 10, 1), "P1M", date(2027, 11, 1)),
    # Buß- und Bettag Wed 19 Nov 2025: only Sachsen moves to Thu 20 Nov.
    ("SN", date(2025, 10, 19), "P1M", date(2025, 11, 20)),
    ("TH", date(2025, 10, 19), "P1M", date(2025, 11, 19)),
    # Heilige Drei Könige Tue 6 Jan 2026: BW, BY and ST move to Wed 7 Jan, NW does not.
    ("BW", date(2025, 12, 6), "P1M", date(2026, 1, 7)),
    ("BY", date(2025, 12, 6), "P1M", date(2026, 1, 7)),
    ("ST", date(2025, 12, 6), "P1M", date(2026, 1, 7)),
    ("NW", date(2025, 12, 6), "P1M", date(2026, 1, 6)),
    # Berlin's one-off holiday Thu 8 May 2025 (80 years since the end of the war): Fri 9 May.
    ("BE", date(2025, 4, 8), "P1M", date(2025, 5, 9)),
    ("BW", date(2025, 4, 8), "P1M", date(2025, 5, 8)),
    # Frauentag Mon 8 Mar 2027 in Berlin: Tue 9 Mar.
    ("BE", date(2027, 2, 8), "P1M", date(2027, 3, 9)),
    # Weltkindertag Mon 20 Sep 2027 in Thüringen: Tue 21 Sep.
    ("TH", date(2027, 8, 20), "P1M", date(2027, 9, 21)),
    # Mariä Himmelfahrt Fri 15 Aug 2025: Saarland moves to Mon 18 Aug; Bavaria keeps the day
    # because it is a holiday only in its Catholic municipalities, not in the whole Land.
    ("SL", date(2025, 7, 15), "P1M", date(2025, 8, 18)),
    ("BY", date(2025, 7, 15), "P1M", date(2025, 8, 15)),
    # Information access (LIFG): one month from receipt, Mon 16 Mar 2026 -> Thu 16 Apr 2026.
    ("BW", date(2026, 3, 16), "P1M", date(2026, 4, 16)),
]


@pytest.mark.parametrize(("state", "start", "duration", "expected"), REAL_CASES)
def test_it_computes_real_deadlines(state, start, duration, expected):
    assert deadline_due(start=start, duration=D(duration), state=state) == expected


# (start, duration, start_day_counts, expected) for § 187, § 188 BGB without § 193.
PERIOD_ENDS = [
    (date(2025, 1, 1), "P10D", True, date(2025, 1, 10)),  # § 187 (2): 1 Jan is the first of ten days
    (date(2025, 1, 1), "P10D", False, date(2025, 1, 11)),  # § 187 (1): 1 Jan does not count
    (date(2025, 1, 6), "P2W", True, date(2025, 1, 19)),  # Mon start of day -> the Sunday before
    (date(2025, 3, 1), "P1M", True, date(2025, 3, 31)),  # starts 1 Mar -> the day before 1 Apr
    (date(2025, 1, 15), "P1M", True, date(2025, 2, 14)),
    (date(2025, 1, 31), "P1M", True, date(2025, 2, 28)),  # "30 Feb" does not exist: § 188 (3)
    (date(2026, 1, 1), "P1Y", True, date(2026, 12, 31)),  # a calendar year
    (date(2025, 2, 1), "P1Y", False, date(2026, 2, 1)),  # § 188 (2): same number, even on a Sunday
    (date(2024, 8, 31), "P6M", False, date(2025, 2, 28)),
    (date(2025, 11, 30), "P3M", False, date(2026, 2, 28)),  # Saturday, unmoved here
]


@pytest.mark.parametrize(("start", "duration", "start_day_counts", "expected"), PERIOD_ENDS)
def test_it_computes_the_period_end_under_187_and_188(start, duration, start_day_counts, expected):
    assert period_end(start=start, duration=D(duration), start_day_counts=start_day_counts) == expected


# Start Mon 13 Jan 2025 + 1 month: the unsuspended end is Thu 13 Feb 2025.
S = Suspension
SUSPENSIONS = [
    ([], date(2025, 2, 13)),
    # 20-24 Jan, five days: Tue 18 Feb.
    ([S(date(2025, 1, 20), date(2025, 1, 24))], date(2025, 2, 18)),
    # Overlapping 20-24 and 22-28 Jan count once, nine days: Sat 22 Feb -> Mon 24 Feb.
    ([S(date(2025, 1, 20), date(2025, 1, 24)), S(date(2025, 1, 22), date(2025, 1, 28))], date(2025, 2, 24)),
    # The order they are given in does not matter.
    ([S(date(2025, 1, 22), date(2025, 1, 28)), S(date(2025, 1, 20), date(2025, 1, 24))], date(2025, 2, 24)),
    # Touching 20-24 and 25-26 Jan, seven days: Thu 20 Feb.
    ([S(date(2025, 1, 20), date(2025, 1, 24)), S(date(2025, 1, 25), date(2025, 1, 26))], date(2025, 2, 20)),
    # 17-18 Feb begins after 13 Feb, but before the end already moved to 18 Feb: two more days, Thu 20 Feb.
    ([S(date(2025, 1, 20), date(2025, 1, 24)), S(date(2025, 2, 17), date(2025, 2, 18))], date(2025, 2, 20)),
    # Beginning on the last day counts: 13-14 Feb -> Sat 15 Feb -> Mon 17 Feb.
    ([S(date(2025, 2, 13), date(2025, 2, 14))], date(2025, 2, 17)),
    # Beginning the day after the end changes nothing: the period had run out.
    ([S(date(2025, 2, 14), date(2025, 2, 20))], date(2025, 2, 13)),
    ([S(date(2025, 3, 1), date(2025, 3, 10))], date(2025, 2, 13)),
    ([S(date(2025, 3, 1), None)], date(2025, 2, 13)),
    # Only days from the first counted day (14 Jan) on count: 10-14 Jan is one day, Fri 14 Feb.
    ([S(date(2025, 1, 10), date(2025, 1, 14))], date(2025, 2, 14)),
    ([S(date(2025, 1, 1), date(2025, 1, 13))], date(2025, 2, 13)),
    # Still suspended (waiting for the applicant): no due date.
    ([S(date(2025, 2, 1), None)], None),
    ([S(date(2025, 1, 20), date(2025, 1, 24)), S(date(2025, 1, 22), None)], None),
]


@pytest.mark.parametrize(("suspensions", "expected"), SUSPENSIONS)
def test_it_does_not_count_suspended_days(suspensions, expected):
    due = deadline_due(start=date(2025, 1, 13), duration=D("P1M"), state="BW", suspensions=suspensions)
    assert due == expected


# (state, start, duration, extensions, suspensions, expected)
EXTENSIONS = [
    # BGH, 14 Dec 2005, IX ZB 198/04: served Mon 29 Mar 2004, two months end on Sat 29 May, the
    # Saturday before Pfingsten; moved past Pfingstmontag 31 May to Tue 1 Jun 2004. The one-month
    # extension runs from 1 Jun, not 29 May: Thu 1 Jul 2004 (29 Jun would be the other reading).
    ("NW", date(2004, 3, 29), "P2M", ["P1M"], [], date(2004, 7, 1)),
    # Ends on Fri 3 Oct 2025 (holiday) -> Mon 6 Oct; + 1 month = Thu 6 Nov 2025 (not Mon 3 Nov).
    ("BW", date(2025, 9, 3), "P1M", ["P1M"], [], date(2025, 11, 6)),
    # Sat 1 Feb 2025 -> Mon 3 Feb; + 1 month = Mon 3 Mar 2025.
    ("BW", date(2025, 1, 1), "P1M", ["P1M"], [], date(2025, 3, 3)),
    # Two extensions in order: Sun 15 Feb 2026 -> Mon 16 Feb; + 2 weeks = Mon 2 Mar; + 1 month = Thu 2 Apr.
    ("BW", date(2026, 1, 15), "P1M", ["P2W", "P1M"], [], date(2026, 4, 2)),
    # Suspension first: 20-24 Jan moves Thu 13 Feb 2025 to Tue 18 Feb; + 1 month = Tue 18 Mar.
    ("BW", date(2025, 1, 13), "P1M", ["P1M"], [S(date(2025, 1, 20), date(2025, 1, 24))], date(2025, 3, 18)),
    # ... and 1-3 Mar falls inside the extension: three more days, Fri 21 Mar 2025.
    (
        "BW",
        date(2025, 1, 13),
        "P1M",
        ["P1M"],
        [S(date(2025, 1, 20), date(2025, 1, 24)), S(date(2025, 3, 1), date(2025, 3, 3))],
        date(2025, 3, 21),
    ),
    # Suspended Sun 2 - Tue 4 Feb 2025 while the end (Sat 1 Feb) was moved to Mon 3 Feb: only
    # 4 Feb lies in the extension, which runs from 3 Feb; Mon 3 Mar + 1 day = Tue 4 Mar 2025.
    ("BW", date(2025, 1, 1), "P1M", ["P1M"], [S(date(2025, 2, 2), date(2025, 2, 4))], date(2025, 3, 4)),
    # An open suspension during the extension: no due date.
    ("BW", date(2025, 1, 13), "P1M", ["P1M"], [S(date(2025, 3, 1), None)], None),
]


@pytest.mark.parametrize(("state", "start", "duration", "extensions", "suspensions", "expected"), EXTENSIONS)
def test_it_extends_from_the_end_of_the_previous_period(state, start, duration, extensions, suspensions, expected):
    due = deadline_due(
        start=start,
        duration=D(duration),
        state=state,
        suspensions=suspensions,
        extensions=[D(text) for text in extensions],
    )
    assert due == expected


FICTIONS = [
    # Documents complete Thu 15 Jan 2026: three months = Wed 15 Apr 2026.
    (date(2026, 1, 15), None, date(2026, 4, 15)),
    # Extended once by two months: Mon 15 Jun 2026.
    (date(2026, 1, 15), "P2M", date(2026, 6, 15)),
    # Complete Sun 30 Nov 2025: "30 Feb" -> Sat 28 Feb 2026 (§ 188 (3)) -> Mon 2 Mar 2026.
    (date(2025, 11, 30), None, date(2026, 3, 2)),
    # Extended by three months from Mon 2 Mar (the moved end): Tue 2 Jun 2026.
    (date(2025, 11, 30), "P3M", date(2026, 6, 2)),
]


@pytest.mark.parametrize(("documents_complete", "extension", "expected"), FICTIONS)
def test_it_computes_the_genehmigungsfiktion(documents_complete, extension, expected):
    extension = None if extension is None else D(extension)
    assert fiction_due(documents_complete=documents_complete, state="BW", extension=extension) == expected


def test_it_takes_a_different_fiction_period_from_a_legal_provision():
    # Complete Thu 15 Jan 2026, six weeks: Thu 26 Feb 2026.
    due = fiction_due(documents_complete=date(2026, 1, 15), state="BW", period=D("P6W"))
    assert due == date(2026, 2, 26)


# Holidays that only some Länder have, checked against the Feiertagsgesetze of all sixteen.
REGIONAL_HOLIDAYS = [
    (date(2026, 1, 6), {"BW", "BY", "ST"}),  # Heilige Drei Könige
    (date(2026, 6, 4), {"BW", "BY", "HE", "NW", "RP", "SL"}),  # Fronleichnam
    (date(2025, 10, 31), {"BB", "HB", "HH", "MV", "NI", "SH", "SN", "ST", "TH"}),  # Reformationstag
    (date(2024, 11, 1), {"BW", "BY", "NW", "RP", "SL"}),  # Allerheiligen
    (date(2025, 11, 19), {"SN"}),  # Buß- und Bettag
    (date(2026, 3, 9), set()),  # a plain Monday
    (date(2025, 12, 24), set()),  # Heiligabend is a working day
    (date(2025, 12, 31), set()),  # Silvester too
]


@pytest.mark.parametrize(("day", "holiday_in"), REGIONAL_HOLIDAYS)
def test_it_knows_the_holidays_of_each_land(day, holiday_in):
    assert {state for state in STATES if not is_working_day(day, state=state)} == holiday_in


def test_it_treats_weekends_and_nationwide_holidays_as_days_off():
    assert not is_working_day(date(2025, 2, 1), state="BE")  # Saturday
    assert not is_working_day(date(2025, 2, 2), state="BE")  # Sunday
    assert not is_working_day(date(2025, 10, 3), state="BE")  # Tag der Deutschen Einheit
    assert next_working_day(date(2025, 12, 25), state="BE") == date(2025, 12, 29)
    assert next_working_day(date(2025, 12, 29), state="BE") == date(2025, 12, 29)


@pytest.mark.parametrize("state", ["XX", "bw", "Augsburg", "", "DE"])
def test_it_refuses_an_unknown_land(state):
    with pytest.raises(ValueError, match="Bundesland"):
        is_working_day(date(2025, 1, 2), state=state)
    with pytest.raises(ValueError, match="Bundesland"):
        deadline_due(start=date(2025, 1, 2), duration=D("P1M"), state=state)


@pytest.mark.parametrize(
    ("text", "amount", "unit", "label"),
    [
        ("P1M", 1, "months", "1 Monat"),
        ("P3M", 3, "months", "3 Monate"),
        ("P14D", 14, "days", "14 Tage"),
        ("P1D", 1, "days", "1 Tag"),
        ("P1W", 1, "weeks", "1 Woche"),
        ("P2W", 2, "weeks", "2 Wochen"),
        ("P1Y", 1, "years", "1 Jahr"),
        ("P30Y", 30, "years", "30 Jahre"),
        (" p2w ", 2, "weeks", "2 Wochen"),
    ],
)
def test_it_parses_and_labels_durations(text, amount, unit, label):
    duration = Duration.parse(text)
    assert duration == Duration(amount=amount, unit=unit)
    assert duration.iso() == text.strip().upper()
    with translation.override("de"):
        assert duration.label() == label


@pytest.mark.parametrize("text", ["", "P", "P0D", "P1H", "1M", "P1Y2M", "PT1M", "P-1D", "P1.5M", "P1000D", "P١M", None])
def test_it_refuses_a_bad_duration_in_german(text):
    with pytest.raises(ValueError, match="Frist"):
        Duration.parse(text)


@pytest.mark.parametrize(("amount", "unit"), [(0, "days"), (-1, "months"), (True, "days"), (1.5, "days"), (1, "hours")])
def test_it_validates_durations(amount, unit):
    with pytest.raises(ValueError):
        Duration(amount=amount, unit=unit)


def test_it_refuses_a_suspension_that_ends_before_it_starts():
    with pytest.raises(ValueError, match="Hemmung"):
        Suspension(start=date(2025, 3, 2), end=date(2025, 3, 1))
    assert Suspension(start=date(2025, 3, 1), end=date(2025, 3, 1)).end == date(2025, 3, 1)


@pytest.mark.parametrize(
    ("due", "today", "expected"),
    [
        (None, date(2025, 2, 1), "paused"),
        (date(2025, 2, 13), date(2025, 2, 5), "green"),
        (date(2025, 2, 13), date(2025, 2, 6), "amber"),  # seven days before
        (date(2025, 2, 13), date(2025, 2, 13), "amber"),  # the due day is still in time
        (date(2025, 2, 13), date(2025, 2, 14), "red"),
    ],
)
def test_it_shows_a_traffic_light(due, today, expected):
    assert traffic_light(due=due, today=today) == expected


def test_it_takes_the_warning_period_from_the_caller():
    assert traffic_light(due=date(2025, 2, 13), today=date(2025, 2, 5), warn_days=14) == "amber"
    assert traffic_light(due=date(2025, 2, 13), today=date(2025, 2, 12), warn_days=0) == "green"
    with pytest.raises(ValueError):
        traffic_light(due=date(2025, 2, 13), today=date(2025, 2, 12), warn_days=-1)


# Properties over 2020-2035 in every Land.

days = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
durations = st.builds(Duration, amount=st.integers(1, 40), unit=st.sampled_from(["days", "weeks", "months", "years"]))
states = st.sampled_from(STATES)


@st.composite
def closed_suspensions(draw, *, near: date):
    start = draw(st.dates(min_value=near - timedelta(days=30), max_value=near + timedelta(days=400)))
    return Suspension(start=start, end=start + timedelta(days=draw(st.integers(0, 60))))


@st.composite
def cases(draw):
    start = draw(days)
    return {
        "start": start,
        "duration": draw(durations),
        "state": draw(states),
        "suspensions": draw(st.lists(closed_suspensions(near=start), max_size=4)),
        "extensions": draw(st.lists(durations, max_size=2)),
    }


@given(cases())
def test_the_due_date_is_always_a_working_day_not_before_the_period_end(case):
    due = deadline_due(**case)
    assert is_working_day(due, state=case["state"])
    assert due >= period_end(start=case["start"], duration=case["duration"])


@given(cases(), st.data())
def test_a_further_suspension_never_brings_the_due_date_forward(case, data):
    extra = data.draw(closed_suspensions(near=case["start"]))
    before = deadline_due(**case)
    after = deadline_due(**{**case, "suspensions": [*case["suspensions"], extra]})
    assert after >= before


@given(cases(), st.randoms(use_true_random=False))
def test_the_order_of_suspensions_does_not_matter(case, rng: random.Random):
    shuffled = list(case["suspensions"])
    rng.shuffle(shuffled)
    assert deadline_due(**{**case, "suspensions": shuffled}) == deadline_due(**case)


@given(cases(), durations)
def test_an_extension_never_brings_the_due_date_forward(case, extension):
    longer = deadline_due(**{**case, "extensions": [*case["extensions"], extension]})
    assert longer > deadline_due(**case)


@given(durations)
def test_a_duration_survives_its_iso_form(duration):
    assert Duration.parse(duration.iso()) == duration


@given(days, days, durations, st.booleans())
def test_the_period_end_grows_with_the_start(first, second, duration, start_day_counts):
    first, second = sorted([first, second])
    assert period_end(start=first, duration=duration, start_day_counts=start_day_counts) <= period_end(
        start=second, duration=duration, start_day_counts=start_day_counts
    )


@given(days, durations)
def test_the_period_end_with_the_start_day_counted_is_one_day_earlier_at_most(start, duration):
    # § 187 (2) counts one day more than § 187 (1) from the same day, except where § 188 (3) clamps both.
    counted = period_end(start=start, duration=duration, start_day_counts=True)
    event = period_end(start=start, duration=duration)
    assert event - timedelta(days=1) <= counted <= event


@given(days, states, st.one_of(st.none(), durations))
def test_the_fiction_is_a_deadline_with_one_extension(start, state, extension):
    extensions = [] if extension is None else [extension]
    assert fiction_due(documents_complete=start, state=state, extension=extension) == deadline_due(
        start=start, duration=Duration(amount=3, unit="months"), state=state, extensions=extensions
    )
