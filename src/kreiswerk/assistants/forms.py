"""Forms of the form builders' area: import a definition file or a FIM schema, set the publication window."""

import json

import yaml
from django import forms
from django.core.validators import RegexValidator
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kreiswerk.tenancy.models import OrganisationalUnit

from . import definition as definition_module
from . import fim
from .models import Assistant
from .services import fim_definition_build

MAX_IMPORT_BYTES = 1024 * 1024
# FIM: the schema and each code list up to the reader's limit; together at most this much XML is parsed.
MAX_FIM_FILE_BYTES = fim.MAX_BYTES
MAX_FIM_TOTAL_BYTES = 50 * 1024 * 1024
MAX_FIM_CODELISTS = 30


class KernBoundField(forms.BoundField):
    """Widgets with the KERN classes; the error modifier when the field has errors."""

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        widget = widget or self.field.widget
        if isinstance(widget, forms.CheckboxInput):
            base = "kern-form-check__checkbox"
        elif isinstance(widget, forms.Select):
            base = "kern-form-input__select"
        else:
            base = "kern-form-input__input"
        classes = [attrs.get("class", ""), base]
        if self.errors:
            classes.append(f"{base}--error")
        attrs["class"] = " ".join(c for c in classes if c)
        return attrs


class KernForm(forms.Form):
    bound_field_class = KernBoundField


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: OrganisationalUnit) -> str:
        return f"{obj.mandant.name}: {obj.name}"


class ImportForm(KernForm):
    """Upload of a definition file into one of the form builder's units.

    Field order matters: the file comes last, so that unit and note are still
    read when the upload handler refuses an oversized request.
    """

    unit = UnitChoiceField(
        label=_("Organisationseinheit"),
        queryset=OrganisationalUnit.objects.none(),
        empty_label=_("Bitte wählen"),
        help_text=_("Die Einheit, die den Antragsassistenten verantwortet."),
        error_messages={
            "required": _("Wählen Sie eine Organisationseinheit."),
            "invalid_choice": _("Wählen Sie eine Organisationseinheit, die Sie verwalten."),
        },
    )
    note = forms.CharField(
        label=_("Änderungsnotiz (optional)"),
        max_length=500,
        required=False,
        help_text=_("Was hat sich gegenüber der vorigen Version geändert?"),
    )
    file = forms.FileField(
        label=_("Definitionsdatei"),
        help_text=_("JSON- oder YAML-Datei, höchstens 1 MB."),
        error_messages={
            "required": _("Wählen Sie eine Definitionsdatei aus."),
            "empty": _("Die ausgewählte Datei ist leer."),
        },
    )

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["unit"].queryset = units.select_related("mandant").order_by("mandant__name", "path")
        self.fields["file"].widget.attrs["accept"] = ".json,.yaml,.yml,application/json,application/yaml,text/yaml"
        self.data_loaded: dict | None = None
        # German problems of an invalid definition, shown as a list in the error summary.
        self.problems: list[str] = []

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("Die Datei ist größer als 1 MB und wurde nicht angenommen."), code="too_big")
        return upload

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        unit = cleaned.get("unit")
        if upload is None:
            return cleaned
        try:
            upload.seek(0)
            content = upload.read(MAX_IMPORT_BYTES + 1)
            data = definition_module.load_text(content)
            _refuse_yaml_aliases(content)
            _refuse_non_json_values(data)
            parsed = definition_module.parse(data)
            _check_publication(data)
        except definition_module.DefinitionError as exc:
            self.problems = list(exc.problems)
            self.add_error("file", gettext("Die Definition enthält Fehler (siehe Liste)."))
            return cleaned
        except RecursionError:
            self.problems = [gettext("Die Datei ist zu tief verschachtelt.")]
            self.add_error("file", gettext("Die Definition enthält Fehler (siehe Liste)."))
            return cleaned
        if unit is not None:
            _check_slug_owner(self, unit, parsed.slug)
        self.data_loaded = data
        return cleaned


def _check_slug_owner(form: forms.Form, unit: OrganisationalUnit, slug: str) -> None:
    """A new version must go to the unit that owns the assistant; say which one, if the user manages it."""
    existing = Assistant.objects.filter(mandant_id=unit.mandant_id, slug=slug).select_related("unit").first()
    if existing is None or existing.unit_id == unit.pk:
        return
    if form.fields["unit"].queryset.filter(pk=existing.unit_id).exists():
        message = gettext(
            "Der Antragsassistent „%(slug)s“ gehört zur Organisationseinheit "
            "„%(unit)s“. Wählen Sie diese Einheit, um eine neue Version zu importieren."
        ) % {"slug": slug, "unit": existing.unit.name}
    else:
        message = gettext(
            "Das Kürzel „%(slug)s“ ist bereits für einen Antragsassistenten einer "
            "anderen Organisationseinheit vergeben."
        ) % {"slug": slug}
    form.add_error("unit", message)


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Zero or more files from one ``<input type="file" multiple>``; cleans to a list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(upload, initial) for upload in data if upload]
        return [single(data, initial)] if data else []


class FimImportForm(KernForm):
    """Upload of an XDatenfelder message and its genericode lists into one of the form builder's units.

    As with ``ImportForm`` the files come after unit and slug in the page, so that those are still
    read when the upload handler refuses an oversized request.
    """

    unit = ImportForm.base_fields["unit"]
    slug = forms.CharField(
        label=_("Kürzel (optional)"),
        max_length=63,
        required=False,
        help_text=_(
            "Kleinbuchstaben, Ziffern und Bindestriche. Leer: fim-<Schemakennung>, z. B. fim-s00000094. "
            "Gibt es den Antragsassistenten schon, wird eine neue Version angelegt."
        ),
        validators=[
            RegexValidator(
                r"^[a-z0-9][a-z0-9-]{1,62}$",
                message=_(
                    "Das Kürzel darf nur Kleinbuchstaben, Ziffern und Bindestriche enthalten (2 bis 63 Zeichen)."
                ),
            )
        ],
    )
    schema = forms.FileField(
        label=_("FIM-Schema"),
        help_text=_(
            "XDatenfelder-Nachricht (Version 2.0 oder 3.0) mit einem Stammdatenschema oder einer "
            "Datenfeldgruppe, XML-Datei, höchstens 20 MB."
        ),
        error_messages={
            "required": _("Wählen Sie die XML-Datei mit dem FIM-Schema aus."),
            "empty": _("Die ausgewählte Datei ist leer."),
        },
    )
    codelists = MultipleFileField(
        label=_("Codelisten (optional)"),
        required=False,
        help_text=_(
            "Die genericode-Dateien der Codelisten, auf die das Schema verweist (aus dem XRepository). "
            "Mehrere Dateien auf einmal auswählen, höchstens 30."
        ),
        error_messages={"empty": _("Eine der ausgewählten Codelisten-Dateien ist leer.")},
    )
    allow_missing_codelists = forms.BooleanField(
        label=_("Fehlende Codelisten zulassen"),
        required=False,
        help_text=_("Felder mit fehlender Codeliste werden Textfelder und im Importbericht zur Prüfung genannt."),
    )

    def __init__(self, *args, units=None, upload_errors=(), **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["unit"].queryset = units.select_related("mandant").order_by("mandant__name", "path")
        # ``(field name or None, message)`` from the upload handler: files it refused (too large, too many).
        self.upload_errors = list(upload_errors)
        accept = ".xml,application/xml,text/xml"
        self.fields["schema"].widget.attrs["accept"] = accept
        self.fields["codelists"].widget.attrs["accept"] = accept
        self.definition: dict | None = None
        self.report: fim.ImportReport | None = None
        # German problems of a file that cannot be imported, shown as a list in the error summary.
        self.problems: list[str] = []
        self.problems_title = gettext("Probleme beim FIM-Import:")

    def clean_codelists(self):
        uploads = self.cleaned_data["codelists"]
        if len(uploads) > MAX_FIM_CODELISTS:
            raise forms.ValidationError(
                gettext("Wählen Sie höchstens %(count)s Codelisten aus.") % {"count": MAX_FIM_CODELISTS},
                code="too_many",
            )
        return uploads

    def clean(self):
        cleaned = super().clean()
        if self.upload_errors:
            # The refused file is missing from the request: its message replaces "no file chosen".
            targets = [name if name in self.fields else None for name, _message in self.upload_errors]
            for name in set(targets) - {None}:
                self._errors.pop(name, None)
            for target, (_name, message) in zip(targets, self.upload_errors, strict=True):
                self.add_error(target, message)
            return cleaned
        schema, codelists = cleaned.get("schema"), cleaned.get("codelists")
        if schema is None or codelists is None or self.errors:
            return cleaned
        if sum(upload.size for upload in [schema, *codelists]) > MAX_FIM_TOTAL_BYTES:
            self.add_error(
                "codelists",
                gettext("Die Dateien sind zusammen größer als %(limit)s MB und wurden nicht angenommen.")
                % {"limit": MAX_FIM_TOTAL_BYTES // (1024 * 1024)},
            )
            return cleaned
        try:
            self.definition, self.report = fim_definition_build(
                message=_read(schema),
                message_name=schema.name,
                codelists=[(_read(upload), upload.name) for upload in codelists],
                slug=cleaned.get("slug"),
                allow_missing_codelists=cleaned.get("allow_missing_codelists", False),
            )
        except fim.MissingCodelistsError as exc:
            self.problems = list(exc.problems)
            self.add_error(
                "codelists",
                gettext(
                    "Es fehlen Codelisten, auf die das Schema verweist (siehe Liste). Laden Sie sie mit hoch "
                    "oder lassen Sie fehlende Codelisten zu."
                ),
            )
            return cleaned
        except fim.FimError as exc:
            self.problems = list(exc.problems)
            self.add_error("schema", _not_importable())
            return cleaned
        except RecursionError:
            self.problems = [gettext("Die Datei ist zu tief verschachtelt.")]
            self.add_error("schema", _not_importable())
            return cleaned
        unit = cleaned.get("unit")
        if unit is not None:
            _check_slug_owner(self, unit, self.definition["slug"])
        return cleaned


def _not_importable() -> str:
    return gettext("Die Dateien können nicht als FIM-Schema importiert werden (siehe Liste).")


def _read(upload) -> bytes:
    upload.seek(0)
    return upload.read(MAX_FIM_FILE_BYTES + 1)


def _refuse_yaml_aliases(content: bytes) -> None:
    """YAML anchors/aliases can expand a small file into a huge structure; definitions need none."""
    try:
        json.loads(content)
        return
    except ValueError:
        pass
    try:
        for event in yaml.parse(content.decode("utf-8"), Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                message = gettext("Die Datei verwendet YAML-Anker und -Verweise (&/*); bitte ausschreiben.")
                raise definition_module.DefinitionError([message])
    except yaml.YAMLError as exc:
        raise definition_module.DefinitionError(
            [gettext("Die Datei ist weder gültiges JSON noch YAML: %(error)s") % {"error": exc}]
        ) from exc


def _refuse_non_json_values(data: dict) -> None:
    try:
        json.dumps(data)
    except (TypeError, ValueError) as exc:
        raise definition_module.DefinitionError(
            [
                gettext(
                    "Die Datei enthält Werte, die sich nicht als JSON speichern lassen "
                    "(zum Beispiel Datumsangaben ohne Anführungszeichen)."
                )
            ]
        ) from exc


def _check_publication(data: dict) -> None:
    publication = data.get("publication") or {}
    problems = []
    values = {}
    for key in ("active_from", "active_until"):
        raw = publication.get(key)
        if not raw:
            continue
        try:
            value = parse_datetime(raw)
        except ValueError:
            value = None
        if value is None:
            problems.append(
                gettext(
                    "publication/%(key)s: „%(value)s“ ist kein gültiger Zeitpunkt "
                    "(erwartet z. B. 2026-01-31T08:00:00+01:00)."
                )
                % {"key": key, "value": raw}
            )
        else:
            values[key] = value
    start, end = values.get("active_from"), values.get("active_until")
    if start and end:
        try:
            wrong_order = end <= start
        except TypeError:  # one with, one without time zone
            wrong_order = False
        if wrong_order:
            problems.append(gettext("publication: „active_until“ muss nach „active_from“ liegen."))
    if problems:
        raise definition_module.DefinitionError(problems)


class WindowForm(forms.ModelForm):
    """The publication window: when citizens can start the assistant."""

    bound_field_class = KernBoundField

    active_from = forms.DateTimeField(
        label=_("Aktiv ab (optional)"),
        required=False,
        help_text=_("Datum und Uhrzeit, z. B. 31.01.2026 08:00. Leer: ab sofort."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": _("Geben Sie ein gültiges Datum mit Uhrzeit ein.")},
    )
    active_until = forms.DateTimeField(
        label=_("Aktiv bis (optional)"),
        required=False,
        help_text=_("Datum und Uhrzeit, z. B. 31.12.2026 18:00. Leer: unbefristet."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": _("Geben Sie ein gültiges Datum mit Uhrzeit ein.")},
    )

    class Meta:
        model = Assistant
        fields = ["active_from", "active_until"]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("active_from"), cleaned.get("active_until")
        if start and end and end <= start:
            self.add_error("active_until", gettext("„Aktiv bis“ muss nach „Aktiv ab“ liegen."))
        return cleaned
