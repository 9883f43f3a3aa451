from django import forms
from django.utils.translation import gettext_lazy as _

from kreiswerk.accounts.forms import KernForm

from .models import Decision, DisposalReview
from .services import REASON_MAX_LENGTH

CHOOSE_DECISION = _("Bitte wählen Sie „übernehmen“ oder „vernichten“.")


class ReviewFilterForm(KernForm):
    stand = forms.ChoiceField(
        label=_("Stand"),
        required=False,
        choices=[("", _("noch nicht abgeschlossen")), *DisposalReview.State.choices],
        error_messages={"invalid_choice": _("Bitte wählen Sie einen Stand aus der Liste.")},
    )


class DecisionForm(KernForm):
    decision = forms.ChoiceField(
        label=_("Entscheidung des Archivs"),
        choices=Decision.choices,
        widget=forms.RadioSelect,
        error_messages={"required": CHOOSE_DECISION, "invalid_choice": CHOOSE_DECISION},
    )
    reason = forms.CharField(
        label=_("Begründung"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Zum Beispiel die Bewertungsentscheidung des Archivs. Sie wird dauerhaft im Löschnachweis "
            "gespeichert: bitte keine personenbezogenen Daten."
        ),
        error_messages={
            "required": _("Bitte begründen Sie die Entscheidung."),
            "max_length": _("Die Begründung darf höchstens %(limit_value)d Zeichen lang sein."),
        },
    )


class ConfirmForm(forms.Form):
    """A checkbox that must be ticked: destruction and a confirmed hand-over cannot be undone."""

    bestaetigt = forms.BooleanField(
        error_messages={"required": _("Bitte bestätigen Sie dies durch Ankreuzen des Kästchens.")},
    )
