from django.apps import AppConfig


class AssistantsConfig(AppConfig):
    name = "kreiswerk.assistants"
    default_auto_field = "django.db.models.BigAutoField"
