from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Mandant(models.Model):
    """The county or one of its municipalities: owns units, assistants and submissions."""

    class Kind(models.TextChoices):
        COUNTY = "landkreis", _("Landkreis")
        MUNICIPALITY = "gemeinde", _("Gemeinde / Stadt")

    slug = models.SlugField(_("Kürzel"), unique=True)
    name = models.CharField(_("Name"), max_length=200)
    kind = models.CharField(_("Art"), max_length=20, choices=Kind.choices)
    county = models.ForeignKey(
        "self",
        verbose_name=_("Landkreis"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="municipalities",
    )
    state = models.CharField(_("Bundesland"), max_length=2, default="BW", help_text=_("ISO-Kürzel, z. B. BW"))
    reference_prefix = models.CharField(_("Präfix für Aktenzeichen"), max_length=12, help_text=_("z. B. MK"))

    class Meta:
        verbose_name = _("Mandant")
        verbose_name_plural = _("Mandanten")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OrganisationalUnit(models.Model):
    """A node of the Mandant's organisation tree: Dezernat → Amt → Sachgebiet."""

    class Kind(models.TextChoices):
        DEZERNAT = "dezernat", _("Dezernat")
        AMT = "amt", _("Amt")
        SACHGEBIET = "sachgebiet", _("Sachgebiet")

    mandant = models.ForeignKey(Mandant, on_delete=models.PROTECT, related_name="units")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    kind = models.CharField(_("Ebene"), max_length=20, choices=Kind.choices)
    code = models.SlugField(_("Kürzel"), max_length=50)
    name = models.CharField(_("Bezeichnung"), max_length=200)
    # Materialised path ("/3/17/42/") so a subtree is one indexed prefix query.
    path = models.CharField(max_length=255, db_index=True, editable=False)

    class Meta:
        verbose_name = _("Organisationseinheit")
        verbose_name_plural = _("Organisationseinheiten")
        ordering = ["path"]
        constraints = [models.UniqueConstraint(fields=["mandant", "code"], name="unit_code_unique_per_mandant")]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2


class Role(models.TextChoices):
    FORM_ADMIN = "formularverwaltung", _("Formularverwaltung")
    CASEWORKER = "sachbearbeitung", _("Sachbearbeitung")
    ADMIN = "administration", _("Administration")
    # Records management: retention run-out, the archive's decision, destruction and hand-over.
    ARCHIVE = "aktenverwaltung", _("Aktenverwaltung/Archiv")
    # The Kreiskasse: the daily list of booked fees of the units it serves.
    TREASURY = "kasse", _("Kreiskasse")
    # The Digitalisierungs-Cockpit: the team steers it; management and council members read it.
    DIGITAL_TEAM = "digitalisierung", _("Digitalisierungsteam")
    COCKPIT_READER = "cockpit", _("Cockpit lesen (Verwaltungsleitung, Kreistag)")


class Membership(models.Model):
    """A role a staff member holds in a unit; it reaches down the unit's subtree."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey(OrganisationalUnit, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("Rolle"), max_length=30, choices=Role.choices)

    class Meta:
        verbose_name = _("Rolle in einer Einheit")
        verbose_name_plural = _("Rollen in Einheiten")
        constraints = [models.UniqueConstraint(fields=["user", "unit", "role"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} – {self.unit}"
