import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kreiswerk.assistants.models import AssistantVersion
from kreiswerk.crypto.fields import EncryptedJSONField, EncryptedTextField


class Draft(models.Model):
    """An application in progress, stored server-side after every step.

    The browser holds only the session; a resume link (token hashed here) lets
    the citizen continue on another day or device until ``expires_at``.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.ForeignKey(AssistantVersion, on_delete=models.CASCADE, related_name="drafts")
    answers = EncryptedJSONField(default=dict)
    language = models.CharField(max_length=5, default="de")
    is_test = models.BooleanField(default=False)
    # Steps the citizen has completed, in order; the check page needs them all.
    completed_steps = models.JSONField(default=list)
    submit_key = models.UUIDField(default=uuid.uuid4, unique=True)
    resume_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    resume_email = EncryptedTextField(blank=True, null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    expires_at = models.DateTimeField(_("läuft ab am"), db_index=True)
    # A logged-in citizen's draft: prefilled from the login; ``locked`` holds the values that came
    # from an ID document or certificate, which the server keeps whatever the browser sends.
    citizen = models.ForeignKey("identity.Citizen", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    identity_level = models.PositiveSmallIntegerField(null=True, blank=True)
    locked = EncryptedJSONField(default=dict)
    # The staff member filling in an internal assistant (a Dienstreiseantrag, an idea).
    staff_author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted = models.OneToOneField(
        "submissions.Submission",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="draft",
    )

    class Meta:
        verbose_name = _("Entwurf")
        verbose_name_plural = _("Entwürfe")

    def __str__(self) -> str:
        return f"Entwurf {self.pk}"


class StepCounter(models.Model):
    """How many applications of an assistant got past a step ("" = were begun).

    Drafts are purged when they expire; these counts stay, so the cockpit can show
    where people give up long after their drafts are gone. Test drafts are not counted.
    """

    STARTED = ""
    COUNTS = ("count",)

    assistant = models.ForeignKey("assistants.Assistant", on_delete=models.CASCADE, related_name="+")
    step = models.CharField(max_length=200, blank=True)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class StepCount(StepCounter):
    """Per day."""

    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assistant", "step", "day"], name="step_count_unique")]
        # The cockpit reads the days at a period's edges across all assistants.
        indexes = [models.Index(fields=["day"], name="step_count_day_idx")]

    def __str__(self) -> str:
        return f"{self.assistant_id}/{self.step or '-'} {self.day}: {self.count}"


class StepCountMonth(StepCounter):
    """Per month (``month`` is its first day): a year of an assistant's steps in a few dozen rows."""

    month = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assistant", "step", "month"], name="step_count_month_unique")]

    def __str__(self) -> str:
        return f"{self.assistant_id}/{self.step or '-'} {self.month:%Y-%m}: {self.count}"
