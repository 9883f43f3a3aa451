from django.apps import AppConfig


class CryptoTestAppConfig(AppConfig):
    name = "tests.crypto.cryptotestapp"
    label = "cryptotestapp"
    default_auto_field = "django.db.models.BigAutoField"
