"""Property tests of the validators for what citizens type: IBAN, PLZ, dates, amounts."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from schwifty import IBAN

from kreiswerk.assistants import validators
from kreiswerk.assistants.validators import parse_decimal, parse_integer, validate_postal_code

SETTINGS = settings(max_examples=200, deadline=None)

BANK_CODE = st.from_regex(r"[1-8][0-9]{7}", fullmatch=True)
ACCOUNT_CODE = st.from_regex(r"[0-9]{1,10}", fullmatch=True)


@st.composite
def german_ibans(draw) -> str:
    bank_code, account_code = draw(BANK_CODE), draw(ACCOUNT_CODE)
    return IBAN.generate("DE", bank_code=bank_code, account_code=account_code).compact


@st.composite
def spaced(draw, compact: str) -> str:
    """The IBAN as people type it: any grouping, any case, blanks around."""
    parts, rest = [], compact
    while rest:
        size = draw(st.integers(1, 6))
        parts.append(rest[:size])
        rest = rest[size:]
    separators = [draw(st.sampled_from(["", " ", "  ", "\t"])) for _ in parts[1:]]
    text = parts[0] + "".join(sep + part for sep, part in zip(separators, parts[1:], strict=True))
    text = "".join(ch.lower() if draw(st.booleans()) else ch for ch in text)
    return draw(st.sampled_from(["", " "])) + text + draw(st.sampled_from(["", " ", "\n"]))


# --- IBAN -------------------------------------------------------------------------------


@SETTINGS
@given(st.data())
def test_generated_iban_is_accepted_in_any_spacing_and_case(data):
    compact = data.draw(german_ibans())
    typed = data.draw(spaced(compact))
    assert validators.validate_iban(typed) == compact
    assert validators.format_iban(compact).replace(" ", "") == compact


@SETTINGS
@given(german_ibans(), st.data())
def test_any_single_digit_change_is_rejected(compact, data):
    # Every position after the country code is a digit in a German IBAN.
    position = data.draw(st.integers(2, len(compact) - 1))
    replacement = data.draw(st.sampled_from("0123456789").filter(lambda d: d != compact[position]))
    changed = compact[:position] + replacement + compact[position + 1 :]
    with pytest.raises(ValidationError) as error:
        validators.validate_iban(changed)
    assert "IBAN ist nicht gültig" in error.value.messages[0]


@SETTINGS
@given(german_ibans(), st.data())
def test_swapped_neighbouring_digits_are_rejected(compact, data):
    position = data.draw(st.integers(4, len(compact) - 2))
    assume(compact[position] != compact[position + 1])
    swapped = compact[:position] + compact[position + 1] + compact[position] + compact[position + 2 :]
    with pytest.raises(ValidationError):
        validators.validate_iban(swapped)


@pytest.mark.parametrize("value", ["", "   ", "DE", "DE02 1203 0000 0000 2020 5", "XX02120300000000202051"])
def test_incomplete_or_foreign_nonsense_iban_is_rejected(value):
    with pytest.raises(ValidationError):
        validators.validate_iban(value)


# --- PLZ --------------------------------------------------------------------------------


@SETTINGS
@given(st.from_regex(r"(0[1-9]|[1-9][0-9])[0-9]{3}", fullmatch=True))
def test_every_five_digit_postal_code_not_starting_with_00_is_accepted(code):
    assert validators.validate_postal_code(code) == code
    assert validators.validate_postal_code(f" {code} ") == code


@SETTINGS
@given(st.from_regex(r"00[0-9]{3}", fullmatch=True))
def test_postal_codes_of_the_00_zone_are_rejected(code):
    with pytest.raises(ValidationError):
        validators.validate_postal_code(code)


@SETTINGS
@given(
    st.from_regex(r"[0-9]{0,4}|[0-9]{6,9}", fullmatch=True)
    | st.from_regex(r"[0-9]{0,4}[A-Za-zÄÖÜäöü\-][0-9]{0,4}", fullmatch=True)
)
def test_other_lengths_and_letters_are_rejected(code):
    with pytest.raises(ValidationError) as error:
        validators.validate_postal_code(code)
    assert "fünf Ziffern" in error.value.messages[0]


# --- dates ------------------------------------------------------------------------------


@SETTINGS
@given(st.dates(min_value=datetime.date(1000, 1, 1)), st.booleans())
def test_every_real_date_is_accepted(day, zero_padded):
    if zero_padded:
        parts = (f"{day.day:02d}", f"{day.month:02d}", str(day.year))
    else:
        parts = (str(day.day), str(day.month), str(day.year))
    assert validators.parse_date_parts(*parts) == day
    assert validators.parse_date_parts(*(f" {part} " for part in parts)) == day


@SETTINGS
@given(st.integers(1000, 9999), st.integers(1, 12), st.integers(1, 31))
def test_impossible_dates_are_rejected(year, month, day):
    try:
        datetime.date(year, month, day)
    except ValueError:
        with pytest.raises(ValidationError) as error:
            validators.parse_date_parts(str(day), str(month), str(year))
        assert "Dieses Datum gibt es nicht" in error.value.messages[0]
    else:
        assert validators.parse_date_parts(str(day), str(month), str(year)) == datetime.date(year, month, day)


@pytest.mark.parametrize(
    ("day", "month", "year"),
    [
        ("31", "2", "2026"),
        ("29", "2", "2025"),
        ("31", "4", "2026"),
        ("0", "1", "2026"),
        ("1", "13", "2026"),
        ("1", "0", "2026"),
    ],
)
def test_known_impossible_dates(day, month, year):
    with pytest.raises(ValidationError, match="Dieses Datum gibt es nicht"):
        validators.parse_date_parts(day, month, year)


def test_29_february_of_a_leap_year_is_real():
    assert validators.parse_date_parts("29", "2", "2028") == datetime.date(2028, 2, 29)


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        (("", "3", "2026"), "Tag"),
        (("27", "", ""), "Monat und Jahr fehlen"),
        (("27", "3", "26"), "vierstellig"),
        (("27", "März", "2026"), "vierstellig"),
    ],
)
def test_incomplete_or_malformed_dates_name_the_problem(parts, message):
    with pytest.raises(ValidationError) as error:
        validators.parse_date_parts(*parts)
    assert message in error.value.messages[0]


# --- amounts ----------------------------------------------------------------------------

MONEY = st.decimals(min_value=Decimal("-1000000000"), max_value=Decimal("1000000000"), places=2)


@SETTINGS
@given(MONEY)
def test_parse_decimal_round_trips_format_decimal_for_money(amount):
    text = validators.format_decimal(amount)
    assert validators.parse_decimal(text, places=2) == amount
    assert validators.parse_decimal(f"{text} €", places=2) == amount


@SETTINGS
@given(MONEY)
def test_plain_notation_is_accepted_too(amount):
    assert validators.parse_decimal(f"{amount:f}", places=2) == amount


@SETTINGS
@given(st.decimals(min_value=Decimal("0"), max_value=Decimal("1000"), places=3))
def test_more_than_two_places_are_rejected_for_money(amount):
    assume(amount != amount.quantize(Decimal("0.01")))
    with pytest.raises(ValidationError, match="Nachkommastellen"):
        validators.parse_decimal(validators.format_decimal(amount, places=3), places=2)


@pytest.mark.parametrize("text", ["12,5,0", "1.23.4", "zwölf", "12 Euro", ",", "1e5"])
def test_malformed_amounts_are_rejected(text):
    with pytest.raises(ValidationError):
        validators.parse_decimal(text)


def test_german_thousands_separators_are_read_as_such():
    assert parse_integer("1.500") == 1500
    assert parse_decimal("1.000", places=2) == Decimal("1000")
    assert parse_decimal("1.234,5") == Decimal("1234.5")
    assert parse_decimal("1.5") == Decimal("1.5")


@pytest.mark.parametrize("text", ["1.5", "2.50", "12.3456"])
def test_an_integer_with_a_decimal_point_is_refused_not_silently_multiplied(text):
    with pytest.raises(ValidationError):
        parse_integer(text)


@pytest.mark.parametrize("text", ["٨٨٤٠٠", "８８４００"])
def test_only_ascii_digits_make_a_postal_code(text):
    with pytest.raises(ValidationError):
        validate_postal_code(text)


def test_a_decimal_with_too_many_places_is_refused_before_it_is_stored():
    with pytest.raises(ValidationError):
        parse_decimal("1,0000000000000000000000000001")
    assert parse_decimal("1,0123456789") == Decimal("1.0123456789")
