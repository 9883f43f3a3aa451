"""Who may do what in the cockpit.

The digitalisation team (role Digitalisierungsteam, or Administration) edits; management
and council members (role "Cockpit lesen") read everything; every staff member with a
second factor submits ideas and follows their own. The cockpit works for one Mandant:
the one in which the user holds the team or reader role (the county first).
"""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied

from kreiswerk.accounts.decorators import staff_required
from kreiswerk.tenancy.models import Mandant, Membership, Role
from kreiswerk.tenancy.permissions import has_any_role


def can_edit(user) -> bool:
    return has_any_role(user, Role.DIGITAL_TEAM)


def can_read(user) -> bool:
    return can_edit(user) or has_any_role(user, Role.COCKPIT_READER)


def cockpit_mandant(user) -> Mandant | None:
    """The Mandant whose programme ``user`` steers or reads; for other staff, their own Mandant."""
    memberships = Membership.objects.filter(user=user).select_related("unit__mandant")
    preferred = [m for m in memberships if m.role in (Role.DIGITAL_TEAM, Role.COCKPIT_READER, Role.ADMIN)]
    chosen = sorted(preferred or list(memberships), key=lambda m: (m.unit.mandant.kind != "landkreis", m.unit.path))
    return chosen[0].unit.mandant if chosen else None


def cockpit_view(*, edit: bool = False, read: bool = True):
    """Staff view of the cockpit; ``request.cockpit_mandant`` is set for it.

    ``edit`` needs the team; ``read`` (the default) the team or a reader; with neither,
    any staff member may enter (idea submission and their own ideas).
    """

    def decorator(func):
        @staff_required
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            if edit and not can_edit(request.user):
                raise PermissionDenied
            if read and not edit and not can_read(request.user):
                raise PermissionDenied
            mandant = cockpit_mandant(request.user)
            if mandant is None:
                raise PermissionDenied
            request.cockpit_mandant = mandant
            return func(request, *args, **kwargs)

        return wrapper

    return decorator
