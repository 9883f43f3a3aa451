from django import forms
from django.utils.translation import gettext_lazy as _

from kreiswerk.accounts.forms import KernForm, check_period, date_field
from kreiswerk.tenancy.models import Role
from kreiswerk.tenancy.permissions import users_with_role

from . import selectors
from .deadlines import Duration
from .models import Deadline


class InboxForm(KernForm):
    ansicht = forms.ChoiceField(
        label=_("Ansicht"),
        choices=[("team", _("Team-Eingang")), ("meine", _("Meine Vorgänge"))],
        required=False,
    )
    einheit = forms.ModelChoiceField(
        label=_("Organisationseinheit"), queryset=None, required=False, empty_label=_("Alle meine Einheiten")
    )
    art = forms.ModelChoiceField(
        label=_("Vorgangsart"), queryset=None, required=False, empty_label=_("Alle Vorgangsarten")
    )
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
        self.fields["einheit"].queryset = selectors.caseworker_units(user)
        self.fields["art"].queryset = selectors.case_types_visible_to(user)
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


class AssignForm(KernForm):
    assignee = forms.ModelChoiceField(label=_("Bearbeitung durch"), queryset=None)

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = users_with_role(Role.CASEWORKER, case.unit)
        self.fields["assignee"].label_from_instance = lambda user: user.get_full_name() or user.username
        self.fields["assignee"].widget.attrs["class"] = "kern-form-input__select"


class StatusForm(KernForm):
    status = forms.CharField(max_length=63)


class ChecklistForm(KernForm):
    item = forms.CharField(max_length=63)


class NoteForm(KernForm):
    text = forms.CharField(label=_("Interne Notiz"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class ReminderForm(KernForm):
    due_on = date_field(_("Wiedervorlage am"))
    reason = forms.CharField(label=_("Anlass"), max_length=500)


class CompleteForm(KernForm):
    on = date_field(_("Unterlagen vollständig seit"))


class ExtendForm(KernForm):
    kind = forms.ChoiceField(label=_("Frist"), choices=Deadline.Kind.choices)
    duration = forms.ChoiceField(
        label=_("Verlängern um"),
        choices=[("P14D", _("14 Tage")), ("P1M", _("1 Monat")), ("P2M", _("2 Monate")), ("P3M", _("3 Monate"))],
    )
    reason = forms.CharField(label=_("Begründung"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_duration(self):
        return Duration.parse(self.cleaned_data["duration"])


class CloseForm(KernForm):
    result = forms.CharField(max_length=63)


class InquiryForm(KernForm):
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


class DecisionDraftForm(KernForm):
    result = forms.CharField(max_length=63)


class DecisionEditForm(KernForm):
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


class DecisionReturnForm(KernForm):
    reason = forms.CharField(label=_("Was ist zu ändern?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class TargetForm(KernForm):
    """Which Rückfrage or Bescheid a button means."""

    target = forms.UUIDField()
