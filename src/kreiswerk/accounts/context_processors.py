from django.utils.functional import SimpleLazyObject

from kreiswerk.cockpit.permissions import can_read
from kreiswerk.tenancy.models import Role
from kreiswerk.tenancy.permissions import has_any_role


def staff_navigation(request) -> dict:
    """What the staff header offers; evaluated only on pages that show it."""
    user = getattr(request, "user", None)

    def allowed(role):
        return SimpleLazyObject(lambda: bool(user and user.is_authenticated and has_any_role(user, role)))

    return {
        "nav_forms": allowed(Role.FORM_ADMIN),
        "nav_submissions": allowed(Role.CASEWORKER),
        "nav_archive": allowed(Role.ARCHIVE),
        "nav_api": allowed(Role.ADMIN),
        "nav_handoff": allowed(Role.FORM_ADMIN),
        "nav_treasury": allowed(Role.TREASURY),
        # Every staff member reaches the cockpit (to submit and follow ideas); only some see figures.
        "nav_cockpit": bool(user and user.is_authenticated),
        "cockpit_read": SimpleLazyObject(lambda: bool(user and user.is_authenticated and can_read(user))),
    }
