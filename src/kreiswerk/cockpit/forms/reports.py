"""The form of a report for the council: kind, period (a half-year, a year or own dates), title, introduction."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kreiswerk.accounts.forms import KernForm, check_period, date_field

from ..models import Report
from ..report import MAX_PERIOD_DAYS
from ..selectors import period_label

CUSTOM = "eigener"
PRESET_YEARS = 5
INTRODUCTION_MAX_CHARS = 20000
CHOOSE_KIND = _("Bitte wählen Sie die Art des Berichts.")
CHOOSE_PERIOD = _("Bitte wählen Sie einen Berichtszeitraum aus der Liste.")
DATE_INVALID = _("Bitte geben Sie ein gültiges Datum ein, zum Beispiel 31.12.2026.")


def period_presets(today: date | None = None) -> list[tuple[str, date, date]]:
    """(key, start, end) of the half-years and years that have begun, newest first."""
    today = today or timezone.localdate()
    presets = []
    for year in range(today.year, today.year - PRESET_YEARS, -1):
        for key, start, end in (
            (f"{year}-2", date(year, 7, 1), date(year, 12, 31)),
            (f"{year}-1", date(year, 1, 1), date(year, 6, 30)),
            (str(year), date(year, 1, 1), date(year, 12, 31)),
        ):
            if start <= today:
                presets.append((key, start, end))
    return presets


def _report_date(label) -> forms.DateField:
    field = date_field(label, required=False)
    field.error_messages["invalid"] = DATE_INVALID
    return field


class ReportForm(KernForm):
    kind = forms.ChoiceField(
        label=_("Art des Berichts"),
        choices=Report.Kind.choices,
        error_messages={"required": CHOOSE_KIND, "invalid_choice": CHOOSE_KIND},
    )
    period = forms.ChoiceField(
        label=_("Berichtszeitraum"),
        help_text=_("Ein Halbjahr, ein Jahr oder ein eigener Zeitraum mit Anfang und Ende."),
        error_messages={"required": CHOOSE_PERIOD, "invalid_choice": CHOOSE_PERIOD},
    )
    start = _report_date(_("Eigener Zeitraum von"))
    end = _report_date(_("Eigener Zeitraum bis"))
    title = forms.CharField(
        label=_("Titel"),
        max_length=200,
        required=False,
        help_text=_("Leer lassen für einen Titel aus Art und Zeitraum, etwa „Sachstandsbericht Digitalisierung 2025“."),
        error_messages={"max_length": _("Bitte kürzen Sie den Titel auf höchstens 200 Zeichen.")},
    )
    introduction = forms.CharField(
        label=_("Einleitung"),
        required=False,
        max_length=INTRODUCTION_MAX_CHARS,
        help_text=_("Text vor den Zahlen des Berichts. Absätze trennen Sie durch eine Leerzeile."),
        widget=forms.Textarea(attrs={"rows": 10}),
        error_messages={"max_length": _("Bitte kürzen Sie die Einleitung auf höchstens 20.000 Zeichen.")},
    )

    def __init__(self, *args, report: Report | None = None, today: date | None = None, **kwargs):
        today = today or timezone.localdate()
        self.presets = {key: (start, end) for key, start, end in period_presets(today)}
        if report is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_for(report)
        elif "initial" not in kwargs:  # the half-year that ended last: what the council asks for next
            ended = [key for key, (_start, end) in self.presets.items() if end < today and "-" in key]
            kwargs["initial"] = {"kind": Report.Kind.HALF_YEAR, "period": ended[0] if ended else CUSTOM}
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = [
            *((key, period_label(start, end)) for key, (start, end) in self.presets.items()),
            (CUSTOM, _("eigener Zeitraum (Daten unten angeben)")),
        ]
        for name in ("kind", "period"):
            self.fields[name].widget.attrs["class"] = "kern-form-input__select"

    def initial_for(self, report: Report) -> dict:
        key = next(
            (key for key, period in self.presets.items() if period == (report.period_start, report.period_end)),
            CUSTOM,
        )
        initial = {"kind": report.kind, "period": key, "title": report.title, "introduction": report.introduction}
        if key == CUSTOM:
            initial.update(start=report.period_start, end=report.period_end)
        return initial

    def clean(self):
        cleaned = super().clean()
        key = cleaned.get("period")
        if key == CUSTOM:
            start, end = cleaned.get("start"), cleaned.get("end")
            if start is None and "start" not in self.errors:
                self.add_error("start", _("Bitte geben Sie den Anfang des eigenen Zeitraums an."))
            if end is None and "end" not in self.errors:
                self.add_error("end", _("Bitte geben Sie das Ende des eigenen Zeitraums an."))
            check_period(self, "start", "end")
            if start and end and start <= end:
                if (end - start).days >= MAX_PERIOD_DAYS:
                    self.add_error("end", _("Ein Bericht umfasst höchstens zwei Jahre."))
                if start > timezone.localdate():
                    self.add_error("start", _("Der Zeitraum darf nicht in der Zukunft beginnen."))
        elif key in self.presets:
            cleaned["start"], cleaned["end"] = self.presets[key]
        return cleaned

    def report_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "period_start": data["start"],
            "period_end": data["end"],
            "title": data["title"],
            "introduction": data["introduction"],
        }
