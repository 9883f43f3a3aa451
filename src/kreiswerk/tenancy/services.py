from django.contrib.auth import get_user_model
from django.db import transaction

from .models import Mandant, Membership, OrganisationalUnit, Role
from .permissions import memberships_forget


def mandant_create(
    *, slug: str, name: str, kind: str, reference_prefix: str, state: str = "BW", county=None
) -> Mandant:
    return Mandant.objects.create(
        slug=slug,
        name=name,
        kind=kind,
        reference_prefix=reference_prefix,
        state=state,
        county=county,
    )


@transaction.atomic
def unit_create(
    *, mandant: Mandant, code: str, name: str, kind: str, parent: OrganisationalUnit | None = None
) -> OrganisationalUnit:
    if parent is not None and parent.mandant_id != mandant.pk:
        raise ValueError("A unit's parent must belong to the same Mandant.")
    unit = OrganisationalUnit.objects.create(mandant=mandant, parent=parent, code=code, name=name, kind=kind, path="/")
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    unit.save(update_fields=["path"])
    return unit


def membership_grant(*, user, unit: OrganisationalUnit, role: str) -> Membership:
    membership, _ = Membership.objects.get_or_create(user=user, unit=unit, role=Role(role))
    memberships_forget(user)
    return membership


def staff_user_create(*, username: str, password: str, first_name: str = "", last_name: str = "", email: str = ""):
    user_model = get_user_model()
    user = user_model(username=username, first_name=first_name, last_name=last_name, email=email)
    user.is_staff = False  # the Django admin is not part of the product surface
    user.set_password(password)
    user.save()
    return user
