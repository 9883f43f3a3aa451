"""``kreiswerk api``: API clients (Fachverfahren, reporting tools) and their tokens.

    kreiswerk api create gewerbe-fv --name "Gewerbe-Fachverfahren" \
        --grant gewerbe=cases:read --grant gewerbe=cases:write
    kreiswerk api grant gewerbe-fv ordnungsamt=submissions:read      (ungrant takes the same form)
    kreiswerk api rotate gewerbe-fv --grace-hours 24                 # new token; the old ones end after 24 hours
    kreiswerk api revoke gewerbe-fv [--prefix 1a2b3c4d5e6f]          # at once
    kreiswerk api deactivate gewerbe-fv
    kreiswerk api list

A token is printed once, on the last line, and never stored in the clear.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from kreiswerk.api import services
from kreiswerk.api.models import ApiClient, Scope
from kreiswerk.assistants.management.commands.assistant import mandant_from
from kreiswerk.tenancy.models import OrganisationalUnit

SCOPES = ", ".join(Scope.values)


class Command(BaseCommand):
    help = "API-Zugänge anlegen, berechtigen, ihre Tokens ausstellen, erneuern und widerrufen."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(
            dest="command", required=True, metavar="create|grant|ungrant|rotate|revoke|deactivate|list"
        )
        creating = commands.add_parser("create", help="Zugang anlegen und sein erstes Token ausgeben.")
        creating.add_argument("slug", help="Kürzel des Zugangs, z. B. gewerbe-fv")
        creating.add_argument("--name", required=True, help="Bezeichnung, z. B. Gewerbe-Fachverfahren")
        creating.add_argument("--mandant", help="Kürzel des Mandanten (nötig, wenn es mehrere gibt)")
        creating.add_argument("--grant", action="append", default=[], help=f"EINHEIT=RECHT, Rechte: {SCOPES}")
        for name, text in (("grant", "Recht in einer Einheit gewähren."), ("ungrant", "Recht entziehen.")):
            changing = commands.add_parser(name, help=text)
            changing.add_argument("slug")
            changing.add_argument("grants", nargs="+", help=f"EINHEIT=RECHT, Rechte: {SCOPES}")
        rotating = commands.add_parser("rotate", help="Neues Token ausgeben; die alten laufen nach der Frist ab.")
        rotating.add_argument("slug")
        rotating.add_argument("--grace-hours", type=float, default=24.0, help="Übergangsfrist (Standard: 24)")
        revoking = commands.add_parser("revoke", help="Tokens sofort widerrufen.")
        revoking.add_argument("slug")
        revoking.add_argument("--prefix", default="", help="nur das Token mit diesem Präfix")
        deactivating = commands.add_parser("deactivate", help="Zugang sperren und alle Tokens widerrufen.")
        deactivating.add_argument("slug")
        commands.add_parser("list", help="Zugänge mit Rechten und Tokens (ohne Geheimnisse) auflisten.")

    def handle(self, *args, command: str, **options):
        try:
            getattr(self, command + "_")(options)
        except services.ApiClientRefused as exc:
            raise CommandError(str(exc)) from exc

    def _client(self, slug: str) -> ApiClient:
        client = ApiClient.objects.filter(slug=slug).select_related("mandant").first()
        if client is None:
            raise CommandError(f"Den API-Zugang „{slug}“ gibt es nicht.")
        return client

    def _grants(self, client: ApiClient, texts: list[str]) -> list[tuple[OrganisationalUnit, str]]:
        grants = []
        for text in texts:
            code, _sep, scope = text.partition("=")
            if scope not in Scope.values:
                raise CommandError(f"„{text}“ ist keine Berechtigung der Form EINHEIT=RECHT (Rechte: {SCOPES}).")
            unit = OrganisationalUnit.objects.filter(mandant=client.mandant, code=code).first()
            if unit is None:
                raise CommandError(f"Die Organisationseinheit „{code}“ gibt es bei diesem Mandanten nicht.")
            grants.append((unit, scope))
        return grants

    def create_(self, options) -> None:
        with transaction.atomic():
            client = services.api_client_create(
                mandant=mandant_from(options.get("mandant")), slug=options["slug"], name=options["name"]
            )
            for unit, scope in self._grants(client, options["grant"]):
                services.api_grant_add(client=client, unit=unit, scope=scope)
            token = services.api_token_issue(client=client)
        self.stdout.write(f"API-Zugang „{client.name}“ angelegt. Token (wird nur jetzt angezeigt):")
        self.stdout.write(token)

    def grant_(self, options) -> None:
        client = self._client(options["slug"])
        for unit, scope in self._grants(client, options["grants"]):
            services.api_grant_add(client=client, unit=unit, scope=scope)
        self.stdout.write(self.style.SUCCESS("Berechtigungen gewährt."))

    def ungrant_(self, options) -> None:
        client = self._client(options["slug"])
        for unit, scope in self._grants(client, options["grants"]):
            services.api_grant_remove(client=client, unit=unit, scope=scope)
        self.stdout.write(self.style.SUCCESS("Berechtigungen entzogen."))

    def rotate_(self, options) -> None:
        client = self._client(options["slug"])
        grace = datetime.timedelta(hours=max(options["grace_hours"], 0))
        token = services.api_token_issue(client=client, grace=grace)
        self.stdout.write(f"Neues Token; die bisherigen gelten noch {options['grace_hours']:g} Stunden:")
        self.stdout.write(token)

    def revoke_(self, options) -> None:
        count = services.api_tokens_revoke(client=self._client(options["slug"]), prefix=options["prefix"])
        self.stdout.write(self.style.SUCCESS(f"{count} Token(s) widerrufen."))

    def deactivate_(self, options) -> None:
        services.api_client_deactivate(client=self._client(options["slug"]))
        self.stdout.write(self.style.SUCCESS("API-Zugang gesperrt, alle Tokens widerrufen."))

    def list_(self, options) -> None:
        now = timezone.now()
        for client in ApiClient.objects.prefetch_related("grants__unit", "tokens").order_by("slug"):
            state = "aktiv" if client.is_active else "gesperrt"
            self.stdout.write(
                f"{client.slug}  {client.name}  ({client.mandant.slug if client.mandant_id else ''}, {state})"
            )
            for grant in client.grants.all():
                self.stdout.write(f"  {grant.unit.code}={grant.scope}")
            for token in client.tokens.all():
                if token.revoked_at:
                    status = f"widerrufen {token.revoked_at:%d.%m.%Y %H:%M}"
                elif token.expires_at and token.expires_at <= now:
                    status = f"abgelaufen {token.expires_at:%d.%m.%Y %H:%M}"
                elif token.expires_at:
                    status = f"gültig bis {token.expires_at:%d.%m.%Y %H:%M}"
                else:
                    status = "gültig"
                used = f", zuletzt benutzt {token.last_used_at:%d.%m.%Y %H:%M}" if token.last_used_at else ""
                self.stdout.write(f"  Token {token.prefix}…  {status}{used}")
