"""The one permission check: a role held in a unit reaches down the unit's subtree.

Administration in a unit includes every other role there. A user's memberships are
read once per user object (that is, once per request) and kept on it; granting a
role through ``tenancy.services`` clears that copy. ``unit_list_for`` keeps the units
a role reaches beside the memberships they were read from, so replacing or clearing
the memberships also discards them.
"""

from django.db.models import Q, QuerySet

from .models import Membership, OrganisationalUnit, Role

MEMBERSHIPS_ATTRIBUTE = "_kreiswerk_memberships"
UNITS_ATTRIBUTE = "_kreiswerk_units"


def _memberships(user) -> list[tuple[str, str, int]]:
    """``(role, unit path, Mandant id)`` of every membership of ``user``, read once per user object."""
    cached = getattr(user, MEMBERSHIPS_ATTRIBUTE, None)
    if cached is None:
        cached = list(Membership.objects.filter(user=user).values_list("role", "unit__path", "unit__mandant_id"))
        setattr(user, MEMBERSHIPS_ATTRIBUTE, cached)
    return cached


def memberships_assume(user, memberships: list[tuple[str, str, int]]) -> None:
    """Let ``user`` act with exactly these ``(role, unit path, Mandant id)`` for this request.

    An API client's account has no memberships of its own; its grants for one scope play them.
    """
    setattr(user, MEMBERSHIPS_ATTRIBUTE, memberships)


def memberships_forget(user) -> None:
    """Drop the kept copy after the user's roles changed."""
    user.__dict__.pop(MEMBERSHIPS_ATTRIBUTE, None)
    user.__dict__.pop(UNITS_ATTRIBUTE, None)


def units_for(user, role: str) -> QuerySet[OrganisationalUnit]:
    """Units in which ``user`` may act in ``role`` (including inherited ones)."""
    if not user.is_authenticated:
        return OrganisationalUnit.objects.none()
    roles = {role, Role.ADMIN}
    paths = [path for held, path, _mandant in _memberships(user) if held in roles]
    if not paths:
        return OrganisationalUnit.objects.none()
    condition = Q()
    for path in paths:
        condition |= Q(path__startswith=path)
    return OrganisationalUnit.objects.filter(condition)


def unit_list_for(user, role: str) -> list[OrganisationalUnit]:
    """``units_for`` as a list ordered by path, read once per user object and role."""
    if not user.is_authenticated:
        return []
    memberships = _memberships(user)
    kept = getattr(user, UNITS_ATTRIBUTE, None)
    # Tied to the very list of memberships it came from: memberships set or read anew start afresh.
    if kept is None or kept[0] is not memberships:
        kept = (memberships, {})
        setattr(user, UNITS_ATTRIBUTE, kept)
    units = kept[1].get(role)
    if units is None:
        units = kept[1][role] = list(units_for(user, role).order_by("path"))
    return units


def has_role(user, role: str, unit: OrganisationalUnit) -> bool:
    if not user.is_authenticated:
        return False
    roles, ancestors = {role, Role.ADMIN}, set(_ancestor_paths(unit.path))
    return any(
        held in roles and mandant == unit.mandant_id and path in ancestors for held, path, mandant in _memberships(user)
    )


def has_any_role(user, role: str) -> bool:
    if not user.is_authenticated:
        return False
    return any(held in {role, Role.ADMIN} for held, _path, _mandant in _memberships(user))


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
