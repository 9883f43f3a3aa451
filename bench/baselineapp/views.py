"""Baselines: a minimal form-validating insert and a trivial template, through the same stack."""

from django import forms
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from .models import BenchRow


class BenchRowForm(forms.Form):
    name = forms.CharField(max_length=100)
    email = forms.EmailField()
    amount = forms.IntegerField(min_value=0, max_value=1_000_000)


@require_POST
def insert(request):
    """Validate three POST fields with a Django form and insert one row (CSRF checked as usual)."""
    form = BenchRowForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("invalid", content_type="text/plain")
    BenchRow.objects.create(**form.cleaned_data)
    return HttpResponse("ok", status=201, content_type="text/plain")


@require_GET
def render_trivial(request):
    return render(request, "baselineapp/trivial.html", {"title": "Basislinie"})
