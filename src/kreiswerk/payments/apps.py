from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    """Online payment of fees: payments with their status history, providers behind one interface."""

    name = "kreiswerk.payments"
    verbose_name = "Bezahlung"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from .contrib import epaybl  # noqa: F401  (registers its provider)
