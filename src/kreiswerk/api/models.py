from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kreiswerk.tenancy.models import Mandant, OrganisationalUnit


class Scope(models.TextChoices):
    """What a client may do; each grant gives one scope in one unit and its subtree."""

    CASES_READ = "cases:read", _("Vorgänge und ihre Dokumente lesen")
    CASES_WRITE = "cases:write", _("Vorgänge fortschreiben (Status setzen, Dokumente ablegen)")
    SUBMISSIONS_READ = "submissions:read", _("Anträge und ihre Anlagen lesen")
    SUBMISSIONS_CREATE = "submissions:create", _("Anträge einreichen (maschinell)")


class ApiClient(models.Model):
    """A machine that calls the REST API: a Fachverfahren, a reporting tool.

    It acts through its own technical account, so events, documents and audit entries
    name it like a person; that account has no password and no roles of its own.
    """

    mandant = models.ForeignKey(Mandant, on_delete=models.PROTECT, related_name="api_clients")
    slug = models.SlugField(_("Kürzel"), max_length=60, unique=True)
    name = models.CharField(_("Bezeichnung"), max_length=150)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_client")
    is_active = models.BooleanField(_("aktiv"), default=True)
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)

    class Meta:
        verbose_name = _("API-Zugang")
        verbose_name_plural = _("API-Zugänge")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ApiGrant(models.Model):
    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="grants")
    unit = models.ForeignKey(OrganisationalUnit, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(_("Berechtigung"), max_length=30, choices=Scope.choices)

    class Meta:
        verbose_name = _("API-Berechtigung")
        verbose_name_plural = _("API-Berechtigungen")
        constraints = [models.UniqueConstraint(fields=["client", "unit", "scope"], name="api_grant_unique")]

    def __str__(self) -> str:
        return f"{self.client} – {self.scope} – {self.unit}"


class ApiToken(models.Model):
    """A bearer token; only the SHA-256 of its secret part is kept."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="tokens")
    # The public part of the token finds the row; the secret part is compared by hash.
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("ausgestellt am"), auto_now_add=True)
    expires_at = models.DateTimeField(_("gültig bis"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("widerrufen am"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("zuletzt benutzt"), null=True, blank=True)

    class Meta:
        verbose_name = _("API-Token")
        verbose_name_plural = _("API-Tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.client} – {self.prefix}"


class ApiIdempotencyKey(models.Model):
    """A write a client may retry: it happens once, and a retry gets the first answer again."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    # What the key was used for; the same key for another request is refused, not replayed.
    operation = models.CharField(max_length=200)
    status = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "key"], name="api_idempotency_key_unique")]

    def __str__(self) -> str:
        return self.key
