from django.urls import path

from . import views

app_name = "assistants"

urlpatterns = [
    path("", views.assistant_list, name="list"),
    path("importieren/", views.assistant_import_view, name="import"),
    path("fim-importieren/", views.assistant_import_fim_view, name="import_fim"),
    path("<int:assistant_id>/", views.assistant_detail, name="detail"),
    path("<int:assistant_id>/zeitraum/", views.assistant_window, name="window"),
    path("<int:assistant_id>/ausser-betrieb/", views.assistant_retire_view, name="retire"),
    path("versionen/<int:version_id>/export/<slug:fmt>/", views.version_export, name="export"),
    path("versionen/<int:version_id>/schema.json", views.version_schema, name="schema"),
    path(
        "versionen/<int:version_id>/veroeffentlichen/",
        views.version_publish_view,
        name="publish",
    ),
]
