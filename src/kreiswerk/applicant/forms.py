from django import forms
from django.utils.translation import gettext_lazy as _

from kreiswerk.accounts.forms import KernForm
from kreiswerk.cases.inquiries import ANSWER_MAX_CHARS


class AnswerForm(KernForm):
    answer = forms.CharField(
        label=_("Ihre Antwort"),
        required=False,
        max_length=ANSWER_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"max_length": _("Ihre Antwort darf höchstens %(limit_value)d Zeichen lang sein.")},
    )
