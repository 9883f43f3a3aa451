from django.apps import AppConfig


class CockpitConfig(AppConfig):
    """The Digitalisierungs-Cockpit: service catalogue, ideas, projects, figures and council reports."""

    name = "kreiswerk.cockpit"
    verbose_name = "Digitalisierungs-Cockpit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import rollup  # noqa: F401  (marks the days whose figures changed)
        from .contrib import ideas  # noqa: F401  (registers the idea intake as a hand-off channel)
