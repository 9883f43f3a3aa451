"""Ideas: every staff member follows their own; the team rates, decides and turns them into projects.

State changes only by POST, each through one service; a refused change comes back as a
German message on the page (status 400 with the form's errors), never as a server error.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kreiswerk.handoff.models import Destination

from .. import selectors, services
from ..forms.ideas import DecisionForm, IdeaServiceForm, ProjectFromIdeaForm, RatingForm, WeightsForm
from ..models import Idea, Project, ProjectMember, ScoringCriterion
from ..permissions import can_edit, cockpit_view


def _decided_filter(value: str) -> tuple[str, bool | None]:
    """The backlog's filter from the query string; anything unknown shows the open ideas."""
    return {"entschieden": ("entschieden", True), "alle": ("alle", None)}.get(value, ("offen", False))


def _message(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def form_errors_apply(form, exc: ValidationError) -> None:
    """Put a service's refusal on the form: by field where it names one, else above it."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, [e for error in errors for e in error.messages])
    else:
        form.add_error(None, exc.messages)


@require_http_methods(["GET"])
@cockpit_view(read=False)
def my_ideas(request):
    mandant = request.cockpit_mandant
    ideas = Idea.objects.filter(author=request.user).select_related("service", "project").order_by("-created_at", "-pk")
    # The idea intake: an internal assistant of the user's Mandant that hands its submissions to the cockpit.
    destination = (
        Destination.objects.filter(
            kind=Destination.Kind.IDEAS,
            is_active=True,
            assistant__mandant=mandant,
            assistant__audience="internal",
        )
        .select_related("assistant__mandant")
        .order_by("assistant__title", "pk")
        .first()
    )
    projects = (
        Project.objects.filter(members__user=request.user)
        .prefetch_related(Prefetch("members", ProjectMember.objects.filter(user=request.user)))
        .distinct()
        .order_by("number")
    )
    return render(
        request,
        "cockpit/ideas/my_ideas.html",
        {
            "ideas": ideas,
            "intake": destination.assistant if destination else None,
            "projects": projects,
            "section": "my_ideas",
        },
    )


@require_http_methods(["GET"])
@cockpit_view()
def idea_list(request):
    mandant = request.cockpit_mandant
    current, decided = _decided_filter(request.GET.get("status", ""))
    ideas = selectors.backlog(mandant=mandant, decided=decided).select_related("project")
    return render(
        request,
        "cockpit/ideas/list.html",
        {
            "ideas": ideas,
            "current": current,
            "filters": [
                ("offen", _("offen")),
                ("entschieden", _("entschieden")),
                ("alle", _("alle")),
            ],
            "section": "ideas",
        },
    )


@require_http_methods(["GET", "POST"])
@cockpit_view()
def scoring_model(request):
    mandant = request.cockpit_mandant
    criteria = services.scoring_criteria_ensure(mandant=mandant)
    status = 200
    form = WeightsForm(criteria=criteria)
    if request.method == "POST":
        if not can_edit(request.user):
            raise PermissionDenied
        form = WeightsForm(request.POST, criteria=criteria)
        if form.is_valid():
            try:
                services.scoring_weights_set(mandant=mandant, weights=form.weights(), actor=request.user)
            except ValidationError as exc:
                form_errors_apply(form, exc)
            else:
                messages.success(request, _("Die Gewichte sind gespeichert; alle Ideen sind neu bewertet."))
                return redirect("cockpit:scoring")
        status = 400
    total = sum(criterion.weight for criterion in criteria)
    rows = [
        {
            "criterion": criterion,
            "share": round(100 * criterion.weight / total) if total else 0,
            "field": form[f"kriterium_{criterion.key}"],
        }
        for criterion in criteria
    ]
    return render(
        request,
        "cockpit/ideas/scoring.html",
        {"form": form, "rows": rows, "can_edit": can_edit(request.user), "section": "ideas"},
        status=status,
    )


IDEA_ACTIONS = ("bewerten", "entscheiden", "leistung", "projekt")


@require_http_methods(["GET", "POST"])
@cockpit_view()
def idea_detail(request, idea_id: int):
    mandant = request.cockpit_mandant
    idea = get_object_or_404(
        Idea.objects.select_related("service", "unit", "author", "decided_by", "project"),
        pk=idea_id,
        mandant=mandant,
    )
    criteria = services.scoring_criteria_ensure(mandant=mandant)
    editable = can_edit(request.user)
    derived = _derived_demand(idea)
    forms = _idea_forms(idea, criteria, mandant, derived=derived)
    failed = None
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        action = request.POST.get("action", "")
        if action not in IDEA_ACTIONS:
            messages.error(request, _("Diese Aktion gibt es nicht."))
            return redirect("cockpit:idea", idea_id=idea.pk)
        forms = _idea_forms(idea, criteria, mandant, derived=derived, data=request.POST, action=action)
        form = forms[action]
        if form.is_valid():
            try:
                result = _idea_action(request, idea, action, form)
            except ValidationError as exc:
                form_errors_apply(form, exc)
            else:
                return result
        failed = form
    return render(
        request,
        "cockpit/ideas/detail.html",
        {
            "idea": idea,
            "forms": forms,
            "failed": failed,
            "editable": editable,
            "ratings": _rating_rows(idea, criteria, derived),
            "section": "ideas",
        },
        status=400 if failed is not None else 200,
    )


def _derived_demand(idea: Idea) -> int | None:
    if idea.service is None:
        return None
    volume = selectors.service_volumes([idea.service]).get(idea.service_id)
    return services.volume_value(volume)


def _idea_forms(idea: Idea, criteria, mandant, *, derived: int | None, data=None, action: str = "") -> dict:
    def bound(name):
        return data if action == name else None

    ratings = {rating.criterion_id: rating.value for rating in idea.ratings.all()}
    project_initial = {"title": idea.title, "unit": idea.unit_id} if idea.unit_id else {"title": idea.title}
    return {
        "bewerten": RatingForm(
            bound("bewerten"), criteria=criteria, ratings=ratings, derived=derived, prefix="bewertung"
        ),
        "entscheiden": DecisionForm(
            bound("entscheiden"),
            initial={"decision": idea.decision, "reason": idea.decision_reason},
            prefix="entscheidung",
        ),
        "leistung": IdeaServiceForm(
            bound("leistung"),
            initial={"service": idea.service_id},
            mandant_ids=selectors.programme_mandant_ids(mandant),
            prefix="leistung",
        ),
        "projekt": ProjectFromIdeaForm(bound("projekt"), initial=project_initial, mandant=mandant, prefix="projekt"),
    }


def _idea_action(request, idea: Idea, action: str, form):
    actor = request.user
    if action == "bewerten":
        score = services.idea_rate(idea=idea, values=form.values(), actor=actor)
        messages.success(
            request,
            _("Die Bewertung ist gespeichert.")
            if score is None
            else _("Die Bewertung ist gespeichert: %(score)s von 100 Punkten.") % {"score": score},
        )
    elif action == "entscheiden":
        idea = services.idea_decide(
            idea=idea, decision=form.cleaned_data["decision"], reason=form.cleaned_data["reason"], actor=actor
        )
        messages.success(
            request, _("Die Entscheidung „%(decision)s“ ist gespeichert.") % {"decision": idea.get_decision_display()}
        )
    elif action == "leistung":
        services.idea_service_set(idea=idea, service=form.cleaned_data["service"], actor=actor)
        messages.success(request, _("Die Leistung ist verknüpft."))
    else:
        project = services.project_create(
            mandant=idea.mandant,
            unit=form.cleaned_data["unit"],
            title=form.cleaned_data["title"],
            idea=idea,
            actor=actor,
            description=idea.description,
        )
        messages.success(request, _("Das Projekt %(label)s ist angelegt.") % {"label": project.label})
        return redirect("cockpit:project", project_id=project.pk)
    return redirect("cockpit:idea", idea_id=idea.pk)


def _rating_rows(idea: Idea, criteria: list[ScoringCriterion], derived: int | None) -> list[dict]:
    """Each criterion with the value that counts (the team's, else the one derived from the volume)."""
    ratings = {rating.criterion_id: rating.value for rating in idea.ratings.all()}
    rows = []
    for criterion in criteria:
        value, origin = ratings.get(criterion.pk), "team"
        if value is None and criterion.source == ScoringCriterion.Source.CASE_VOLUME and derived is not None:
            value, origin = derived, "fallzahl"
        rows.append({"criterion": criterion, "value": value, "origin": origin})
    return rows
