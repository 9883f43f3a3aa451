"""Forms of the project pages: gate, Fachkonzept, roles, goals, milestones, risks, status, effort, limits."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from kreiswerk.accounts.forms import KernForm, date_field

from ..models import Phase, Project, ProjectMember, Risk
from .figures import GermanDecimalField

NUMBER_ERRORS = {
    "required": _("Bitte geben Sie einen Wert an."),
    "invalid": _("Bitte geben Sie eine Zahl an, zum Beispiel 1250,50."),
    "min_value": _("Bitte geben Sie einen Wert ab 0 an."),
    "max_digits": _("Die Zahl ist zu groß."),
    "max_decimal_places": _("Bitte geben Sie höchstens zwei Nachkommastellen an."),
    "max_whole_digits": _("Die Zahl ist zu groß."),
}


def _amount(label, *, required: bool = True, max_digits: int = 12, places: int = 2, minimum=Decimal(0)):
    return GermanDecimalField(
        label=label,
        required=required,
        max_digits=max_digits,
        decimal_places=places,
        min_value=minimum,
        localize=True,
        error_messages=NUMBER_ERRORS,
    )


def _select(field: forms.Field) -> forms.Field:
    field.widget.attrs["class"] = "kern-form-input__select"
    return field


class GateForm(KernForm):
    # The phase the approver saw: a repeated or stale form passes no gate (see ``gate_pass``).
    phase = forms.ChoiceField(choices=Phase.choices, widget=forms.HiddenInput)
    note = forms.CharField(label=_("Vermerk zur Freigabe (freiwillig)"), max_length=500, required=False)


class ConceptForm(KernForm):
    concept = forms.CharField(
        label=_("Fachkonzept"),
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("Ausgangslage, Ziele, Anforderungen, Abläufe, Schnittstellen, Datenschutz, Aufwand."),
        error_messages={"required": _("Bitte schreiben Sie das Fachkonzept.")},
    )


class MemberForm(KernForm):
    user = forms.ModelChoiceField(
        label=_("Person"),
        queryset=get_user_model().objects.none(),
        empty_label=_("bitte wählen"),
        error_messages={
            "required": _("Bitte wählen Sie eine Person."),
            "invalid_choice": _("Bitte wählen Sie eine Person aus der Liste."),
        },
    )
    role = forms.ChoiceField(
        label=_("Rolle im Projekt"),
        choices=ProjectMember.Role.choices,
        error_messages={
            "required": _("Bitte wählen Sie eine Rolle."),
            "invalid_choice": _("Bitte wählen Sie eine Rolle aus der Liste."),
        },
    )

    def __init__(self, *args, mandant_ids, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        field.queryset = (
            get_user_model()
            .objects.filter(is_active=True, memberships__unit__mandant_id__in=mandant_ids)
            .distinct()
            .order_by("last_name", "first_name", "username")
        )
        field.label_from_instance = lambda user: user.get_full_name() or user.username
        _select(field)
        _select(self.fields["role"])


class GoalForm(KernForm):
    text = forms.CharField(
        label=_("Ziel"), max_length=300, error_messages={"required": _("Bitte beschreiben Sie das Ziel.")}
    )
    indicator = forms.CharField(
        label=_("Messgröße"),
        max_length=200,
        help_text=_("Woran der Erfolg gemessen wird, zum Beispiel „Anteil der Online-Anträge“."),
        error_messages={"required": _("Bitte geben Sie an, woran das Ziel gemessen wird.")},
    )
    baseline = _amount(_("Ausgangswert"), required=False, minimum=None)
    target = _amount(_("Zielwert"), minimum=None)
    actual = _amount(_("Istwert"), required=False, minimum=None)
    unit_label = forms.CharField(label=_("Einheit"), max_length=30, required=False, help_text=_("zum Beispiel %, Tage"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].error_messages["required"] = _("Bitte geben Sie den Zielwert an.")


class GoalActualForm(KernForm):
    goal = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)
    actual = _amount(_("Istwert"), required=False, minimum=None)


class MilestoneForm(KernForm):
    title = forms.CharField(
        label=_("Meilenstein"), max_length=200, error_messages={"required": _("Bitte benennen Sie den Meilenstein.")}
    )
    due = date_field(_("geplant bis"))
    done_on = date_field(_("erreicht am"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["due"].error_messages.update(
            required=_("Bitte geben Sie an, bis wann der Meilenstein geplant ist."),
            invalid=_("Bitte geben Sie das Datum wie 31.12.2026 an."),
        )
        self.fields["done_on"].error_messages["invalid"] = _("Bitte geben Sie das Datum wie 31.12.2026 an.")


class MilestoneDoneForm(KernForm):
    milestone = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)
    done_on = date_field(_("erreicht am"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["done_on"].error_messages.update(
            required=_("Bitte geben Sie an, wann der Meilenstein erreicht wurde."),
            invalid=_("Bitte geben Sie das Datum wie 31.12.2026 an."),
        )


RATING_CHOICES = [("1", _("1 – gering")), ("2", _("2 – mittel")), ("3", _("3 – hoch"))]


class RiskForm(KernForm):
    dimension = forms.ChoiceField(
        label=_("Dimension"),
        choices=Risk.Dimension.choices,
        error_messages={
            "required": _("Bitte wählen Sie die Dimension."),
            "invalid_choice": _("Bitte wählen Sie eine Dimension aus der Liste."),
        },
    )
    description = forms.CharField(
        label=_("Risiko"), max_length=300, error_messages={"required": _("Bitte beschreiben Sie das Risiko.")}
    )
    likelihood = forms.TypedChoiceField(
        label=_("Eintrittswahrscheinlichkeit"),
        choices=RATING_CHOICES,
        coerce=int,
        error_messages={
            "required": _("Bitte schätzen Sie die Eintrittswahrscheinlichkeit."),
            "invalid_choice": _("Bitte wählen Sie einen Wert von 1 bis 3."),
        },
    )
    impact = forms.TypedChoiceField(
        label=_("Auswirkung"),
        choices=RATING_CHOICES,
        coerce=int,
        error_messages={
            "required": _("Bitte schätzen Sie die Auswirkung."),
            "invalid_choice": _("Bitte wählen Sie einen Wert von 1 bis 3."),
        },
    )
    mitigation = forms.CharField(label=_("Gegenmaßnahme"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("dimension", "likelihood", "impact"):
            _select(self.fields[name])


class StatusForm(KernForm):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=Project.Status.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Bitte wählen Sie einen Status."),
            "invalid_choice": _("Bitte wählen Sie einen Status."),
        },
    )
    status_reason = forms.CharField(
        label=_("Begründung"),
        max_length=300,
        required=False,
        help_text=_("Nötig, wenn das Projekt gefährdet oder kritisch ist."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].widget.attrs["class"] = "kern-form-check__input"

    def clean(self):
        data = super().clean()
        if data.get("status") not in (None, Project.Status.GREEN) and not data.get("status_reason", "").strip():
            self.add_error("status_reason", _("Bitte begründen Sie, warum das Projekt nicht im Plan ist."))
        return data


class EffortForm(KernForm):
    budget_planned = _amount(_("Budget geplant (€)"))
    budget_used = _amount(_("Budget verbraucht (€)"))
    days_planned = _amount(_("Personentage geplant"), max_digits=8, places=1)
    days_used = _amount(_("Personentage verbraucht"), max_digits=8, places=1)


class ItemForm(KernForm):
    """Names one goal, milestone, risk or member to remove."""

    item = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)


LIMIT_ERRORS = {
    "invalid": _("Bitte geben Sie eine ganze Zahl von 0 bis 999 an oder lassen Sie das Feld leer."),
    "min_value": _("Bitte geben Sie eine ganze Zahl von 0 bis 999 an oder lassen Sie das Feld leer."),
    "max_value": _("Bitte geben Sie eine ganze Zahl von 0 bis 999 an oder lassen Sie das Feld leer."),
}


def limit_field_name(unit) -> str:
    return "programm" if unit is None else f"einheit_{unit.pk}"


class LimitsForm(KernForm):
    """The programme's limit and one per unit; empty means no limit."""

    def __init__(self, *args, units, current: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.units = [None, *units]
        for unit in self.units:
            name = limit_field_name(unit)
            self.fields[name] = forms.IntegerField(
                label=_("gesamtes Programm") if unit is None else unit.name,
                required=False,
                min_value=0,
                max_value=999,
                initial=current.get(unit.pk if unit else None),
                error_messages=LIMIT_ERRORS,
            )
            self.fields[name].widget.attrs["class"] = "kern-form-input__input"

    def limits(self) -> list[tuple[object, int | None]]:
        return [(unit, self.cleaned_data[limit_field_name(unit)]) for unit in self.units]
