"""The Kreiskasse's page, under /verwaltung/kasse/."""

from django.urls import path

from . import staff_views

app_name = "treasury"

urlpatterns = [
    path("", staff_views.treasury_list, name="list"),
]
