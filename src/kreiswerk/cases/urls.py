from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("export.xlsx", views.inbox_export, name="export"),
    path("<uuid:case_id>/", views.case_detail, name="detail"),
    path("<uuid:case_id>/bescheid/", views.decision_page, name="decision"),
    path("<uuid:case_id>/dokumente/<uuid:version_id>/", views.document_download, name="document"),
    path("<uuid:case_id>/<slug:action>/", views.case_action, name="action"),
]
