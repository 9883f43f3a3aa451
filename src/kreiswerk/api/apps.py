from django.apps import AppConfig


class ApiConfig(AppConfig):
    """REST API v1: clients with hashed tokens, scoped to units and permissions."""

    name = "kreiswerk.api"
    default_auto_field = "django.db.models.BigAutoField"
