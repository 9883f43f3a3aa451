"""The widget renderer writes exactly what Django's widget templates write."""

import datetime

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from kreiswerk.accounts.forms import KernForm, WidgetRenderer, date_field

TEMPLATES = DjangoTemplates()
FAST = WidgetRenderer()


class EveryWidget(KernForm):
    text = forms.CharField(label="Text", max_length=20, help_text="Hilfe")
    email = forms.EmailField(required=False)
    number = forms.IntegerField(required=False)
    secret = forms.CharField(widget=forms.PasswordInput(render_value=True), required=False)
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)
    day = date_field(gettext_lazy("Tag"), required=False)
    check = forms.BooleanField(required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "data-x": 'a"b<c>'}), required=False)
    choice = forms.ChoiceField(
        choices=[("", "—"), ("a", "A & B"), ("b", gettext_lazy("Frist")), (3, 1234)], required=False
    )
    grouped = forms.ChoiceField(choices=[("Gruppe <1>", [("x", "X"), ("y", "Y")]), ("z", "Z")], required=False)
    many = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B")], required=False)
    radio = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect, required=False)


def _both(form) -> list[tuple[str, str]]:
    pairs = []
    for name in form.fields:
        form.renderer = TEMPLATES
        expected = str(form[name])
        form.renderer = FAST
        pairs.append((expected, str(form[name])))
    return pairs


@pytest.mark.parametrize(
    "data",
    [
        None,
        {},
        {
            "text": "<script>\"&'",
            "email": "kein@",
            "number": "12a",
            "secret": "geheim",
            "hidden": "h&h",
            "day": "31.02.2026",
            "check": "on",
            "notes": "Zeile 1\n<b>Zeile 2</b>",
            "choice": "b",
            "grouped": "y",
            "many": ["a", "b"],
            "radio": "b",
        },
    ],
)
def test_it_writes_what_the_templates_write(data):
    form = EveryWidget(data, initial={"day": datetime.date(2026, 11, 23), "choice": 3, "notes": mark_safe("<i>")})
    if data is not None:
        form.is_valid()
    for expected, written in _both(form):
        assert written == expected
