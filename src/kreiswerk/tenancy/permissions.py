"""The one permission check: a role held in a unit reaches down the unit's subtree.

Administration in a unit includes every other role there.
"""

from django.db.models import Q, QuerySet

from .models import Membership, OrganisationalUnit, Role


def units_for(user, role: str) -> QuerySet[OrganisationalUnit]:
    """Units in which ``user`` may act in ``role`` (including inherited ones)."""
    if not user.is_authenticated:
        return OrganisationalUnit.objects.none()
    roles = {role, Role.ADMIN}
    paths = list(Membership.objects.filter(user=user, role__in=roles).values_list("unit__path", flat=True))
    if not paths:
        return OrganisationalUnit.objects.none()
    condition = Q()
    for path in paths:
        condition |= Q(path__startswith=path)
    return OrganisationalUnit.objects.filter(condition)


def has_role(user, role: str, unit: OrganisationalUnit) -> bool:
    if not user.is_authenticated:
        return False
    return Membership.objects.filter(
        user=user,
        role__in={role, Role.ADMIN},
        unit__mandant_id=unit.mandant_id,
        unit__path__in=_ancestor_paths(unit.path),
    ).exists()


def has_any_role(user, role: str) -> bool:
    if not user.is_authenticated:
        return False
    return Membership.objects.filter(user=user, role__in={role, Role.ADMIN}).exists()


def users_with_role(role: str, unit: OrganisationalUnit):
    """Staff who may act in ``role`` in ``unit`` (a role held higher up reaches down)."""
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__role__in={role, Role.ADMIN},
            memberships__unit__mandant_id=unit.mandant_id,
            memberships__unit__path__in=_ancestor_paths(unit.path),
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def _ancestor_paths(path: str) -> list[str]:
    parts = [part for part in path.split("/") if part]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
