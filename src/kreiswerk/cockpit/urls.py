"""The cockpit's pages under /verwaltung/cockpit/; each area's views live in ``views/<area>.py``."""

from django.urls import path

from .views import catalogue, figures, ideas, projects, reports

app_name = "cockpit"

urlpatterns = [
    # figures: dashboard, chart data, hand-kept indicators
    path("", figures.dashboard, name="dashboard"),
    path("zahlen/<slug:chart>.csv", figures.chart_csv, name="chart_csv"),
    path("zahlen/<slug:chart>/", figures.chart_table, name="chart_table"),
    path("kennzahlen/", figures.indicators, name="indicators"),
    path("kennzahlen/<int:indicator_id>/", figures.indicator_detail, name="indicator"),
    # catalogue of services
    path("leistungen/", catalogue.service_list, name="services"),
    path("leistungen/neu/", catalogue.service_edit, name="service_new"),
    path("leistungen/<int:service_id>/", catalogue.service_edit, name="service"),
    path("leistungen/export.<str:fmt>", catalogue.service_export, name="services_export"),
    path("leistungen/import/", catalogue.service_import, name="services_import"),
    # ideas: submit (internal assistant), own ideas, backlog, scoring, decision
    path("ideen/", ideas.idea_list, name="ideas"),
    path("ideen/meine/", ideas.my_ideas, name="my_ideas"),
    path("ideen/bewertungsmodell/", ideas.scoring_model, name="scoring"),
    path("ideen/<int:idea_id>/", ideas.idea_detail, name="idea"),
    # projects: list with limits, detail with gates, roles, goals, milestones, risks, status
    path("projekte/", projects.project_list, name="projects"),
    path("projekte/grenzen/", projects.project_limits, name="project_limits"),
    path("projekte/<int:project_id>/", projects.project_detail, name="project"),
    # reports for the council
    path("berichte/", reports.report_list, name="reports"),
    path("berichte/neu/", reports.report_edit, name="report_new"),
    path("berichte/<int:report_id>/", reports.report_edit, name="report"),
    path("berichte/<int:report_id>/bericht.pdf", reports.report_pdf, name="report_pdf"),
    path("berichte/<int:report_id>/zahlen.xlsx", reports.report_xlsx, name="report_xlsx"),
]
