"""Forms of the figures pages: the dashboard's period, hand-kept indicators and their values."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kreiswerk.accounts.forms import KernForm, check_period, date_field

from ..models import Risk
from ..selectors import Period, period_last_year

# A longer period draws a month bar per month; ten years are enough for any report.
MAX_PERIOD_DAYS = 10 * 366

VALUE_LIMIT = Decimal("9999999999.99")  # what the model's DecimalField(12, 2) holds


class PeriodForm(KernForm):
    """``?von=…&bis=…``: both optional; missing ones fall back to the last 365 days."""

    von = date_field(_("Zeitraum von"), required=False)
    bis = date_field(_("Zeitraum bis"), required=False)

    def clean(self):
        cleaned = super().clean()
        check_period(self, "von", "bis")
        start, end = cleaned.get("von"), cleaned.get("bis")
        if start and end and (end - start).days > MAX_PERIOD_DAYS:
            self.add_error("bis", _("Bitte wählen Sie einen Zeitraum von höchstens zehn Jahren."))
        return cleaned

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("von", "bis"):
            self.fields[name].error_messages["invalid"] = _("Bitte geben Sie ein Datum ein, zum Beispiel 31.12.2026.")

    def period(self, today: date | None = None) -> Period:
        """The chosen period; the last 365 days for what is missing (or when the input is invalid)."""
        today = today or timezone.localdate()
        if not self.is_bound or not self.is_valid():
            return period_last_year(today)
        start, end = self.cleaned_data.get("von"), self.cleaned_data.get("bis")
        if start and end:
            return Period(start, end)
        if start:
            return Period(start, today if start <= today else start + timedelta(days=364))
        if end:
            return Period(end - timedelta(days=364), end)
        return period_last_year(today)


GROUPED = re.compile(r"[-+]?\d{1,3}(\.\d{3})+")  # 1.234.567


class GermanDecimalField(forms.DecimalField):
    """A number as German staff type it: 1.234,5 as well as 1234,5 (and 1234.5 from a spreadsheet)."""

    def to_python(self, value):
        if isinstance(value, str):
            text = value.strip().replace(" ", "").replace("\u00a0", "")
            whole, comma, fraction = text.partition(",")
            if "." in whole and GROUPED.fullmatch(whole):
                whole = whole.replace(".", "")
            # Dots anywhere else stay, so "1.2.3,4" is refused rather than read as 123,4.
            value = f"{whole}.{fraction}" if comma else whole
        return super().to_python(value)


def _decimal_field(label, *, required: bool) -> forms.DecimalField:
    return GermanDecimalField(
        label=label,
        required=required,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        max_digits=12,
        decimal_places=2,
        min_value=-VALUE_LIMIT,
        max_value=VALUE_LIMIT,
        error_messages={
            "required": _("Bitte geben Sie einen Wert ein."),
            "invalid": _("Bitte geben Sie eine Zahl ein, zum Beispiel 12,5."),
            "max_digits": _("Bitte geben Sie höchstens zehn Stellen vor dem Komma ein."),
            "max_decimal_places": _("Bitte geben Sie höchstens zwei Nachkommastellen ein."),
            "max_whole_digits": _("Bitte geben Sie höchstens zehn Stellen vor dem Komma ein."),
        },
    )


class IndicatorForm(KernForm):
    name = forms.CharField(
        label=_("Kennzahl"),
        max_length=200,
        help_text=_("zum Beispiel: Telearbeitsplätze, Beschäftigte mit verschlüsselter E-Mail"),
        error_messages={"required": _("Bitte geben Sie die Bezeichnung der Kennzahl ein.")},
    )
    unit_label = forms.CharField(
        label=_("Einheit"),
        max_length=30,
        help_text=_("zum Beispiel: Plätze, Personen, %"),
        error_messages={"required": _("Bitte geben Sie die Einheit ein.")},
    )
    source = forms.CharField(
        label=_("Quelle"),
        max_length=200,
        help_text=_("Woher der Wert stammt, zum Beispiel: Personalamt, Stellenplan"),
        error_messages={"required": _("Bitte geben Sie die Quelle ein.")},
    )
    target = _decimal_field(_("Zielwert (optional)"), required=False)
    dimension = forms.ChoiceField(
        label=_("Dimension (optional)"), choices=[("", _("keine")), *Risk.Dimension.choices], required=False
    )

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()


class IndicatorValueForm(KernForm):
    value = _decimal_field(_("Wert"), required=True)
    as_of = date_field(_("Stand"))
    note = forms.CharField(label=_("Anmerkung (optional)"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["as_of"].error_messages.update(
            required=_("Bitte geben Sie das Datum ein, zu dem der Wert gilt."),
            invalid=_("Bitte geben Sie ein Datum ein, zum Beispiel 31.12.2026."),
        )

    def clean_as_of(self) -> date:
        as_of = self.cleaned_data["as_of"]
        if as_of > timezone.localdate():
            raise forms.ValidationError(_("Der Stand kann nicht in der Zukunft liegen."))
        return as_of
