"""Forms of the idea pages: ratings, decision, linked service, scoring weights, project from an idea."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kreiswerk.accounts.forms import KernForm
from kreiswerk.tenancy.models import OrganisationalUnit

from ..models import Idea, ScoringCriterion, Service

VALUE_CHOICES = [("", _("nicht bewertet")), *((str(value), str(value)) for value in range(6))]


def _criterion_field_name(criterion: ScoringCriterion) -> str:
    return f"kriterium_{criterion.key}"


class RatingForm(KernForm):
    """One select per criterion (0–5, or not rated); the demand criterion may stay empty and follow the volume."""

    def __init__(self, *args, criteria: list[ScoringCriterion], ratings: dict[int, int], derived: int | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            help_text = criterion.help_text
            if criterion.source == ScoringCriterion.Source.CASE_VOLUME:
                if derived is None:
                    help_text = _("Ohne verknüpfte Leistung mit Fallzahl: bitte schätzen.")
                else:
                    help_text = _(
                        "Aus der Fallzahl der Leistung: %(value)s. Leer lassen, um diesen Wert zu übernehmen; "
                        "ein gewählter Wert ersetzt ihn."
                    ) % {"value": derived}
            field = forms.TypedChoiceField(
                label=criterion.label,
                choices=VALUE_CHOICES,
                coerce=int,
                empty_value=None,
                required=False,
                help_text=help_text,
                error_messages={"invalid_choice": _("Bitte wählen Sie einen Wert von 0 bis 5.")},
            )
            field.widget.attrs["class"] = "kern-form-input__select"
            self.fields[_criterion_field_name(criterion)] = field
            if criterion.pk in ratings:
                self.initial[_criterion_field_name(criterion)] = str(ratings[criterion.pk])

    def values(self) -> dict[ScoringCriterion, int | None]:
        return {criterion: self.cleaned_data[_criterion_field_name(criterion)] for criterion in self.criteria}


class DecisionForm(KernForm):
    decision = forms.ChoiceField(
        label=_("Entscheidung"),
        choices=Idea.Decision.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Bitte wählen Sie eine Entscheidung."),
            "invalid_choice": _("Bitte wählen Sie eine Entscheidung."),
        },
    )
    reason = forms.CharField(
        label=_("Begründung"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Bitte begründen Sie die Entscheidung.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].widget.attrs["class"] = "kern-form-check__input"


class IdeaServiceForm(KernForm):
    service = forms.ModelChoiceField(
        label=_("Leistung aus dem Katalog"),
        queryset=Service.objects.none(),
        required=False,
        empty_label=_("keine Leistung"),
        help_text=_("Die Fallzahl der Leistung bestimmt die Nachfrage."),
        error_messages={"invalid_choice": _("Bitte wählen Sie eine Leistung aus der Liste.")},
    )

    def __init__(self, *args, mandant_ids, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["service"]
        field.queryset = Service.objects.filter(mandant_id__in=mandant_ids).order_by("name", "pk")
        field.widget.attrs["class"] = "kern-form-input__select"


class ProjectFromIdeaForm(KernForm):
    title = forms.CharField(
        label=_("Titel des Projekts"),
        max_length=200,
        error_messages={"required": _("Bitte geben Sie den Titel des Projekts an.")},
    )
    unit = forms.ModelChoiceField(
        label=_("federführende Einheit"),
        queryset=OrganisationalUnit.objects.none(),
        error_messages={
            "required": _("Bitte wählen Sie die federführende Einheit."),
            "invalid_choice": _("Bitte wählen Sie eine Einheit aus der Liste."),
        },
    )

    def __init__(self, *args, mandant, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        field.queryset = OrganisationalUnit.objects.filter(mandant=mandant).order_by("path")
        field.label_from_instance = lambda unit: unit.name
        field.widget.attrs["class"] = "kern-form-input__select"


class WeightsForm(KernForm):
    def __init__(self, *args, criteria: list[ScoringCriterion], **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            self.fields[_criterion_field_name(criterion)] = forms.IntegerField(
                label=criterion.label,
                min_value=0,
                max_value=100,
                initial=criterion.weight,
                help_text=criterion.help_text,
                error_messages={
                    "required": _("Bitte geben Sie ein Gewicht von 0 bis 100 an."),
                    "invalid": _("Bitte geben Sie ein Gewicht als ganze Zahl von 0 bis 100 an."),
                    "min_value": _("Bitte geben Sie ein Gewicht von 0 bis 100 an."),
                    "max_value": _("Bitte geben Sie ein Gewicht von 0 bis 100 an."),
                },
            )
            self.fields[_criterion_field_name(criterion)].widget.attrs["class"] = "kern-form-input__input"

    def weights(self) -> dict[ScoringCriterion, int]:
        return {criterion: self.cleaned_data[_criterion_field_name(criterion)] for criterion in self.criteria}
