"""Forms of the staff pages for API clients; units are limited to those the administrator manages."""

import datetime

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from kreiswerk.accounts.forms import KernForm
from kreiswerk.tenancy.models import OrganisationalUnit

from .models import ApiGrant, ApiToken, Scope

CHOOSE_SCOPE = _("Bitte wählen Sie mindestens eine Berechtigung.")
CHOOSE_UNIT = _("Bitte wählen Sie eine Organisationseinheit, die Sie verwalten.")

GRACE_PERIODS = {
    "0": datetime.timedelta(0),
    "1h": datetime.timedelta(hours=1),
    "24h": datetime.timedelta(hours=24),
    "7d": datetime.timedelta(days=7),
}


class UnitChoiceField(forms.ModelChoiceField):
    show_mandant = False

    def label_from_instance(self, obj: OrganisationalUnit) -> str:
        # Indented by depth, so the select reads like the organisation tree.
        label = "\u2003" * obj.depth + obj.name
        return f"{obj.mandant.name}: {label}" if self.show_mandant else label


class GrantForm(KernForm):
    """Scopes in one unit: each ticked scope becomes one grant."""

    unit = UnitChoiceField(
        label=_("Organisationseinheit"),
        queryset=OrganisationalUnit.objects.none(),
        empty_label=_("Bitte wählen"),
        help_text=_("Eine Berechtigung gilt auch in allen untergeordneten Einheiten."),
        error_messages={"required": CHOOSE_UNIT, "invalid_choice": CHOOSE_UNIT},
    )
    scopes = forms.MultipleChoiceField(
        label=_("Berechtigungen"),
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": CHOOSE_SCOPE, "invalid_choice": CHOOSE_SCOPE, "invalid_list": CHOOSE_SCOPE},
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units.select_related("mandant").order_by("mandant__name", "path")
        self.fields["unit"].widget.attrs["class"] = "kern-form-input__select"
        self.fields["unit"].show_mandant = units.order_by().values("mandant_id").distinct().count() > 1

    def full_clean(self):
        super().full_clean()
        # KernForm marks errors with the input classes; a select has its own.
        if "unit" in self.errors:
            self.fields["unit"].widget.attrs["class"] = "kern-form-input__select kern-form-input__select--error"

    def grants(self) -> list[tuple[OrganisationalUnit, str]]:
        unit = self.cleaned_data["unit"]
        return [(unit, scope) for scope in self.cleaned_data["scopes"]]


class ClientCreateForm(GrantForm):
    name = forms.CharField(
        label=_("Bezeichnung"),
        max_length=150,
        help_text=_("Zum Beispiel „Gewerbe-Fachverfahren“."),
        error_messages={
            "required": _("Bitte geben Sie eine Bezeichnung ein."),
            "max_length": _("Die Bezeichnung darf höchstens %(limit_value)d Zeichen lang sein."),
        },
    )
    slug = forms.CharField(
        label=_("Kürzel"),
        max_length=60,
        help_text=_("Kleinbuchstaben, Ziffern und Bindestriche, zum Beispiel „gewerbe-fv“. Lässt sich nicht ändern."),
        validators=[
            RegexValidator(
                r"\A[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\Z",
                _("Das Kürzel darf nur Kleinbuchstaben, Ziffern und Bindestriche enthalten, z. B. „gewerbe-fv“."),
            )
        ],
        error_messages={
            "required": _("Bitte geben Sie ein Kürzel ein."),
            "max_length": _("Das Kürzel darf höchstens %(limit_value)d Zeichen lang sein."),
        },
    )

    field_order = ["name", "slug", "unit", "scopes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].widget.attrs.update(autocapitalize="none", spellcheck="false", autocomplete="off")


class GrantRemoveForm(forms.Form):
    grant = forms.ModelChoiceField(queryset=ApiGrant.objects.none())

    def __init__(self, *args, grants, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grant"].queryset = grants


class RotateForm(KernForm):
    grace = forms.ChoiceField(
        label=_("Übergangsfrist für die bisherigen Tokens"),
        choices=[("0", _("sofort")), ("1h", _("1 Stunde")), ("24h", _("24 Stunden")), ("7d", _("7 Tage"))],
        initial="24h",
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Bitte wählen Sie, wie lange die bisherigen Tokens noch gelten."),
            "invalid_choice": _("Bitte wählen Sie, wie lange die bisherigen Tokens noch gelten."),
        },
    )
    # The newest token when the page was shown: a reloaded POST must not rotate a second time.
    stand = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=0,
        max_value=2**63 - 1,
        error_messages=dict.fromkeys(
            ["required", "invalid", "min_value", "max_value"],
            _("Bitte laden Sie die Seite neu und versuchen Sie es noch einmal."),
        ),
    )

    def grace_period(self) -> datetime.timedelta:
        return GRACE_PERIODS[self.cleaned_data["grace"]]


class TokenRevokeForm(forms.Form):
    prefix = forms.ModelChoiceField(queryset=ApiToken.objects.none(), to_field_name="prefix")

    def __init__(self, *args, tokens, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["prefix"].queryset = tokens
