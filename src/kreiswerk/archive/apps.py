from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    """Aussonderung: retention run-out, the archive's decision, destruction and hand-over."""

    name = "kreiswerk.archive"
    default_auto_field = "django.db.models.BigAutoField"
