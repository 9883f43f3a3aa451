"""The staff pages for API clients, under /verwaltung/api-zugaenge/ (the API itself is in ``urls``)."""

from django.urls import path

from . import views

app_name = "api_clients"

urlpatterns = [
    path("", views.client_list, name="list"),
    path("neu/", views.client_create, name="create"),
    path("<int:client_id>/", views.client_detail, name="detail"),
    path("<int:client_id>/berechtigungen/", views.grant_add, name="grant_add"),
    path("<int:client_id>/berechtigungen/entziehen/", views.grant_remove, name="grant_remove"),
    path("<int:client_id>/token/erneuern/", views.token_rotate, name="rotate"),
    path("<int:client_id>/token/widerrufen/", views.token_revoke, name="revoke"),
    path("<int:client_id>/sperren/", views.client_deactivate, name="deactivate"),
]
