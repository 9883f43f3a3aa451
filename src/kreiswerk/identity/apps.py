from django.apps import AppConfig


class IdentityConfig(AppConfig):
    """Citizen login: BundID over SAML 2.0 (or OIDC), trust levels, the citizen's mailbox."""

    name = "kreiswerk.identity"
    verbose_name = "Bürgerkonto"
    default_auto_field = "django.db.models.BigAutoField"
