from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "kreiswerk.audit"
    default_auto_field = "django.db.models.BigAutoField"
