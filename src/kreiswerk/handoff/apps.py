from django.apps import AppConfig


class HandoffConfig(AppConfig):
    """Hand-off to Fachverfahren: destinations per assistant, deliveries with their history."""

    name = "kreiswerk.handoff"
    verbose_name = "Übergabe an Fachverfahren"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from .contrib import email, fitconnect, webhook  # noqa: F401  (each registers its channel)
