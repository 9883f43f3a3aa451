from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kreiswerk.assistants.models import Assistant
from kreiswerk.tenancy.models import Mandant, OrganisationalUnit

from . import maturity
from .leika import leika_urn


class Channel(models.TextChoices):
    ASSISTANT = "kreiswerk", _("eigener Antragsassistent (kreiswerk)")
    STATE_PORTAL = "landesportal", _("Landesportal")
    EFA = "efa", _("EfA-Dienst")
    OFFLINE = "offline", _("nur vor Ort oder auf Papier")


class Service(models.Model):
    """A service of the county or a municipality (Leistungskatalog), with its OZG maturity."""

    mandant = models.ForeignKey(Mandant, on_delete=models.PROTECT, related_name="services")
    unit = models.ForeignKey(
        OrganisationalUnit, verbose_name=_("zuständige Einheit"), on_delete=models.PROTECT, related_name="services"
    )
    name = models.CharField(_("Bezeichnung"), max_length=200)
    leika_key = models.CharField(_("LeiKa-Schlüssel"), max_length=14, blank=True)
    channel = models.CharField(_("Zugang"), max_length=15, choices=Channel.choices, default=Channel.OFFLINE)
    # Set when the service is offered through a kreiswerk assistant: its figures come from the platform.
    assistant = models.OneToOneField(
        Assistant,
        verbose_name=_("Antragsassistent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="catalogue_entry",
    )
    yearly_volume = models.PositiveIntegerField(
        _("Fallzahl pro Jahr"), null=True, blank=True, help_text=_("geschätzt, wo die Plattform sie nicht zählt")
    )
    # {criterion key: "ja" | "nein" | "entfaellt"} on the current maturity model's checklist.
    criteria = models.JSONField(_("Kriterien"), default=dict, blank=True)
    # Derived from ``criteria`` on every save, kept for filtering and counting.
    maturity_level = models.PositiveSmallIntegerField(_("Reifegrad"), default=0, editable=False)
    legacy_level = models.PositiveSmallIntegerField(_("Reifegrad (Modell 1.1)"), default=0, editable=False)
    online_since = models.DateField(_("online seit"), null=True, blank=True)
    updated_at = models.DateTimeField(_("geändert am"), auto_now=True)

    class Meta:
        verbose_name = _("Leistung")
        verbose_name_plural = _("Leistungen")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["mandant", "leika_key"],
                condition=~models.Q(leika_key=""),
                name="service_leika_unique_per_mandant",
            )
        ]
        indexes = [models.Index(fields=["mandant", "maturity_level"], name="service_maturity_idx")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.criteria = maturity.answers_clean(self.criteria)
        self.maturity_level = maturity.maturity_level(self.criteria)
        self.legacy_level = maturity.legacy_level(self.criteria)
        super().save(*args, **kwargs)

    @property
    def leika_urn(self) -> str:
        return leika_urn(self.leika_key)

    @property
    def maturity_name(self) -> str:
        return maturity.LEVEL_NAMES[self.maturity_level]

    @property
    def legacy_name(self) -> str:
        return maturity.LEGACY_LEVEL_NAMES[self.legacy_level]


class ScoringCriterion(models.Model):
    """One criterion of the idea scoring model; the team sets its weight."""

    class Source(models.TextChoices):
        MANUAL = "manuell", _("vom Team bewertet")
        CASE_VOLUME = "fallzahl", _("aus der Fallzahl der Leistung")

    mandant = models.ForeignKey(Mandant, on_delete=models.CASCADE, related_name="scoring_criteria")
    key = models.SlugField(_("Kürzel"), max_length=40)
    label = models.CharField(_("Bezeichnung"), max_length=120)
    help_text = models.CharField(_("Erläuterung"), max_length=300, blank=True)
    weight = models.PositiveSmallIntegerField(_("Gewicht"), default=1, validators=[MaxValueValidator(100)])
    # Effort scores high when it is large; an idea with little effort should rank higher.
    lower_is_better = models.BooleanField(_("niedriger Wert ist besser"), default=False)
    source = models.CharField(_("Quelle"), max_length=10, choices=Source.choices, default=Source.MANUAL)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(_("aktiv"), default=True)

    class Meta:
        verbose_name = _("Bewertungskriterium")
        verbose_name_plural = _("Bewertungskriterien")
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["mandant", "key"], name="scoring_criterion_unique")]

    def __str__(self) -> str:
        return self.label


class Idea(models.Model):
    """A staff member's idea for digitalisation: scored by the team, then decided."""

    class Decision(models.TextChoices):
        IMPLEMENT = "umsetzen", _("umsetzen")
        DEFER = "zurueckstellen", _("zurückstellen")
        REJECT = "ablehnen", _("ablehnen")

    mandant = models.ForeignKey(Mandant, on_delete=models.PROTECT, related_name="ideas")
    number = models.PositiveIntegerField(_("Nummer"))
    title = models.CharField(_("Titel"), max_length=200)
    description = models.TextField(_("Beschreibung"))
    benefit = models.TextField(_("erwarteter Nutzen"), blank=True)
    # The department it comes from and the catalogue service it concerns, where known.
    unit = models.ForeignKey(
        OrganisationalUnit,
        verbose_name=_("Bereich"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    service = models.ForeignKey(
        Service, verbose_name=_("Leistung"), null=True, blank=True, on_delete=models.SET_NULL, related_name="ideas"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="cockpit_ideas"
    )
    # The internal assistant's submission it came in with; one idea per submission.
    submission = models.OneToOneField(
        "submissions.Submission", null=True, blank=True, on_delete=models.PROTECT, related_name="idea"
    )
    created_at = models.DateTimeField(_("eingereicht am"), auto_now_add=True)
    # 0–100, recomputed whenever a rating or a weight changes; null until rated.
    score = models.DecimalField(_("Punktzahl"), max_digits=5, decimal_places=1, null=True, blank=True)
    decision = models.CharField(_("Entscheidung"), max_length=15, choices=Decision.choices, blank=True)
    decision_reason = models.TextField(_("Begründung"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("entschieden am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Idee")
        verbose_name_plural = _("Ideen")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["mandant", "number"], name="idea_number_unique")]

    def __str__(self) -> str:
        return f"I-{self.number}: {self.title}"

    @property
    def label(self) -> str:
        return f"I-{self.number}"


class IdeaRating(models.Model):
    """The team's value (0–5) for one idea on one criterion."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="ratings")
    criterion = models.ForeignKey(ScoringCriterion, on_delete=models.CASCADE, related_name="ratings")
    value = models.PositiveSmallIntegerField(_("Wert"), validators=[MinValueValidator(0), MaxValueValidator(5)])
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    rated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["idea", "criterion"], name="idea_rating_unique")]

    def __str__(self) -> str:
        return f"{self.idea_id}/{self.criterion_id}: {self.value}"


class Phase(models.TextChoices):
    INITIATION = "initiierung", _("Initiierung")
    CONCEPT = "konzeption", _("Konzeption (Fachkonzept)")
    APPROVAL = "freigabe", _("Freigabe")
    IMPLEMENTATION = "umsetzung", _("Umsetzung")
    ROLLOUT = "einfuehrung", _("Einführung")
    CLOSED = "abschluss", _("Abschluss")


# Phases in which a project binds people: the parallel-project limit counts these.
RUNNING_PHASES = (Phase.CONCEPT, Phase.APPROVAL, Phase.IMPLEMENTATION, Phase.ROLLOUT)


class Project(models.Model):
    """A digitalisation project, steered through its phases by approved gates."""

    class Status(models.TextChoices):
        GREEN = "gruen", _("im Plan")
        AMBER = "gelb", _("gefährdet")
        RED = "rot", _("kritisch")

    mandant = models.ForeignKey(Mandant, on_delete=models.PROTECT, related_name="projects")
    unit = models.ForeignKey(
        OrganisationalUnit, verbose_name=_("federführende Einheit"), on_delete=models.PROTECT, related_name="projects"
    )
    number = models.PositiveIntegerField(_("Nummer"))
    title = models.CharField(_("Titel"), max_length=200)
    description = models.TextField(_("Auftrag"), blank=True)
    idea = models.OneToOneField(Idea, null=True, blank=True, on_delete=models.PROTECT, related_name="project")
    service = models.ForeignKey(
        Service, verbose_name=_("Leistung"), null=True, blank=True, on_delete=models.SET_NULL, related_name="projects"
    )
    phase = models.CharField(_("Phase"), max_length=15, choices=Phase.choices, default=Phase.INITIATION)
    status = models.CharField(_("Status"), max_length=5, choices=Status.choices, default=Status.GREEN)
    status_reason = models.CharField(_("Begründung des Status"), max_length=300, blank=True)
    concept = models.TextField(_("Fachkonzept"), blank=True)
    concept_approved_at = models.DateTimeField(_("Fachkonzept freigegeben am"), null=True, blank=True)
    concept_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    budget_planned = models.DecimalField(_("Budget geplant (€)"), max_digits=12, decimal_places=2, default=0)
    budget_used = models.DecimalField(_("Budget verbraucht (€)"), max_digits=12, decimal_places=2, default=0)
    days_planned = models.DecimalField(_("Personentage geplant"), max_digits=8, decimal_places=1, default=0)
    days_used = models.DecimalField(_("Personentage verbraucht"), max_digits=8, decimal_places=1, default=0)
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)
    phase_since = models.DateTimeField(_("in der Phase seit"), auto_now_add=True)

    class Meta:
        verbose_name = _("Projekt")
        verbose_name_plural = _("Projekte")
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["mandant", "number"], name="project_number_unique")]

    def __str__(self) -> str:
        return f"P-{self.number}: {self.title}"

    @property
    def label(self) -> str:
        return f"P-{self.number}"


class ProjectMember(models.Model):
    class Role(models.TextChoices):
        SPONSOR = "auftraggeber", _("Auftraggeber")
        LEAD = "projektleitung", _("Projektleitung")
        TEAM = "team", _("Projektteam")
        PILOT = "digitallotse", _("Digitallotse des Fachbereichs")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cockpit_projects")
    role = models.CharField(_("Rolle"), max_length=15, choices=Role.choices)

    class Meta:
        verbose_name = _("Projektrolle")
        verbose_name_plural = _("Projektrollen")
        ordering = ["role", "pk"]
        constraints = [models.UniqueConstraint(fields=["project", "user", "role"], name="project_member_unique")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class GateApproval(models.Model):
    """The record of one passed gate: who approved the step into which phase, and why."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="gates")
    from_phase = models.CharField(max_length=15, choices=Phase.choices)
    to_phase = models.CharField(max_length=15, choices=Phase.choices)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_as = models.CharField(max_length=15, choices=ProjectMember.Role.choices)
    approved_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(_("Vermerk"), max_length=500, blank=True)

    class Meta:
        ordering = ["approved_at", "pk"]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.from_phase} → {self.to_phase}"


class Goal(models.Model):
    """A written project goal with a measurable indicator."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="goals")
    text = models.CharField(_("Ziel"), max_length=300)
    indicator = models.CharField(_("Messgröße"), max_length=200)
    baseline = models.DecimalField(_("Ausgangswert"), max_digits=12, decimal_places=2, null=True, blank=True)
    target = models.DecimalField(_("Zielwert"), max_digits=12, decimal_places=2)
    actual = models.DecimalField(_("Istwert"), max_digits=12, decimal_places=2, null=True, blank=True)
    unit_label = models.CharField(_("Einheit"), max_length=30, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.text


class Milestone(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("Meilenstein"), max_length=200)
    due = models.DateField(_("geplant bis"))
    done_on = models.DateField(_("erreicht am"), null=True, blank=True)

    class Meta:
        ordering = ["due", "pk"]

    def __str__(self) -> str:
        return self.title


class Risk(models.Model):
    """A project risk, rated in one of the six dimensions of the county's success criteria."""

    class Dimension(models.TextChoices):
        STRATEGIC = "strategisch", _("strategisch")
        ORGANISATIONAL = "organisatorisch", _("organisatorisch")
        LEGAL = "rechtlich", _("rechtlich")
        CULTURAL = "kulturell", _("kulturell")
        FINANCIAL = "finanziell", _("finanziell")
        PERSONNEL = "personell", _("personell")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="risks")
    dimension = models.CharField(_("Dimension"), max_length=16, choices=Dimension.choices)
    description = models.CharField(_("Risiko"), max_length=300)
    likelihood = models.PositiveSmallIntegerField(
        _("Eintrittswahrscheinlichkeit (1–3)"), validators=[MinValueValidator(1), MaxValueValidator(3)]
    )
    impact = models.PositiveSmallIntegerField(
        _("Auswirkung (1–3)"), validators=[MinValueValidator(1), MaxValueValidator(3)]
    )
    mitigation = models.CharField(_("Gegenmaßnahme"), max_length=300, blank=True)

    class Meta:
        ordering = ["dimension", "pk"]

    def __str__(self) -> str:
        return self.description

    @property
    def rating(self) -> int:
        return self.likelihood * self.impact


class ProjectLimit(models.Model):
    """How many projects may run at once: for one unit, or for the whole programme (no unit)."""

    mandant = models.ForeignKey(Mandant, on_delete=models.CASCADE, related_name="project_limits")
    unit = models.ForeignKey(OrganisationalUnit, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    maximum = models.PositiveSmallIntegerField(_("höchstens parallel"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["mandant", "unit"], name="project_limit_unique"),
            models.UniqueConstraint(
                fields=["mandant"], condition=models.Q(unit__isnull=True), name="project_limit_programme_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit or self.mandant}: {self.maximum}"


class Indicator(models.Model):
    """A figure kept by hand (home-office places, staff enabled for encrypted e-mail)."""

    mandant = models.ForeignKey(Mandant, on_delete=models.CASCADE, related_name="indicators")
    name = models.CharField(_("Kennzahl"), max_length=200)
    unit_label = models.CharField(_("Einheit"), max_length=30)
    source = models.CharField(_("Quelle"), max_length=200)
    target = models.DecimalField(_("Zielwert"), max_digits=12, decimal_places=2, null=True, blank=True)
    dimension = models.CharField(_("Dimension"), max_length=16, choices=Risk.Dimension.choices, blank=True)

    class Meta:
        verbose_name = _("Kennzahl")
        verbose_name_plural = _("Kennzahlen")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class IndicatorValue(models.Model):
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values")
    value = models.DecimalField(_("Wert"), max_digits=12, decimal_places=2)
    as_of = models.DateField(_("Stand"))
    note = models.CharField(_("Anmerkung"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-as_of", "-pk"]

    def __str__(self) -> str:
        return f"{self.indicator_id}: {self.value} ({self.as_of})"


class Report(models.Model):
    """A report for the council over a period; its figures are computed when it is rendered."""

    class Kind(models.TextChoices):
        YEARLY = "jahr", _("Jährlicher Sachstandsbericht")
        HALF_YEAR = "halbjahr", _("Halbjahresbericht")

    mandant = models.ForeignKey(Mandant, on_delete=models.PROTECT, related_name="cockpit_reports")
    kind = models.CharField(_("Art"), max_length=10, choices=Kind.choices)
    period_start = models.DateField(_("Zeitraum von"))
    period_end = models.DateField(_("Zeitraum bis"))
    title = models.CharField(_("Titel"), max_length=200)
    introduction = models.TextField(_("Einleitung"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Bericht")
        verbose_name_plural = _("Berichte")
        ordering = ["-period_end", "-pk"]

    def __str__(self) -> str:
        return self.title


# --- figures kept current from the platform's own tables (see rollup.py) ---------------------


class SubmissionFigures(models.Model):
    """Submissions of one assistant and what became of them, summed over a day or a month."""

    assistant = models.ForeignKey(Assistant, on_delete=models.CASCADE, related_name="+")
    submissions = models.PositiveIntegerField(default=0)
    # Arrived in the E-Akte (a case was opened) or was delivered to a Fachverfahren.
    digital_intake = models.PositiveIntegerField(default=0)
    with_inquiry = models.PositiveIntegerField(default=0)
    with_fee = models.PositiveIntegerField(default=0)
    paid_online = models.PositiveIntegerField(default=0)

    COUNTS = ("submissions", "digital_intake", "with_inquiry", "with_fee", "paid_online")

    class Meta:
        abstract = True


class SubmissionDay(SubmissionFigures):
    """Per day and assistant, so a year is a few thousand rows."""

    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "assistant"], name="submission_day_unique")]

    def __str__(self) -> str:
        return f"{self.day} {self.assistant_id}: {self.submissions}"


class SubmissionMonth(SubmissionFigures):
    """The ``SubmissionDay`` rows of a month summed; ``month`` is its first day."""

    month = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "assistant"], name="submission_month_unique")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.assistant_id}: {self.submissions}"


class ClosedCases(models.Model):
    """How many cases of a type took how many days (a histogram for percentiles)."""

    case_type = models.ForeignKey("cases.CaseType", on_delete=models.CASCADE, related_name="+")
    duration_days = models.PositiveIntegerField()
    cases = models.PositiveIntegerField(default=0)

    COUNTS = ("cases",)

    class Meta:
        abstract = True


class ClosedCaseDay(ClosedCases):
    """Per closing day."""

    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "case_type", "duration_days"], name="closed_case_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.case_type_id}: {self.cases}×{self.duration_days} d"


class ClosedCaseMonth(ClosedCases):
    """The ``ClosedCaseDay`` rows of a month summed; ``month`` is its first day."""

    month = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["month", "case_type", "duration_days"], name="closed_case_month_unique")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.case_type_id}: {self.cases}×{self.duration_days} d"


class StaleDay(models.Model):
    """A day whose rows above must be recomputed before they are read again (one row per change)."""

    class Kind(models.TextChoices):
        SUBMITTED = "eingang", "eingang"
        CLOSED = "abschluss", "abschluss"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    day = models.DateField()

    def __str__(self) -> str:
        return f"{self.kind} {self.day}"
