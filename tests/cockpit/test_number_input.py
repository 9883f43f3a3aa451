"""Numbers as staff type them into the cockpit's forms: German grouping and comma, or a spreadsheet's point."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from kreiswerk.cockpit.forms.figures import GermanDecimalField

amounts = st.decimals(min_value=0, max_value=Decimal("9999999999.99"), places=2, allow_nan=False)


def german(value: Decimal, *, grouped: bool) -> str:
    whole, cents = f"{value:.2f}".split(".")
    if grouped:
        whole = f"{int(whole):,}".replace(",", ".")
    return f"{whole},{cents}"


@pytest.mark.parametrize("localize", [False, True])
@given(value=amounts, grouped=st.booleans())
def test_a_german_number_reads_as_its_value(localize, value, grouped):
    field = GermanDecimalField(max_digits=12, decimal_places=2, localize=localize)
    with translation.override("de"):
        assert field.clean(german(value, grouped=grouped)) == value
        assert field.clean(f"{value:.2f}") == value  # pasted from a spreadsheet
        assert field.clean(f" {german(value, grouped=grouped)}\u00a0") == value


@pytest.mark.parametrize("text", ["12,5,3", "1.2.3,4", "zwölf", "1,234.5"])
def test_what_is_not_a_german_number_is_refused(text):
    field = GermanDecimalField(max_digits=12, decimal_places=2, localize=True)
    with translation.override("de"), pytest.raises(ValidationError):
        field.clean(text)
