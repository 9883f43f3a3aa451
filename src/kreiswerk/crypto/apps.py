from django.apps import AppConfig


class CryptoConfig(AppConfig):
    name = "kreiswerk.crypto"
    default_auto_field = "django.db.models.BigAutoField"
