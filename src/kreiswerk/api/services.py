"""API clients and their tokens: create, grant, issue, rotate, revoke, authenticate.

A token reads ``kw1.<prefix>.<secret>``. The prefix finds the row; only the SHA-256 of
the 256-bit random secret is stored, so a copy of the database holds no usable token
(a slow password hash buys nothing for a random secret of that length). Rotation issues
a new token and lets the old ones run out after a grace period, so a Fachverfahren can
switch without downtime.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kreiswerk.audit.services import audit_record
from kreiswerk.tenancy.models import Mandant, OrganisationalUnit, Role
from kreiswerk.tenancy.permissions import memberships_assume

from .models import ApiClient, ApiGrant, ApiToken, Scope

# A format marker, not a secret.
TOKEN_VERSION = "kw1"  # noqa: S105 # nosec B105
# Writing the last use once a minute is enough and spares a write per request.
LAST_USED_PRECISION = datetime.timedelta(minutes=1)


class ApiClientRefused(Exception):
    """A change the state of the client does not allow; the message is for the administrator."""


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _username(slug: str) -> str:
    return f"api.{slug}"


@transaction.atomic
def api_client_create(*, mandant: Mandant, slug: str, name: str, actor=None) -> ApiClient:
    username = _username(slug)
    user_model = get_user_model()
    if ApiClient.objects.filter(slug=slug).exists() or user_model.objects.filter(username=username).exists():
        raise ApiClientRefused(_("Einen API-Zugang mit dem Kürzel „%(slug)s“ gibt es schon.") % {"slug": slug})
    # No password, no roles: the account only names the client in events and the audit log.
    user = user_model.objects.create_user(username=username, last_name=name)
    client = ApiClient.objects.create(mandant=mandant, slug=slug, name=name, user=user)
    audit_record(action="api.client_create", actor=actor, details={"client": slug})
    return client


def api_client_set_up(
    *,
    mandant: Mandant,
    slug: str,
    name: str,
    grants: list[tuple[OrganisationalUnit, str]],
    actor=None,
) -> tuple[ApiClient, str]:
    """Create a client with its grants and its first token, all or nothing; the token is shown once."""
    try:
        with transaction.atomic():
            client = api_client_create(mandant=mandant, slug=slug, name=name, actor=actor)
            for unit, scope in grants:
                api_grant_add(client=client, unit=unit, scope=scope, actor=actor)
            token = api_token_issue(client=client, actor=actor)
    except IntegrityError as exc:
        # Two administrators chose the same Kürzel at once, and both passed the check in api_client_create.
        raise ApiClientRefused(_("Einen API-Zugang mit dem Kürzel „%(slug)s“ gibt es schon.") % {"slug": slug}) from exc
    return client, token


@transaction.atomic
def api_grant_add(*, client: ApiClient, unit: OrganisationalUnit, scope: str, actor=None) -> ApiGrant:
    if unit.mandant_id != client.mandant_id:
        raise ApiClientRefused(_("Die Organisationseinheit gehört zu einem anderen Mandanten."))
    grant, created = ApiGrant.objects.get_or_create(client=client, unit=unit, scope=Scope(scope))
    if created:
        audit_record(
            action="api.grant_add", actor=actor, details={"client": client.slug, "unit": unit.code, "scope": scope}
        )
    return grant


@transaction.atomic
def api_grant_remove(*, client: ApiClient, unit: OrganisationalUnit, scope: str, actor=None) -> bool:
    deleted, _count = ApiGrant.objects.filter(client=client, unit=unit, scope=scope).delete()
    if deleted:
        audit_record(
            action="api.grant_remove", actor=actor, details={"client": client.slug, "unit": unit.code, "scope": scope}
        )
    return bool(deleted)


@transaction.atomic
def api_token_issue(*, client: ApiClient, grace: datetime.timedelta | None = None, actor=None) -> str:
    """A new token, shown once; with ``grace``, the client's older tokens expire after it (rotation)."""
    if not client.is_active:
        raise ApiClientRefused(_("Der API-Zugang ist gesperrt."))
    now = timezone.now()
    if grace is not None:
        ends = now + grace
        live = ApiToken.objects.filter(client=client, revoked_at=None)
        live.filter(expires_at=None).update(expires_at=ends)
        live.filter(expires_at__gt=ends).update(expires_at=ends)
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    ApiToken.objects.create(client=client, prefix=prefix, digest=_digest(secret))
    audit_record(
        action="api.token_issue",
        actor=actor,
        details={"client": client.slug, "prefix": prefix, "grace_s": int(grace.total_seconds()) if grace else None},
    )
    return f"{TOKEN_VERSION}.{prefix}.{secret}"


@transaction.atomic
def api_tokens_revoke(*, client: ApiClient, prefix: str = "", actor=None) -> int:
    """Revoke one token (by prefix) or, without one, all of the client's tokens at once."""
    tokens = ApiToken.objects.filter(client=client, revoked_at=None)
    if prefix:
        tokens = tokens.filter(prefix=prefix)
    count = tokens.update(revoked_at=timezone.now())
    audit_record(action="api.token_revoke", actor=actor, details={"client": client.slug, "prefix": prefix, "n": count})
    return count


@transaction.atomic
def api_client_deactivate(*, client: ApiClient, actor=None) -> ApiClient:
    client.is_active = False
    client.save(update_fields=["is_active"])
    api_tokens_revoke(client=client, actor=actor)
    return client


def api_client_authenticate(raw: str) -> ApiClient | None:
    """The active client a presented token belongs to, or None for anything else."""
    version, _dot, rest = raw.partition(".")
    prefix, _dot, secret = rest.partition(".")
    if version != TOKEN_VERSION or not prefix or not secret:
        return None
    token = (
        ApiToken.objects.filter(prefix=prefix, revoked_at=None, client__is_active=True, client__user__is_active=True)
        .select_related("client__user", "client__mandant")
        .first()
    )
    if token is None or not hmac.compare_digest(token.digest, _digest(secret)):
        return None
    now = timezone.now()
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.client


def api_client_acting_as(client: ApiClient, scope: str):
    """The client's account, acting as caseworker exactly in the units where it holds ``scope``.

    Visibility then goes through the one permission check of ``tenancy`` unchanged: a
    grant reaches down the unit's subtree, like a role.
    None when the client holds ``scope`` nowhere.
    """
    grants = ApiGrant.objects.filter(client=client, scope=scope).values_list("unit__path", "unit__mandant_id")
    memberships = [(Role.CASEWORKER, path, mandant) for path, mandant in grants]
    if not memberships:
        return None
    user = client.user
    memberships_assume(user, memberships)
    return user
