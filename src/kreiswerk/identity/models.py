import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from kreiswerk.crypto.fields import EncryptedJSONField

LEVEL_KEYS = ("keine", "basisregistrierung", "substantiell", "hoch")


class TrustLevel(models.IntegerChoices):
    """Vertrauensniveau of a login, as BundID reports it (STORK-QAA levels 1–4)."""

    NONE = 1, _("keines")
    BASIC = 2, _("Basisregistrierung")
    SUBSTANTIAL = 3, _("substantiell")
    HIGH = 4, _("hoch")

    @property
    def class_ref(self) -> str:
        return f"STORK-QAA-Level-{self.value}"

    @classmethod
    def from_class_ref(cls, value: str) -> "TrustLevel | None":
        prefix = "STORK-QAA-Level-"
        text = (value or "").strip()
        if text.startswith(prefix) and text[len(prefix) :] in {"1", "2", "3", "4"}:
            return cls(int(text[len(prefix) :]))
        return None

    @property
    def key(self) -> str:
        """The name in assistant definitions and forms."""
        return LEVEL_KEYS[self.value - 1]

    @classmethod
    def from_key(cls, key: str) -> "TrustLevel":
        return cls(LEVEL_KEYS.index(key) + 1)


def requirement(definition) -> tuple["TrustLevel", bool]:
    """The level an assistant asks for, and whether it cannot be used without logging in."""
    settings = definition.identity or {}
    return TrustLevel.from_key(settings.get("level", "keine")), bool(settings.get("required", False))


# From this level on the attributes were read from an ID document or a certificate, not typed by the person.
VERIFIED_LEVEL = TrustLevel.SUBSTANTIAL


class Citizen(models.Model):
    """A person who logged in with BundID or another identity provider.

    The provider's pseudonymous subject (bPK2 for BundID) is kept only as a keyed hash;
    the attributes of the latest login are encrypted.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    provider = models.CharField(_("Anmeldedienst"), max_length=40)
    subject_hash = models.CharField(max_length=64)
    attributes = EncryptedJSONField(default=dict)
    level = models.PositiveSmallIntegerField(_("Vertrauensniveau"), choices=TrustLevel.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(_("zuletzt angemeldet"))

    class Meta:
        verbose_name = _("Bürgerkonto")
        verbose_name_plural = _("Bürgerkonten")
        constraints = [models.UniqueConstraint(fields=["provider", "subject_hash"], name="citizen_unique_subject")]

    def __str__(self) -> str:
        return f"Bürgerkonto {self.pk}"

    @property
    def display_name(self) -> str:
        attributes = self.attributes or {}
        return " ".join(part for part in (attributes.get("given_name"), attributes.get("family_name")) if part)


class LoginRequest(models.Model):
    """An AuthnRequest we sent, until its answer arrived once.

    The answer is checked against exactly this request (InResponseTo) and consumed by a
    conditional update, so a replayed response finds nothing to answer. The verified
    result waits here, encrypted, until the browser that asked picks it up.
    """

    class State(models.TextChoices):
        SENT = "sent", _("gesendet")
        ANSWERED = "answered", _("beantwortet")
        DONE = "done", _("angemeldet")
        REFUSED = "refused", _("abgelehnt")

    id = models.CharField(primary_key=True, max_length=80)
    provider = models.CharField(max_length=40)
    level = models.PositiveSmallIntegerField(choices=TrustLevel.choices)
    next_url = models.CharField(max_length=500, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.SENT)
    result = EncryptedJSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Anmeldeanfrage")
        verbose_name_plural = _("Anmeldeanfragen")

    def __str__(self) -> str:
        return self.id


class SeenAssertion(models.Model):
    """A SAML assertion that logged someone in, kept until it expires: each one counts once."""

    id = models.CharField(primary_key=True, max_length=120)
    valid_until = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.id
