from django.apps import AppConfig


class BaselineAppConfig(AppConfig):
    name = "bench.baselineapp"
    label = "baselineapp"
    default_auto_field = "django.db.models.BigAutoField"
