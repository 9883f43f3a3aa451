from django.urls import path

from . import views

app_name = "runner"

urlpatterns = [
    path("", views.index, name="index"),
    path("antrag/<slug:mandant>/<slug:slug>/", views.start, name="start"),
    path("vorschau/<int:version_id>/", views.preview, name="preview"),
    path("entwurf/<uuid:draft_id>/schritt/<slug:step_key>/", views.step, name="step"),
    path("entwurf/<uuid:draft_id>/pruefen/", views.check, name="check"),
    path("entwurf/<uuid:draft_id>/speichern/", views.save, name="save"),
    path("entwurf/<uuid:draft_id>/aktiv/", views.keepalive, name="keepalive"),
    path("fortsetzen/<str:token>/", views.resume, name="resume"),
    path("eingang/<uuid:submission_id>/", views.receipt, name="receipt"),
    path(
        "eingang/<uuid:submission_id>/eingangsbestaetigung.pdf",
        views.receipt_pdf,
        name="receipt_pdf",
    ),
]
