from django.urls import path

from . import views

app_name = "submissions"

urlpatterns = [
    path("", views.submission_list, name="list"),
    path("exporte/", views.export_start, name="export_start"),
    path("exporte/<uuid:export_id>/", views.export_status, name="export_status"),
    path("exporte/<uuid:export_id>/datei/", views.export_download, name="export_download"),
    path("<uuid:submission_id>/", views.submission_detail, name="detail"),
    path(
        "<uuid:submission_id>/anlagen/<uuid:attachment_id>/",
        views.attachment_download,
        name="attachment_download",
    ),
    path(
        "<uuid:submission_id>/eingangsbestaetigung/",
        views.receipt_download,
        name="receipt_download",
    ),
]
