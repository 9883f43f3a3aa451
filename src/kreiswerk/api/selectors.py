"""Reads of the staff pages for API clients: which clients, grants and units an administrator sees.

An administrator sees the clients of every Mandant in which he holds the role
Administration, and may grant or withdraw scopes only in the units his role reaches
(``tenancy.permissions.units_for``). Issuing a token hands over everything the client
may do, so it needs every grant of the client within those units.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from kreiswerk.tenancy.models import OrganisationalUnit, Role
from kreiswerk.tenancy.permissions import unit_list_for, units_for

from .models import ApiClient, ApiGrant, ApiToken


def api_units_for(user) -> QuerySet[OrganisationalUnit]:
    """Units in which ``user`` may grant and withdraw scopes."""
    return units_for(user, Role.ADMIN)


def api_clients_visible_to(user) -> QuerySet[ApiClient]:
    return ApiClient.objects.filter(mandant_id__in=api_units_for(user).values("mandant_id"))


def api_client_list(user) -> QuerySet[ApiClient]:
    """The visible clients with their grants and tokens, for the list and the detail page."""
    return (
        api_clients_visible_to(user)
        .select_related("mandant")
        .prefetch_related(
            Prefetch("grants", queryset=ApiGrant.objects.select_related("unit").order_by("unit__path", "scope")),
            Prefetch("tokens", queryset=ApiToken.objects.order_by("-created_at", "-pk")),
        )
        .order_by("name", "slug")
    )


def api_unit_ids_for(user) -> set[int]:
    return {unit.pk for unit in unit_list_for(user, Role.ADMIN)}


def api_client_controlled_by(user, client: ApiClient) -> bool:
    """Whether every grant of ``client`` lies in units of ``user`` (so he may issue its tokens)."""
    units = api_unit_ids_for(user)
    return all(grant.unit_id in units for grant in client.grants.all())


def api_grants_removable_by(user, client: ApiClient) -> QuerySet[ApiGrant]:
    return client.grants.filter(unit__in=api_units_for(user))


def api_tokens_live(client: ApiClient) -> QuerySet[ApiToken]:
    """Tokens not revoked (expired ones included: revoking them is harmless and tidy)."""
    return client.tokens.filter(revoked_at=None)


def api_token_newest_id(client: ApiClient) -> int:
    """The id of the newest token, 0 without one; a rotation form carries it to notice a repeated POST."""
    return client.tokens.order_by("-pk").values_list("pk", flat=True).first() or 0
