"""Forms of the Leistungskatalog: the list's filter, an entry with its checklist, the import."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kreiswerk.accounts.forms import KernForm, date_field
from kreiswerk.assistants.models import Assistant
from kreiswerk.tenancy.models import Mandant, OrganisationalUnit

from .. import maturity
from ..catalogue_io import MAX_IMPORT_BYTES
from ..models import Channel, Service
from ..selectors import programme_mandant_ids
from ..services import YEARLY_VOLUME_MAX

CRITERION_PREFIX = "kriterium_"


class UnitChoiceField(forms.ModelChoiceField):
    """Units of the county and its municipalities; the Mandant is named where there are several."""

    def __init__(self, *args, several: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.several = several

    def label_from_instance(self, obj: OrganisationalUnit) -> str:
        return f"{obj.mandant.name}: {obj.name}" if self.several else obj.name


def _units(mandant: Mandant):
    return OrganisationalUnit.objects.filter(mandant_id__in=programme_mandant_ids(mandant)).select_related("mandant")


def _select(field: forms.Field) -> None:
    field.widget.attrs["class"] = "kern-form-input__select"


class CatalogueForm(KernForm):
    """KernForm, with the error style right for select boxes and for errors added after cleaning."""

    def full_clean(self):
        super().full_clean()
        self._mark_errors()

    def add_error(self, field, error):
        super().add_error(field, error)
        if hasattr(self, "cleaned_data"):
            self._mark_errors()

    def _mark_errors(self):
        for name in self.errors:
            field = self.fields.get(name)
            if field is None or isinstance(field.widget, forms.RadioSelect):
                continue
            base = "kern-form-input__select" if isinstance(field.widget, forms.Select) else "kern-form-input__input"
            field.widget.attrs.update({"aria-invalid": "true", "class": f"{base} {base}--error"})


class ServiceFilterForm(CatalogueForm):
    suche = forms.CharField(
        label=_("Suche"),
        required=False,
        max_length=200,
        widget=forms.SearchInput,
        help_text=_("Bezeichnung oder Anfang des LeiKa-Schlüssels"),
    )
    stufe = forms.TypedChoiceField(
        label=_("Reifegrad"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("alle"))] + [(level, f"{level}: {name}") for level, name in maturity.LEVEL_NAMES.items()],
    )
    zugang = forms.ChoiceField(label=_("Zugang"), required=False, choices=[("", _("alle")), *Channel.choices])
    einheit = UnitChoiceField(
        label=_("zuständige Einheit"),
        required=False,
        queryset=OrganisationalUnit.objects.none(),
        empty_label=_("alle"),
    )

    def __init__(self, *args, mandant: Mandant, **kwargs):
        super().__init__(*args, **kwargs)
        units = _units(mandant).order_by("mandant__name", "path")
        self.fields["einheit"].queryset = units
        self.fields["einheit"].several = units.values("mandant_id").distinct().count() > 1
        for name in ("stufe", "zugang", "einheit"):
            _select(self.fields[name])

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {
            "query": (data.get("suche") or "").strip(),
            "level": data.get("stufe"),
            "channel": data.get("zugang") or "",
            "unit": data.get("einheit"),
        }


class ServiceForm(CatalogueForm):
    """An entry of the catalogue; one radio group per maturity criterion (``kriterium_<key>``)."""

    name = forms.CharField(
        label=_("Bezeichnung"),
        max_length=Service._meta.get_field("name").max_length,
        error_messages={"required": _("Bitte geben Sie die Bezeichnung der Leistung an.")},
    )
    leika_key = forms.CharField(
        label=_("LeiKa-Schlüssel (optional)"),
        required=False,
        max_length=40,
        help_text=_("14 Ziffern, beginnend mit 99, z. B. 99050012104000"),
    )
    unit = UnitChoiceField(
        label=_("zuständige Einheit"),
        queryset=OrganisationalUnit.objects.none(),
        empty_label=_("Bitte wählen"),
        error_messages={
            "required": _("Bitte wählen Sie die zuständige Einheit."),
            "invalid_choice": _("Bitte wählen Sie eine der angebotenen Einheiten."),
        },
    )
    channel = forms.ChoiceField(
        label=_("Zugang"),
        choices=Channel.choices,
        error_messages={
            "required": _("Bitte wählen Sie den Zugang."),
            "invalid_choice": _("Bitte wählen Sie einen der angebotenen Zugänge."),
        },
    )
    assistant = forms.ModelChoiceField(
        label=_("Antragsassistent (nur bei Zugang über kreiswerk)"),
        required=False,
        queryset=Assistant.objects.none(),
        empty_label=_("keiner"),
        error_messages={"invalid_choice": _("Bitte wählen Sie einen der angebotenen Antragsassistenten.")},
    )
    yearly_volume = forms.IntegerField(
        label=_("Fallzahl pro Jahr (optional)"),
        required=False,
        min_value=0,
        max_value=YEARLY_VOLUME_MAX,
        help_text=_("geschätzt; bei einem kreiswerk-Antragsassistenten zählt die Plattform selbst"),
        error_messages={
            "invalid": _("Bitte geben Sie die Fallzahl als ganze Zahl an."),
            "min_value": _("Die Fallzahl kann nicht negativ sein."),
            "max_value": _("Die Fallzahl ist zu groß."),
        },
    )
    online_since = date_field(_("online seit (optional)"), required=False)

    def __init__(self, *args, mandant: Mandant, service: Service | None = None, **kwargs):
        self.service = service
        initial = kwargs.pop("initial", {}) or {}
        if service is not None and service.pk:
            initial = {
                "name": service.name,
                "leika_key": service.leika_key,
                "unit": service.unit_id,
                "channel": service.channel,
                "assistant": service.assistant_id,
                "yearly_volume": service.yearly_volume,
                "online_since": service.online_since,
                **initial,
            }
        answers = (service.criteria if service is not None else None) or {}
        for criterion in maturity.CRITERIA:
            initial.setdefault(CRITERION_PREFIX + criterion.key, answers.get(criterion.key, maturity.NOT_MET))
        super().__init__(*args, initial=initial, **kwargs)
        units = _units(mandant).order_by("mandant__name", "path")
        self.fields["unit"].queryset = units
        self.fields["unit"].several = units.values("mandant_id").distinct().count() > 1
        self.fields["assistant"].queryset = Assistant.objects.filter(
            mandant_id__in=programme_mandant_ids(mandant)
        ).order_by("title")
        for criterion in maturity.CRITERIA:
            choices = [(maturity.MET, _("ja")), (maturity.NOT_MET, _("nein"))]
            if criterion.may_not_apply:
                choices.append((maturity.NOT_APPLICABLE, _("entfällt")))
            self.fields[CRITERION_PREFIX + criterion.key] = forms.ChoiceField(
                label=criterion.label,
                choices=choices,
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Bitte beantworten Sie: %(label)s") % {"label": criterion.label},
                    "invalid_choice": _("Diese Antwort ist hier nicht möglich: %(label)s") % {"label": criterion.label},
                },
            )
        for name in ("unit", "channel", "assistant"):
            _select(self.fields[name])
        self.fields["leika_key"].widget.attrs.update(inputmode="numeric", spellcheck="false", autocomplete="off")

    @property
    def main_fields(self):
        return [self[name] for name in ("name", "leika_key", "unit", "channel", "assistant", "yearly_volume")]

    @property
    def criterion_fields(self):
        """(criterion, bound field) in checklist order, grouped by the level each gates."""
        return [(criterion, self[CRITERION_PREFIX + criterion.key]) for criterion in maturity.CRITERIA]

    def answers(self) -> dict[str, str]:
        """The checklist as ``Service.criteria`` holds it (from the submitted or initial data)."""
        source = self.data if self.is_bound else self.initial
        answers = {}
        for criterion in maturity.CRITERIA:
            answers[criterion.key] = source.get(CRITERION_PREFIX + criterion.key) or maturity.NOT_MET
        return maturity.answers_clean(answers)

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "leika_key": data["leika_key"],
            "unit": data["unit"],
            "channel": data["channel"],
            "assistant": data["assistant"] if data["channel"] == Channel.ASSISTANT else None,
            "yearly_volume": data["yearly_volume"],
            "online_since": data["online_since"],
            "criteria": self.answers(),
        }


class CatalogueImportForm(CatalogueForm):
    file = forms.FileField(
        label=_("Katalogdatei (CSV oder XLSX)"),
        help_text=_(
            "Höchstens 5 MB. Die Spalten wie im Export; LeiKa-Schlüssel am besten als XLSX, "
            "weil Excel lange Zahlen in CSV-Dateien kürzt."
        ),
        error_messages={
            "required": _("Bitte wählen Sie eine Datei aus."),
            "empty": _("Die ausgewählte Datei ist leer."),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = (
            ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        # "Zeile N: …" of a refused file, shown as a list in the error summary.
        self.problems: list[str] = []

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("Die Datei ist größer als 5 MB und wurde nicht angenommen."), code="too_big")
        return upload
