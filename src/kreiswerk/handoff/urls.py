"""Staff pages of the hand-off, under /verwaltung/uebergaben/."""

from django.urls import path

from . import views

app_name = "handoff"

urlpatterns = [
    path("", views.delivery_list, name="deliveries"),
    path("<uuid:delivery_id>/", views.delivery_detail, name="delivery"),
    path("<uuid:delivery_id>/erneut/", views.delivery_retry, name="retry"),
    path("ziele/<int:assistant_id>/", views.destination_list, name="destinations"),
    path("ziele/<int:assistant_id>/neu/", views.destination_create, name="destination_create"),
    path("ziel/<int:destination_id>/", views.destination_edit, name="destination_edit"),
    path("ziel/<int:destination_id>/schalten/", views.destination_switch, name="destination_switch"),
]
