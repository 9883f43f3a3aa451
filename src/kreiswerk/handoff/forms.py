"""The form for a destination; the channel decides in ``services.destination_check`` what is valid."""

from django import forms
from django.utils.translation import gettext_lazy as _

from kreiswerk.accounts.forms import KernForm

from .models import Destination


class DestinationForm(KernForm):
    name = forms.CharField(
        label=_("Bezeichnung"),
        max_length=150,
        help_text=_("So erscheint das Ziel in der Übergabeliste und im Vorgang, z. B. „Gewerbe-Fachverfahren“."),
        error_messages={"required": _("Bitte geben Sie eine Bezeichnung an.")},
    )
    kind = forms.ChoiceField(
        label=_("Art der Übergabe"),
        choices=Destination.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Bitte wählen Sie die Art der Übergabe.")},
    )
    url = forms.CharField(
        label=_("Adresse (URL)"),
        required=False,
        max_length=500,
        help_text=_("FIT-Connect: Adresse des Zustellpunkts. Webhook: Adresse, an die kreiswerk sendet."),
    )
    public_key = forms.CharField(
        label=_("Öffentlicher Schlüssel (JWK)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text=_(
            "Nur FIT-Connect: der Verschlüsselungsschlüssel des Fachverfahrens als JSON Web Key (RSA, 4096 Bit)."
        ),
    )
    destination_id = forms.UUIDField(
        label=_("Zustellpunkt-ID"),
        required=False,
        help_text=_("Nur FIT-Connect, falls der Zustellpunkt mehrere Ziele bedient."),
        error_messages={"invalid": _("Die Zustellpunkt-ID ist eine UUID, z. B. 1b0e4f5c-…")},
    )
    secret = forms.CharField(
        label=_("Gemeinsames Geheimnis"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "Nur Webhook: mindestens 32 Zeichen. Leer lassen, damit kreiswerk eines erzeugt und einmal anzeigt; "
            "beim Bearbeiten bleibt ein leeres Feld beim bisherigen Geheimnis."
        ),
    )
    email = forms.EmailField(
        label=_("Funktionspostfach"),
        required=False,
        help_text=_("Nur E-Mail: Adresse, an die der Antrag als PDF mit Anlagen geht."),
        error_messages={"invalid": _("Bitte geben Sie eine gültige E-Mail-Adresse an.")},
    )
    include_tests = forms.BooleanField(label=_("Auch Testeingänge übergeben"), required=False)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            # The kind stays: the delivery history speaks of it.
            del self.fields["kind"]
