from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kreiswerk.tenancy.models import Mandant, OrganisationalUnit

from . import definition as definition_module


class Assistant(models.Model):
    """An application assistant (Antragsassistent); its content lives in versions."""

    mandant = models.ForeignKey(Mandant, on_delete=models.PROTECT, related_name="assistants")
    unit = models.ForeignKey(OrganisationalUnit, on_delete=models.PROTECT, related_name="assistants")
    slug = models.SlugField(_("Kürzel"), max_length=63)
    title = models.CharField(_("Titel"), max_length=200)
    audience = models.CharField(
        _("Zielgruppe"),
        max_length=10,
        choices=[
            ("public", _("Bürgerinnen, Bürger und Unternehmen")),
            ("internal", _("Beschäftigte")),
        ],
        default="public",
    )
    # The title in every language of the published version, for lists in the citizen's language.
    title_translations = models.JSONField(default=dict, blank=True, editable=False)
    # Title, summary and keywords in every language, lower-cased, for the service search.
    search_text = models.TextField(blank=True, editable=False)
    active_from = models.DateTimeField(_("aktiv ab"), null=True, blank=True)
    active_until = models.DateTimeField(_("aktiv bis"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Antragsassistent")
        verbose_name_plural = _("Antragsassistenten")
        ordering = ["title"]
        constraints = [models.UniqueConstraint(fields=["mandant", "slug"], name="assistant_slug_unique_per_mandant")]

    def __str__(self) -> str:
        return self.title

    @property
    def localized_title(self) -> str:
        return definition_module.localized(self.title_translations or self.title)

    def in_window(self, now=None) -> bool:
        now = now or timezone.now()
        if self.active_from and now < self.active_from:
            return False
        return not (self.active_until and now >= self.active_until)


def built_once(version: models.Model, build: Callable[[Any], Any]) -> Any:
    """``build(version.definition)``, once per process for a stored version row.

    Definitions are checked on import and never changed afterwards. The cache key
    holds ``created_at`` to tell apart rows that reuse a pk after a rollback.
    """
    if version.pk is None:
        return build(version.definition)
    key = (type(version), version.pk, version.created_at)
    built = _BUILT.get(key)
    if built is None:
        built = build(version.definition)
        if len(_BUILT) > 1024:
            _BUILT.clear()
        _BUILT[key] = built
    return built


_BUILT: dict = {}


class AssistantVersion(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Entwurf")
        PUBLISHED = "published", _("veröffentlicht")
        SUPERSEDED = "superseded", _("abgelöst")
        RETIRED = "retired", _("außer Betrieb")

    assistant = models.ForeignKey(Assistant, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("Version"))
    state = models.CharField(_("Status"), max_length=12, choices=State.choices, default=State.DRAFT)
    definition = models.JSONField(_("Definition"))
    note = models.CharField(_("Änderungsnotiz"), max_length=500, blank=True)
    # What an import from another format (FIM) carried over and what is left for review.
    import_report = models.JSONField(default=dict, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Version eines Antragsassistenten")
        verbose_name_plural = _("Versionen von Antragsassistenten")
        ordering = ["assistant", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["assistant", "number"], name="assistant_version_unique"),
            models.UniqueConstraint(
                fields=["assistant"],
                condition=models.Q(state="published"),
                name="one_published_version_per_assistant",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assistant} v{self.number}"

    @property
    def parsed(self) -> definition_module.Definition:
        return built_once(self, definition_module.build)

    @property
    def accepts_submissions(self) -> bool:
        return self.state in {self.State.PUBLISHED, self.State.SUPERSEDED}
