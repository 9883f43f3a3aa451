"""Writes of the cockpit: catalogue, ideas and their scoring, projects and their gates, indicators."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kreiswerk.audit.services import audit_record
from kreiswerk.tenancy.models import Mandant, Membership

from .leika import leika_normalize, leika_validate
from .models import (
    RUNNING_PHASES,
    Channel,
    GateApproval,
    Goal,
    Idea,
    IdeaRating,
    Indicator,
    IndicatorValue,
    Milestone,
    Phase,
    Project,
    ProjectLimit,
    ProjectMember,
    Report,
    Risk,
    ScoringCriterion,
    Service,
)
from .selectors import period_label, programme_mandant_ids, service_volumes

# --- catalogue --------------------------------------------------------------------------------

NAME_MAX_LENGTH = Service._meta.get_field("name").max_length
# PositiveIntegerField's range on every supported database.
YEARLY_VOLUME_MAX = 2_147_483_647

SERVICE_FIELDS = ("name", "leika_key", "unit", "channel", "assistant", "yearly_volume", "criteria", "online_since")


def service_check(service: Service) -> None:
    """Raise a ``ValidationError`` by field, in German, for what the catalogue cannot hold."""
    errors = {}
    service.name = (service.name or "").strip()
    if not service.name:
        errors["name"] = _("Bitte geben Sie die Bezeichnung der Leistung an.")
    elif len(service.name) > NAME_MAX_LENGTH:
        errors["name"] = _("Die Bezeichnung darf höchstens %(max)s Zeichen lang sein.") % {"max": NAME_MAX_LENGTH}
    if service.yearly_volume is not None and not 0 <= service.yearly_volume <= YEARLY_VOLUME_MAX:
        errors["yearly_volume"] = _("Die Fallzahl pro Jahr muss eine ganze Zahl zwischen 0 und %(max)s sein.") % {
            "max": YEARLY_VOLUME_MAX
        }
    service.leika_key = leika_normalize(service.leika_key)
    if service.leika_key:
        try:
            leika_validate(service.leika_key)
        except ValidationError as exc:
            errors["leika_key"] = exc.messages[0]
        else:
            twin = Service.objects.filter(mandant_id=service.mandant_id, leika_key=service.leika_key)
            if twin.exclude(pk=service.pk).exists():
                errors["leika_key"] = _("Diese Leistung steht mit diesem LeiKa-Schlüssel schon im Katalog.")
    if not service.unit_id:
        errors["unit"] = _("Bitte wählen Sie die zuständige Einheit.")
    elif service.unit.mandant_id != service.mandant_id:
        errors["unit"] = _("Die Einheit gehört nicht zu diesem Mandanten.")
    if service.channel not in Channel.values:
        errors["channel"] = _("Bitte wählen Sie einen der angebotenen Zugänge.")
    if service.channel == "kreiswerk" and not service.assistant_id:
        errors["assistant"] = _("Bitte wählen Sie den Antragsassistenten, über den die Leistung angeboten wird.")
    if service.assistant_id and service.channel != "kreiswerk":
        errors["assistant"] = _("Ein Antragsassistent gehört nur zum Zugang über kreiswerk.")
    elif service.assistant_id:
        if service.assistant.mandant_id != service.mandant_id:
            errors["assistant"] = _("Der Antragsassistent gehört nicht zu diesem Mandanten.")
        else:
            holder = Service.objects.filter(assistant_id=service.assistant_id).exclude(pk=service.pk).first()
            if holder is not None:
                errors["assistant"] = _("Dieser Antragsassistent gehört schon zur Leistung „%(name)s“.") % {
                    "name": holder.name
                }
    if errors:
        raise ValidationError(errors)


def service_save(*, service: Service, actor, **fields) -> Service:
    for key, value in fields.items():
        if key not in SERVICE_FIELDS:
            raise TypeError(key)
        setattr(service, key, value)
    service_check(service)
    created = service.pk is None
    with transaction.atomic():
        service.save()
        audit_record(
            action="cockpit.service.create" if created else "cockpit.service.update",
            target=service,
            actor=actor,
            details={"leika": service.leika_key, "level": service.maturity_level},
        )
    return service


# --- ideas and scoring ------------------------------------------------------------------------


@dataclass(frozen=True)
class DefaultCriterion:
    key: str
    label: str
    help_text: str
    weight: int
    lower_is_better: bool = False
    source: str = ScoringCriterion.Source.MANUAL


DEFAULT_CRITERIA = (
    DefaultCriterion(
        "nachfrage",
        gettext_lazy("Nachfrage"),
        gettext_lazy("Wie viele Menschen nutzen die Leistung? Aus der Fallzahl der Leistung, sonst geschätzt."),
        25,
        source=ScoringCriterion.Source.CASE_VOLUME,
    ),
    DefaultCriterion(
        "zeitersparnis",
        gettext_lazy("eingesparte Arbeitszeit"),
        gettext_lazy("0 = keine, 5 = mehr als 2.000 Stunden im Jahr"),
        25,
    ),
    DefaultCriterion(
        "aufwand",
        gettext_lazy("Aufwand"),
        gettext_lazy("0 = sehr gering, 5 = sehr hoch (geringer Aufwand zählt mehr)"),
        20,
        lower_is_better=True,
    ),
    DefaultCriterion(
        "rechtspflicht",
        gettext_lazy("rechtliche Verpflichtung"),
        gettext_lazy("0 = keine, 5 = gesetzliche Pflicht mit Frist"),
        15,
    ),
    DefaultCriterion(
        "strategie",
        gettext_lazy("strategische Bedeutung"),
        gettext_lazy("Beitrag zur Digitalisierungsstrategie des Kreises"),
        10,
    ),
    DefaultCriterion(
        "nachnutzung",
        gettext_lazy("Nachnutzung (von den Besten lernen)"),
        gettext_lazy("5 = EfA-Dienst oder Lösung eines Nachbarkreises kann übernommen werden"),
        5,
    ),
)

# Yearly cases at or above which the demand criterion reaches 1, 2, … 5.
VOLUME_STEPS = (10, 100, 500, 2000, 10000)


def scoring_criteria_ensure(*, mandant: Mandant) -> list[ScoringCriterion]:
    """The Mandant's criteria; the defaults are created the first time."""
    for position, default in enumerate(DEFAULT_CRITERIA):
        ScoringCriterion.objects.get_or_create(
            mandant=mandant,
            key=default.key,
            defaults={
                "label": str(default.label),
                "help_text": str(default.help_text),
                "weight": default.weight,
                "lower_is_better": default.lower_is_better,
                "source": default.source,
                "position": position,
            },
        )
    return list(ScoringCriterion.objects.filter(mandant=mandant, is_active=True))


def volume_value(volume: int | None) -> int | None:
    """The demand value 0–5 for a yearly case volume; None when the volume is unknown."""
    if volume is None:
        return None
    return sum(1 for step in VOLUME_STEPS if volume >= step)


def idea_values(idea: Idea, criteria: list[ScoringCriterion], *, volume: int | None = None) -> dict[int, int]:
    """The value per criterion id: the team's ratings, and the service's volume where that is the source."""
    values = {rating.criterion_id: rating.value for rating in idea.ratings.all()}
    for criterion in criteria:
        if criterion.source == ScoringCriterion.Source.CASE_VOLUME and criterion.pk not in values:
            derived = volume_value(volume)
            if derived is not None:
                values[criterion.pk] = derived
    return values


def score_compute(values: dict[int, int], criteria: list[ScoringCriterion]) -> Decimal | None:
    """0–100: the weighted mean of the values scaled to 0–1, inverted where lower is better.

    Criteria without a value do not count; without any value there is no score.
    """
    total = weights = 0
    for criterion in criteria:
        if criterion.pk not in values or criterion.weight == 0:
            continue
        share = Decimal(values[criterion.pk]) / 5
        if criterion.lower_is_better:
            share = 1 - share
        total += share * criterion.weight
        weights += criterion.weight
    if not weights:
        return None
    return (Decimal(100) * total / weights).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def idea_score_refresh(
    *, idea: Idea, criteria: list[ScoringCriterion] | None = None, volumes: dict[int, int | None] | None = None
) -> Decimal | None:

    if criteria is None:
        criteria = list(ScoringCriterion.objects.filter(mandant_id=idea.mandant_id, is_active=True))
    volume = None
    if idea.service_id:
        if volumes is None:
            volumes = service_volumes([idea.service])
        volume = volumes.get(idea.service_id)
    idea.score = score_compute(idea_values(idea, criteria, volume=volume), criteria)
    Idea.objects.filter(pk=idea.pk).update(score=idea.score)
    return idea.score


def scores_refresh(*, mandant: Mandant) -> None:
    """After a weight changed: every idea's score again (the services' volumes read once)."""

    criteria = list(ScoringCriterion.objects.filter(mandant=mandant, is_active=True))
    ideas = list(Idea.objects.filter(mandant=mandant).select_related("service").prefetch_related("ratings"))
    services = {idea.service_id: idea.service for idea in ideas if idea.service_id}
    volumes = service_volumes(list(services.values())) if services else {}
    for idea in ideas:
        idea_score_refresh(idea=idea, criteria=criteria, volumes=volumes)


def _next_number(model, mandant: Mandant) -> int:
    # Called inside a transaction that holds the Mandant row, so two creations cannot share a number.
    return (model.objects.filter(mandant=mandant).aggregate(top=Max("number"))["top"] or 0) + 1


def idea_create(
    *,
    mandant: Mandant,
    title: str,
    description: str,
    author=None,
    benefit: str = "",
    unit=None,
    service=None,
    submission=None,
) -> Idea:
    with transaction.atomic():
        Mandant.objects.select_for_update().get(pk=mandant.pk)
        if submission is not None:
            existing = Idea.objects.filter(submission=submission).first()
            if existing is not None:  # a repeated delivery of the same submission
                return existing
        idea = Idea.objects.create(
            mandant=mandant,
            number=_next_number(Idea, mandant),
            title=title[:200],
            description=description,
            benefit=benefit,
            author=author,
            unit=unit,
            service=service,
            submission=submission,
        )
        audit_record(action="cockpit.idea.create", target=idea, actor=author, details={"number": idea.number})
    idea_score_refresh(idea=idea, criteria=scoring_criteria_ensure(mandant=mandant))
    return idea


def idea_rate(*, idea: Idea, values: dict[ScoringCriterion, int | None], actor) -> Decimal | None:
    """Record the team's values (None clears one); the score follows."""
    if idea.decision:
        raise ValidationError(_("Die Idee ist entschieden; ihre Bewertung steht fest."))
    with transaction.atomic():
        for criterion, value in values.items():
            if criterion.mandant_id != idea.mandant_id:
                raise PermissionDenied
            if value is None:
                IdeaRating.objects.filter(idea=idea, criterion=criterion).delete()
                continue
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 5:
                raise ValidationError(_("Ein Wert liegt zwischen 0 und 5."))
            IdeaRating.objects.update_or_create(
                idea=idea, criterion=criterion, defaults={"value": value, "rated_by": actor}
            )
        score = idea_score_refresh(idea=idea)
        audit_record(action="cockpit.idea.rate", target=idea, actor=actor, details={"score": str(score)})
    return score


def idea_decide(*, idea: Idea, decision: str, reason: str, actor) -> Idea:
    if decision not in Idea.Decision.values:
        raise ValidationError({"decision": _("Bitte wählen Sie eine Entscheidung.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Bitte begründen Sie die Entscheidung.")})
    with transaction.atomic():
        Idea.objects.select_for_update().filter(pk=idea.pk).first()
        # The project holds the idea by a one-to-one link; its decision may not change under it.
        if Project.objects.filter(idea=idea).exists():
            raise ValidationError(_("Aus der Idee ist schon ein Projekt geworden; die Entscheidung steht fest."))
        idea.decision, idea.decision_reason = decision, reason.strip()
        idea.decided_by, idea.decided_at = actor, timezone.now()
        idea.save(update_fields=["decision", "decision_reason", "decided_by", "decided_at"])
        audit_record(action="cockpit.idea.decide", target=idea, actor=actor, details={"decision": decision})
    return idea


def idea_service_set(*, idea: Idea, service: Service | None, actor) -> Idea:
    """Link the idea to the catalogue service it concerns; the demand criterion follows its volume."""
    if service is not None and service.mandant_id not in programme_mandant_ids(idea.mandant):
        raise PermissionDenied
    with transaction.atomic():
        idea.service = service
        idea.save(update_fields=["service"])
        audit_record(
            action="cockpit.idea.service",
            target=idea,
            actor=actor,
            details={"service": service.pk if service else None},
        )
    idea_score_refresh(idea=idea)
    return idea


def scoring_weights_set(*, mandant: Mandant, weights: dict[ScoringCriterion, int], actor) -> None:
    with transaction.atomic():
        for criterion, weight in weights.items():
            if criterion.mandant_id != mandant.pk:
                raise PermissionDenied
            if not 0 <= weight <= 100:
                raise ValidationError(_("Ein Gewicht liegt zwischen 0 und 100."))
            criterion.weight = weight
            criterion.save(update_fields=["weight"])
        audit_record(
            action="cockpit.scoring.weights",
            target=mandant,
            actor=actor,
            details={criterion.key: weight for criterion, weight in weights.items()},
        )
        scores_refresh(mandant=mandant)


# --- projects and their gates -----------------------------------------------------------------


@dataclass(frozen=True)
class Gate:
    to_phase: str
    owner: str  # the project role that approves the step
    label: str


GATES: dict[str, Gate] = {
    Phase.INITIATION: Gate(Phase.CONCEPT, ProjectMember.Role.SPONSOR, gettext_lazy("Projektauftrag erteilen")),
    Phase.CONCEPT: Gate(Phase.APPROVAL, ProjectMember.Role.LEAD, gettext_lazy("Fachkonzept zur Freigabe vorlegen")),
    Phase.APPROVAL: Gate(
        Phase.IMPLEMENTATION, ProjectMember.Role.SPONSOR, gettext_lazy("Fachkonzept freigeben, Umsetzung beginnen")
    ),
    Phase.IMPLEMENTATION: Gate(Phase.ROLLOUT, ProjectMember.Role.LEAD, gettext_lazy("Einführung beginnen")),
    Phase.ROLLOUT: Gate(Phase.CLOSED, ProjectMember.Role.SPONSOR, gettext_lazy("Abnahme und Abschluss")),
}

# Phases in which the Fachkonzept may still be written; it is frozen once approved.
CONCEPT_PHASES = (Phase.INITIATION, Phase.CONCEPT, Phase.APPROVAL)


class GateRefused(ValidationError):
    pass


def project_create(*, mandant: Mandant, unit, title: str, actor, idea: Idea | None = None, **fields) -> Project:
    if not title.strip():
        raise ValidationError({"title": _("Bitte geben Sie den Titel des Projekts an.")})
    if idea is not None and idea.mandant_id != mandant.pk:
        raise PermissionDenied
    if idea is not None and idea.decision != Idea.Decision.IMPLEMENT:
        raise ValidationError(_("Nur eine zur Umsetzung entschiedene Idee wird ein Projekt."))
    if unit.mandant_id != mandant.pk:
        raise PermissionDenied
    service = fields.pop("service", None)
    if idea is not None and service is None:
        service = idea.service
    with transaction.atomic():
        Mandant.objects.select_for_update().get(pk=mandant.pk)
        if idea is not None and Project.objects.filter(idea=idea).exists():
            raise ValidationError(_("Aus dieser Idee ist schon ein Projekt geworden."))
        project = Project.objects.create(
            mandant=mandant,
            unit=unit,
            number=_next_number(Project, mandant),
            title=title.strip()[:200],
            idea=idea,
            service=service,
            **fields,
        )
        audit_record(
            action="cockpit.project.create",
            target=project,
            actor=actor,
            details={"number": project.number, "idea": idea.number if idea else None},
        )
    return project


def gate_roles(project: Project, user) -> set[str]:
    return set(project.members.filter(user=user).values_list("role", flat=True))


def gate_pass(*, project: Project, actor, note: str = "", expected_phase: str | None = None) -> Project:
    """Move the project into its next phase, if ``actor`` holds the gate's role and its rules hold.

    The step from Freigabe into Umsetzung approves the Fachkonzept; without a written
    concept it is refused, and no other path leads into Umsetzung. ``expected_phase`` is
    the phase the approver saw: a form sent twice, or for another phase, passes no gate.
    """
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        if expected_phase is not None and expected_phase != project.phase:
            raise GateRefused(
                _("Das Projekt steht inzwischen in der Phase „%(phase)s“; bitte prüfen Sie den nächsten Schritt.")
                % {"phase": project.get_phase_display()}
            )
        gate = GATES.get(project.phase)
        if gate is None:
            raise GateRefused(_("Das Projekt ist abgeschlossen."))
        if gate.owner not in gate_roles(project, actor):
            raise GateRefused(
                _("Diesen Schritt gibt die Rolle „%(role)s“ des Projekts frei.")
                % {"role": ProjectMember.Role(gate.owner).label}
            )
        now = timezone.now()
        if project.phase == Phase.CONCEPT and not project.concept.strip():
            raise GateRefused(_("Bitte legen Sie zuerst das Fachkonzept schriftlich an."))
        if gate.to_phase == Phase.IMPLEMENTATION:
            if not project.concept.strip():
                raise GateRefused(_("Ohne Fachkonzept beginnt keine Umsetzung."))
            project.concept_approved_at, project.concept_approved_by = now, actor
        elif gate.to_phase in (Phase.ROLLOUT, Phase.CLOSED) and project.concept_approved_at is None:
            raise GateRefused(_("Ohne freigegebenes Fachkonzept beginnt keine Umsetzung."))
        GateApproval.objects.create(
            project=project,
            from_phase=project.phase,
            to_phase=gate.to_phase,
            approved_by=actor,
            approved_as=gate.owner,
            note=note.strip()[:500],
        )
        previous = project.phase
        project.phase, project.phase_since = gate.to_phase, now
        project.save(update_fields=["phase", "phase_since", "concept_approved_at", "concept_approved_by"])
        audit_record(
            action="cockpit.project.gate",
            target=project,
            actor=actor,
            details={"from": previous, "to": gate.to_phase, "as": gate.owner},
        )
    return project


def project_concept_set(*, project: Project, concept: str, actor) -> Project:
    """The Fachkonzept is written until it is approved; after that it no longer changes."""
    with transaction.atomic():
        # Locked like ``gate_pass``: an approval and an edit cannot cross.
        project = Project.objects.select_for_update().get(pk=project.pk)
        if project.concept_approved_at is not None:
            raise ValidationError(_("Das Fachkonzept ist freigegeben und kann nicht mehr geändert werden."))
        if project.phase not in CONCEPT_PHASES:
            raise ValidationError(_("Das Fachkonzept entsteht in der Konzeption."))
        project.concept = concept.strip()
        project.save(update_fields=["concept"])
        audit_record(action="cockpit.project.concept", target=project, actor=actor, details={"chars": len(concept)})
    return project


def project_member_add(*, project: Project, user, role: str, actor) -> ProjectMember:
    if role not in ProjectMember.Role.values:
        raise ValidationError({"role": _("Diese Projektrolle gibt es nicht.")})
    if not Membership.objects.filter(user=user, unit__mandant_id__in=programme_mandant_ids(project.mandant)).exists():
        raise ValidationError({"user": _("Diese Person gehört nicht zur Verwaltung dieses Mandanten.")})
    with transaction.atomic():
        member, created = ProjectMember.objects.get_or_create(project=project, user=user, role=role)
        if created:
            audit_record(
                action="cockpit.project.member.add",
                target=project,
                actor=actor,
                details={"user": user.pk, "role": role},
            )
    return member


def project_member_remove(*, member: ProjectMember, actor) -> None:
    with transaction.atomic():
        member.delete()
        audit_record(
            action="cockpit.project.member.remove",
            target=member.project,
            actor=actor,
            details={"user": member.user_id, "role": member.role},
        )


def project_status_set(*, project: Project, status: str, reason: str, actor) -> Project:
    if status not in Project.Status.values:
        raise ValidationError({"status": _("Bitte wählen Sie einen Status.")})
    if status != Project.Status.GREEN and not reason.strip():
        raise ValidationError({"status_reason": _("Bitte begründen Sie, warum das Projekt nicht im Plan ist.")})
    with transaction.atomic():
        project.status, project.status_reason = status, reason.strip()[:300]
        project.save(update_fields=["status", "status_reason"])
        audit_record(action="cockpit.project.status", target=project, actor=actor, details={"status": status})
    return project


EFFORT_FIELDS = ("budget_planned", "budget_used", "days_planned", "days_used")


def project_effort_set(*, project: Project, actor, **values: Decimal) -> Project:
    """Budget and staff days, planned and used."""
    errors = {}
    for key, value in values.items():
        if key not in EFFORT_FIELDS:
            raise TypeError(key)
        if value is None or value < 0:
            errors[key] = _("Bitte geben Sie einen Wert ab 0 an.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        for key, value in values.items():
            setattr(project, key, value)
        project.save(update_fields=list(values))
        audit_record(
            action="cockpit.project.effort",
            target=project,
            actor=actor,
            details={key: str(value) for key, value in values.items()},
        )
    return project


GOAL_FIELDS = ("text", "indicator", "baseline", "target", "actual", "unit_label")
MILESTONE_FIELDS = ("title", "due", "done_on")
RISK_FIELDS = ("dimension", "description", "likelihood", "impact", "mitigation")


def _project_part_save(instance, *, fields: tuple[str, ...], values: dict, actor, action: str):
    for key, value in values.items():
        if key not in fields:
            raise TypeError(key)
        setattr(instance, key, value)
    instance.full_clean(exclude=["project"])
    created = instance.pk is None
    with transaction.atomic():
        instance.save()
        audit_record(
            action=f"cockpit.project.{action}.{'create' if created else 'update'}",
            target=instance.project,
            actor=actor,
            details={action: instance.pk},
        )
    return instance


def _project_part_delete(instance, *, actor, action: str) -> None:
    with transaction.atomic():
        pk = instance.pk
        instance.delete()
        audit_record(
            action=f"cockpit.project.{action}.delete", target=instance.project, actor=actor, details={action: pk}
        )


def goal_save(*, project: Project, actor, goal: Goal | None = None, **values) -> Goal:
    """A written goal with its indicator: baseline, target and (as it is measured) actual value."""
    goal = goal or Goal(project=project)
    if goal.project_id != project.pk:
        raise PermissionDenied
    return _project_part_save(goal, fields=GOAL_FIELDS, values=values, actor=actor, action="goal")


def goal_delete(*, goal: Goal, actor) -> None:
    _project_part_delete(goal, actor=actor, action="goal")


def milestone_save(*, project: Project, actor, milestone: Milestone | None = None, **values) -> Milestone:
    milestone = milestone or Milestone(project=project)
    if milestone.project_id != project.pk:
        raise PermissionDenied
    if values.get("done_on") and values["done_on"] > timezone.localdate():
        raise ValidationError({"done_on": _("Ein Meilenstein kann nicht in der Zukunft erreicht sein.")})
    return _project_part_save(milestone, fields=MILESTONE_FIELDS, values=values, actor=actor, action="milestone")


def milestone_delete(*, milestone: Milestone, actor) -> None:
    _project_part_delete(milestone, actor=actor, action="milestone")


def risk_save(*, project: Project, actor, risk: Risk | None = None, **values) -> Risk:
    """A risk in one of the six dimensions, rated by likelihood × impact (1–3 each)."""
    risk = risk or Risk(project=project)
    if risk.project_id != project.pk:
        raise PermissionDenied
    return _project_part_save(risk, fields=RISK_FIELDS, values=values, actor=actor, action="risk")


def risk_delete(*, risk: Risk, actor) -> None:
    _project_part_delete(risk, actor=actor, action="risk")


@dataclass(frozen=True)
class LimitState:
    unit: object | None  # None: the whole programme
    maximum: int
    running: int

    @property
    def exceeded(self) -> bool:
        return self.running > self.maximum


def limits_check(*, mandant: Mandant) -> list[LimitState]:
    """Every configured limit with the number of projects running under it (programme first).

    A unit's limit counts the projects of the unit and of the units below it.
    """
    running = Project.objects.filter(mandant=mandant, phase__in=RUNNING_PHASES)
    states = []
    for limit in ProjectLimit.objects.filter(mandant=mandant).select_related("unit").order_by("unit__path"):
        scope = running if limit.unit is None else running.filter(unit__path__startswith=limit.unit.path)
        states.append(LimitState(unit=limit.unit, maximum=limit.maximum, running=scope.count()))
    states.sort(key=lambda state: state.unit is not None)
    return states


def project_limit_set(*, mandant: Mandant, unit, maximum: int | None, actor) -> None:
    """Set (or with None remove) the limit of a unit or, without unit, of the programme."""
    if unit is not None and unit.mandant_id != mandant.pk:
        raise PermissionDenied
    if maximum is not None and not 0 <= maximum <= 999:
        raise ValidationError(_("Eine Grenze liegt zwischen 0 und 999 Projekten."))
    with transaction.atomic():
        current = ProjectLimit.objects.filter(mandant=mandant, unit=unit).values_list("maximum", flat=True).first()
        if current == maximum:
            return
        if maximum is None:
            ProjectLimit.objects.filter(mandant=mandant, unit=unit).delete()
        else:
            ProjectLimit.objects.update_or_create(mandant=mandant, unit=unit, defaults={"maximum": maximum})
        audit_record(
            action="cockpit.limit.set",
            target=unit or mandant,
            actor=actor,
            details={"maximum": maximum, "before": current},
        )


# --- indicators kept by hand -----------------------------------------------------------------


def indicator_value_record(*, indicator: Indicator, value: Decimal, as_of, note: str = "", actor) -> IndicatorValue:
    if as_of > timezone.localdate():
        raise ValidationError({"as_of": _("Der Stand kann nicht in der Zukunft liegen.")})
    with transaction.atomic():
        entry = IndicatorValue.objects.create(
            indicator=indicator, value=value, as_of=as_of, note=note[:200], recorded_by=actor
        )
        audit_record(action="cockpit.indicator.value", target=indicator, actor=actor, details={"value": str(value)})
    return entry


def indicator_create(*, mandant: Mandant, actor, **fields) -> Indicator:
    with transaction.atomic():
        indicator = Indicator.objects.create(mandant=mandant, **fields)
        audit_record(action="cockpit.indicator.create", target=indicator, actor=actor, details={"name": indicator.name})
    return indicator


# --- reports for the council -----------------------------------------------------------------


def report_default_title(kind: str, start: date, end: date) -> str:
    if kind == Report.Kind.YEARLY:
        return _("Sachstandsbericht Digitalisierung %(period)s") % {"period": period_label(start, end)}
    return _("Halbjahresbericht Digitalisierung %(period)s") % {"period": period_label(start, end)}


def report_save(
    *, mandant, actor, kind: str, period_start: date, period_end: date, title: str, introduction: str, report=None
) -> Report:
    """Create or change a report (the form has checked the period); audited."""
    if report is not None and report.mandant_id != mandant.pk:
        raise ValueError("A report belongs to its Mandant.")
    created = report is None
    report = report or Report(mandant=mandant, created_by=actor)
    report.kind, report.period_start, report.period_end = kind, period_start, period_end
    report.title = title.strip() or report_default_title(kind, period_start, period_end)
    report.introduction = introduction.strip()
    with transaction.atomic():
        report.save()
        audit_record(
            action="cockpit.report.create" if created else "cockpit.report.update",
            target=report,
            actor=actor,
            details={"kind": kind, "start": period_start.isoformat(), "end": period_end.isoformat()},
        )
    return report
