"""The citizen's payment pages, under /zahlung/."""

from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("antrag/<uuid:submission_id>/", views.payment_begin, name="begin"),
    path("<uuid:payment_id>/zurueck/", views.payment_return, name="return"),
    path("benachrichtigung/<slug:provider>/", views.payment_notification, name="notification"),
]
