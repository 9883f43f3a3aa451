"""The case forms: choices from rows read beforehand, checked like Django's ModelChoiceField, and
widgets written by the widget renderer exactly as Django's templates write them."""

import datetime

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.translation import override

from kreiswerk.accounts.forms import WidgetRenderer
from kreiswerk.cases import forms as case_forms
from kreiswerk.tenancy.models import OrganisationalUnit

TEMPLATES = DjangoTemplates()
FAST = WidgetRenderer()


def _both(form) -> list[tuple[str, str]]:
    pairs = []
    for name in form.fields:
        form.renderer = TEMPLATES
        expected = str(form[name])
        form.renderer = FAST
        pairs.append((expected, str(form[name])))
    return pairs


def test_it_writes_the_case_forms_as_the_templates_do(open_case, caseworker):
    case = open_case()
    with override("de"):
        inbox = case_forms.InboxForm({"frist": "7tage", "art": "999", "von": "x"}, user=caseworker)
        inbox.is_valid()
        page_forms = [
            inbox,
            case_forms.InboxForm(user=caseworker),
            case_forms.AssignForm(case=case),
            case_forms.InquiryForm(initial={"answer_by": datetime.date(2026, 12, 7)}),
            case_forms.ExtendForm(),
            case_forms.ReminderForm(),
            case_forms.NoteForm(),
            case_forms.CompleteForm(initial={"on": datetime.date(2026, 11, 23)}),
            case_forms.DecisionEditForm(definition=case.definition, initial={"body": "a < b"}),
        ]
        for form in page_forms:
            for expected, written in _both(form):
                assert written == expected


def test_a_row_choice_checks_like_a_model_choice(unit, other_unit):
    rows = list(OrganisationalUnit.objects.filter(pk=unit.pk))
    listed = case_forms.RowChoiceField(label="Einheit", required=False, empty_label="alle")
    listed.rows = rows
    model = forms.ModelChoiceField(OrganisationalUnit.objects.filter(pk=unit.pk), required=False, empty_label="alle")
    for value in (str(unit.pk), unit.pk, f" {unit.pk}", unit, "", None):
        assert listed.clean(value) == model.clean(value)
    for value in (str(other_unit.pk), other_unit, "x", "1.5", "\x00"):
        with pytest.raises(forms.ValidationError) as listed_error:
            listed.clean(value)
        with pytest.raises(forms.ValidationError) as model_error:
            model.clean(value)
        assert listed_error.value.messages == model_error.value.messages
    assert [str(label) for _value, label in listed.choices] == [str(label) for _value, label in model.choices]
