"""Projects: the list with the parallel-project limits, and each project with its gates and plan.

The team and readers see every project of the programme; a project's members see their
project. Who may change what: the team edits everything, the Projektleitung keeps its
project's plan (goals, milestones, risks, effort, status), the project team writes the
Fachkonzept with it, and each gate is passed only by the member holding the gate's role.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kreiswerk.tenancy.models import OrganisationalUnit

from .. import services
from ..forms import projects as project_forms
from ..models import Phase, Project, ProjectLimit, ProjectMember
from ..permissions import can_edit, can_read, cockpit_view
from ..selectors import programme_mandant_ids
from .ideas import form_errors_apply

PHASE_ORDER = list(Phase.values)


@require_http_methods(["GET"])
@cockpit_view()
def project_list(request):
    mandant = request.cockpit_mandant
    projects = (
        Project.objects.filter(mandant=mandant)
        .select_related("unit", "idea")
        .prefetch_related(
            Prefetch("members", ProjectMember.objects.filter(role=ProjectMember.Role.LEAD).select_related("user"))
        )
        .order_by("number")
    )
    states = services.limits_check(mandant=mandant)
    return render(
        request,
        "cockpit/projects/list.html",
        {
            "projects": projects,
            "limits": states,
            "exceeded": [state for state in states if state.exceeded],
            "can_edit": can_edit(request.user),
            "section": "projects",
        },
    )


@require_http_methods(["GET", "POST"])
@cockpit_view()
def project_limits(request):
    mandant = request.cockpit_mandant
    units = list(OrganisationalUnit.objects.filter(mandant=mandant).order_by("path"))
    current = dict(ProjectLimit.objects.filter(mandant=mandant).values_list("unit_id", "maximum"))
    form = project_forms.LimitsForm(units=units, current=current)
    status = 200
    if request.method == "POST":
        if not can_edit(request.user):
            raise PermissionDenied
        form = project_forms.LimitsForm(request.POST, units=units, current=current)
        if form.is_valid():
            try:
                for unit, maximum in form.limits():
                    services.project_limit_set(mandant=mandant, unit=unit, maximum=maximum, actor=request.user)
            except ValidationError as exc:
                form_errors_apply(form, exc)
            else:
                messages.success(request, _("Die Grenzen für parallele Projekte sind gespeichert."))
                return redirect("cockpit:project_limits")
        status = 400
    return render(
        request,
        "cockpit/projects/limits.html",
        {
            "form": form,
            "limits": services.limits_check(mandant=mandant),
            "can_edit": can_edit(request.user),
            "section": "projects",
        },
        status=status,
    )


def _visible_project(request, project_id: int) -> Project:
    """The team and readers see the programme's projects; anyone else only projects they have a role in."""
    user = request.user
    visible = Q(members__user=user)
    if can_read(user):
        visible |= Q(mandant=request.cockpit_mandant)
    project = (
        Project.objects.filter(visible, pk=project_id)
        .select_related("unit", "idea", "service", "concept_approved_by", "mandant")
        .distinct()
        .first()
    )
    if project is None:
        raise Http404
    return project


# action -> (form class, who may: "team" | "manage" | "concept" | "gate")
ACTIONS = {
    "freigabe": (project_forms.GateForm, "gate"),
    "fachkonzept": (project_forms.ConceptForm, "concept"),
    "rolle": (project_forms.MemberForm, "team"),
    "rolle-entfernen": (project_forms.ItemForm, "team"),
    "ziel": (project_forms.GoalForm, "manage"),
    "ziel-istwert": (project_forms.GoalActualForm, "manage"),
    "ziel-entfernen": (project_forms.ItemForm, "manage"),
    "meilenstein": (project_forms.MilestoneForm, "manage"),
    "meilenstein-erreicht": (project_forms.MilestoneDoneForm, "manage"),
    "meilenstein-entfernen": (project_forms.ItemForm, "manage"),
    "risiko": (project_forms.RiskForm, "manage"),
    "risiko-entfernen": (project_forms.ItemForm, "manage"),
    "status": (project_forms.StatusForm, "manage"),
    "aufwand": (project_forms.EffortForm, "manage"),
}
# The forms shown on the page for adding or changing; the rest are one-button forms in the lists.
PAGE_FORMS = ("freigabe", "fachkonzept", "rolle", "ziel", "meilenstein", "risiko", "status", "aufwand")


def _rights(request, project: Project, roles: set[str]) -> dict[str, bool]:
    team = can_edit(request.user) and project.mandant_id == request.cockpit_mandant.pk
    manage = team or ProjectMember.Role.LEAD in roles
    return {
        "team": team,
        "manage": manage,
        "concept": manage or ProjectMember.Role.TEAM in roles,
        # Anyone with a role may try; ``gate_pass`` says in German whose gate it is.
        "gate": team or bool(roles),
    }


@require_http_methods(["GET", "POST"])
@cockpit_view(read=False)
def project_detail(request, project_id: int):
    project = _visible_project(request, project_id)
    roles = services.gate_roles(project, request.user)
    rights = _rights(request, project, roles)
    forms = _page_forms(project)
    failed = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in ACTIONS:
            messages.error(request, _("Diese Aktion gibt es nicht."))
            return redirect("cockpit:project", project_id=project.pk)
        form_class, right = ACTIONS[action]
        if not rights[right]:
            raise PermissionDenied
        form = form_class(request.POST, **_form_kwargs(action, project))
        if form.is_valid():
            try:
                notice = _project_action(request, project, action, form)
            except ValidationError as exc:
                form_errors_apply(form, exc)
            else:
                messages.success(request, notice)
                return redirect("cockpit:project", project_id=project.pk)
        failed = form
        if action in forms:
            forms[action] = form
    gate = services.GATES.get(project.phase)
    return render(
        request,
        "cockpit/projects/detail.html",
        {
            "project": project,
            "forms": forms,
            "failed": failed,
            "rights": rights,
            "idea_link": can_read(request.user),
            "roles": roles,
            "phases": _phase_steps(project),
            "gate": gate,
            "gate_owner_label": ProjectMember.Role(gate.owner).label if gate else "",
            "gate_owners": [m for m in project.members.all() if gate and m.role == gate.owner],
            "may_pass_gate": bool(gate) and gate.owner in roles,
            "concept_editable": project.concept_approved_at is None and project.phase in services.CONCEPT_PHASES,
            "gates": project.gates.select_related("approved_by"),
            "members": project.members.select_related("user"),
            "goals": project.goals.all(),
            "milestones": project.milestones.all(),
            "risks": project.risks.all(),
            "section": "projects",
        },
        status=400 if failed is not None else 200,
    )


def _form_kwargs(action: str, project: Project) -> dict:
    kwargs = {"prefix": action}
    if action == "rolle":
        kwargs["mandant_ids"] = programme_mandant_ids(project.mandant)
    return kwargs


def _page_forms(project: Project) -> dict:
    initial = {
        "freigabe": {"phase": project.phase},
        "fachkonzept": {"concept": project.concept},
        "status": {"status": project.status, "status_reason": project.status_reason},
        "aufwand": {key: getattr(project, key) for key in services.EFFORT_FIELDS},
    }
    return {
        action: ACTIONS[action][0](initial=initial.get(action), **_form_kwargs(action, project))
        for action in PAGE_FORMS
    }


def _phase_steps(project: Project) -> list[dict]:
    current = PHASE_ORDER.index(project.phase)
    approvals = {approval.to_phase: approval for approval in project.gates.select_related("approved_by")}
    return [
        {
            "phase": phase,
            "label": label,
            "state": "erledigt" if index < current else "aktuell" if index == current else "offen",
            "approval": approvals.get(phase),
        }
        for index, (phase, label) in enumerate(Phase.choices)
    ]


def _item(queryset, form):
    item = queryset.filter(pk=form.cleaned_data.get("item") or form.cleaned_data.get("goal")).first()
    if item is None:
        raise ValidationError(_("Diesen Eintrag gibt es nicht mehr."))
    return item


def _project_action(request, project: Project, action: str, form) -> str:
    actor, data = request.user, form.cleaned_data
    if action == "freigabe":
        project = services.gate_pass(project=project, actor=actor, note=data["note"], expected_phase=data["phase"])
        return _("Freigegeben: Das Projekt ist jetzt in der Phase „%(phase)s“.") % {
            "phase": project.get_phase_display()
        }
    if action == "fachkonzept":
        services.project_concept_set(project=project, concept=data["concept"], actor=actor)
        return _("Das Fachkonzept ist gespeichert.")
    if action == "rolle":
        services.project_member_add(project=project, user=data["user"], role=data["role"], actor=actor)
        return _("Die Rolle ist eingetragen.")
    if action == "rolle-entfernen":
        services.project_member_remove(member=_item(project.members.all(), form), actor=actor)
        return _("Die Rolle ist entfernt.")
    if action == "ziel":
        services.goal_save(project=project, actor=actor, **data)
        return _("Das Ziel ist gespeichert.")
    if action == "ziel-istwert":
        goal = _item(project.goals.all(), form)
        services.goal_save(project=project, goal=goal, actor=actor, actual=data["actual"])
        return _("Der Istwert ist gespeichert.")
    if action == "ziel-entfernen":
        services.goal_delete(goal=_item(project.goals.all(), form), actor=actor)
        return _("Das Ziel ist entfernt.")
    if action == "meilenstein":
        services.milestone_save(project=project, actor=actor, **data)
        return _("Der Meilenstein ist gespeichert.")
    if action == "meilenstein-erreicht":
        milestone = project.milestones.filter(pk=data["milestone"]).first()
        if milestone is None:
            raise ValidationError(_("Diesen Eintrag gibt es nicht mehr."))
        services.milestone_save(project=project, milestone=milestone, actor=actor, done_on=data["done_on"])
        return _("Der Meilenstein ist als erreicht vermerkt.")
    if action == "meilenstein-entfernen":
        services.milestone_delete(milestone=_item(project.milestones.all(), form), actor=actor)
        return _("Der Meilenstein ist entfernt.")
    if action == "risiko":
        services.risk_save(project=project, actor=actor, **data)
        return _("Das Risiko ist gespeichert.")
    if action == "risiko-entfernen":
        services.risk_delete(risk=_item(project.risks.all(), form), actor=actor)
        return _("Das Risiko ist entfernt.")
    if action == "status":
        services.project_status_set(project=project, status=data["status"], reason=data["status_reason"], actor=actor)
        return _("Der Status ist gespeichert.")
    services.project_effort_set(project=project, actor=actor, **data)
    return _("Budget und Personentage sind gespeichert.")
