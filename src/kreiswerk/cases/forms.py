import contextlib
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.models import ModelChoiceIterator
from django.utils.translation import gettext_lazy as _

from kreiswerk.accounts.forms import KernForm, WidgetRenderer, check_period, date_field
from kreiswerk.tenancy.models import Role
from kreiswerk.tenancy.permissions import users_with_role

from . import selectors
from .deadlines import Duration
from .models import Deadline


class CaseForm(KernForm):
    # Several forms on every case page: their widgets are written without the template engine.
    default_renderer = WidgetRenderer()


class _RowIterator(ModelChoiceIterator):
    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for row in self.field.rows:
            yield self.choice(row)

    def __len__(self):
        return len(self.field.rows) + (1 if self.field.empty_label is not None else 0)

    def __bool__(self):
        return self.field.empty_label is not None or bool(self.field.rows)


class RowChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField over rows read beforehand (``rows``): showing and checking a choice asks the
    database nothing more. Django's field queries once to render (through a server-side cursor on
    PostgreSQL, three round trips) and once more to validate."""

    iterator = _RowIterator

    def __init__(self, **kwargs):
        self._rows: dict = {}
        super().__init__(queryset=None, **kwargs)

    @property
    def rows(self) -> list:
        return list(self._rows.values())

    @rows.setter
    def rows(self, rows) -> None:
        self._rows = {row.pk: row for row in rows}
        self.widget.choices = self.choices

    def to_python(self, value):
        if value in self.empty_values:
            return None
        self.validate_no_null_characters(value)
        row = None
        if isinstance(value, models.Model):
            row = self._rows.get(value.pk)
        elif self._rows:
            pk = next(iter(self._rows.values()))._meta.pk
            with contextlib.suppress(ValidationError, TypeError):
                row = self._rows.get(pk.to_python(value))
        if row is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value})
        return row


class InboxForm(CaseForm):
    ansicht = forms.ChoiceField(
        label=_("Ansicht"),
        choices=[("team", _("Team-Eingang")), ("meine", _("Meine Vorgänge"))],
        required=False,
    )
    einheit = RowChoiceField(label=_("Organisationseinheit"), required=False, empty_label=_("Alle meine Einheiten"))
    art = RowChoiceField(label=_("Vorgangsart"), required=False, empty_label=_("Alle Vorgangsarten"))
    status = forms.CharField(label=_("Status"), required=False, max_length=63)
    frist = forms.ChoiceField(
        label=_("Frist"),
        required=False,
        choices=[
            ("", _("Alle Fristen")),
            ("ueberfaellig", _("überschritten")),
            ("7tage", _("endet in den nächsten 7 Tagen")),
            ("ohne", _("ohne laufende Frist")),
        ],
    )
    bearbeitung = forms.ChoiceField(
        label=_("Bearbeitung"),
        required=False,
        choices=[("", _("alle")), ("offen", _("noch niemandem zugewiesen"))],
    )
    abgeschlossen = forms.BooleanField(label=_("Abgeschlossene Vorgänge zeigen"), required=False)
    suche = forms.CharField(
        label=_("Suche"),
        required=False,
        max_length=200,
        help_text=_("Aktenzeichen, Name oder E-Mail-Adresse der antragstellenden Person"),
    )
    von = date_field(_("Eingegangen ab"), required=False)
    bis = date_field(_("Eingegangen bis"), required=False)
    sortierung = forms.ChoiceField(
        label=_("Sortierung"),
        required=False,
        choices=[
            ("frist", _("Frist, früheste zuerst")),
            ("eingang", _("Eingang, neueste zuerst")),
            ("eingang_alt", _("Eingang, älteste zuerst")),
            ("az", _("Aktenzeichen")),
        ],
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["einheit"].rows = selectors.caseworker_units(user)
        self.fields["art"].rows = selectors.case_types_visible_to(user).only("id", "title")
        for name in ("einheit", "art", "frist", "bearbeitung", "sortierung", "ansicht"):
            self.fields[name].widget.attrs["class"] = "kern-form-input__select"
        self.fields["abgeschlossen"].widget.attrs["class"] = "kern-form-check__input"

    def clean(self):
        data = super().clean()
        check_period(self, "von", "bis")
        return data

    def selection(self) -> selectors.InboxFilter:
        data = self.cleaned_data
        return selectors.InboxFilter(
            unit=data.get("einheit"),
            mine=data.get("ansicht") == "meine",
            case_type=data.get("art"),
            status=data.get("status") or "",
            due=data.get("frist") or "",
            unassigned=data.get("bearbeitung") == "offen",
            closed=bool(data.get("abgeschlossen")),
            query=data.get("suche") or "",
            received_from=data.get("von"),
            received_to=data.get("bis"),
            sort=data.get("sortierung") or "frist",
        )


def assignees(case) -> list:
    """Who may take over ``case``: the caseworkers of its unit, with what their names need."""
    return list(users_with_role(Role.CASEWORKER, case.unit).only("id", "username", "first_name", "last_name"))


class AssignForm(CaseForm):
    assignee = RowChoiceField(label=_("Bearbeitung durch"))

    def __init__(self, *args, case, people: list | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].rows = assignees(case) if people is None else people
        self.fields["assignee"].label_from_instance = lambda user: user.get_full_name() or user.username
        self.fields["assignee"].widget.attrs["class"] = "kern-form-input__select"


class StatusForm(CaseForm):
    status = forms.CharField(max_length=63)


class ChecklistForm(CaseForm):
    item = forms.CharField(max_length=63)


class NoteForm(CaseForm):
    text = forms.CharField(label=_("Interne Notiz"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class RefundForm(CaseForm):
    payment = forms.UUIDField(widget=forms.HiddenInput)
    amount = forms.DecimalField(
        label=_("Betrag in Euro"), max_digits=10, decimal_places=2, min_value=Decimal("0.01"), localize=True
    )
    reason = forms.CharField(label=_("Grund der Erstattung"), max_length=500)


class ReminderForm(CaseForm):
    due_on = date_field(_("Wiedervorlage am"))
    reason = forms.CharField(label=_("Anlass"), max_length=500)


class CompleteForm(CaseForm):
    on = date_field(_("Unterlagen vollständig seit"))


class ExtendForm(CaseForm):
    kind = forms.ChoiceField(label=_("Frist"), choices=Deadline.Kind.choices)
    duration = forms.ChoiceField(
        label=_("Verlängern um"),
        choices=[("P14D", _("14 Tage")), ("P1M", _("1 Monat")), ("P2M", _("2 Monate")), ("P3M", _("3 Monate"))],
    )
    reason = forms.CharField(label=_("Begründung"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_duration(self):
        return Duration.parse(self.cleaned_data["duration"])


class CloseForm(CaseForm):
    result = forms.CharField(max_length=63)


class InquiryForm(CaseForm):
    question = forms.CharField(
        label=_("Ihre Rückfrage an die antragstellende Person"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Die antragstellende Person liest diesen Text auf der Seite „Mein Antrag“."),
    )
    answer_by = date_field(_("Antwort erbeten bis"))
    allows_upload = forms.BooleanField(label=_("Dokumente können hochgeladen werden"), required=False, initial=True)
    suspends = forms.BooleanField(label=_("Bearbeitungsfrist bis zur Antwort hemmen"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("allows_upload", "suspends"):
            self.fields[name].widget.attrs["class"] = "kern-form-check__input"


class DecisionDraftForm(CaseForm):
    result = forms.CharField(max_length=63)


class DecisionEditForm(CaseForm):
    result = forms.ChoiceField(label=_("Ergebnis"))
    subject = forms.CharField(label=_("Betreff"), max_length=200)
    body = forms.CharField(
        label=_("Text des Bescheids"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 18, "class": "kern-form-input__input kw-textarea-tall"}),
    )

    def __init__(self, *args, definition, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["result"].choices = [(result.key, result.title) for result in definition.results]
        self.fields["result"].widget.attrs["class"] = "kern-form-input__select"


class DecisionReturnForm(CaseForm):
    reason = forms.CharField(label=_("Was ist zu ändern?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class TargetForm(CaseForm):
    """Which Rückfrage or Bescheid a button means."""

    target = forms.UUIDField()
