"""``kreiswerk handoff``: destinations of assistants and the state of their deliveries.

    kreiswerk handoff add gewerbeanmeldung --name "Gewerbe-FV" --kind fitconnect \
        --url https://fv.kreis.example/submissions --public-key fv.public.jwk.json
    kreiswerk handoff add gewerbeanmeldung --name Statistik --kind webhook \
        --url https://statistik.kreis.example/hook --generate-secret     # prints the secret once
    kreiswerk handoff add gewerbeanmeldung --name Postfach --kind email --email gewerbe@kreis.example
    kreiswerk handoff list [gewerbeanmeldung]
    kreiswerk handoff disable 3 | enable 3
    kreiswerk handoff deliveries [--failed]
    kreiswerk handoff retry DELIVERY_ID | --all-failed
"""

import uuid
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from kreiswerk.assistants.management.commands.assistant import mandant_from
from kreiswerk.assistants.models import Assistant
from kreiswerk.handoff import services
from kreiswerk.handoff.models import Delivery, Destination
from kreiswerk.handoff.signing import secret_generate


class Command(BaseCommand):
    help = "Übergabeziele (FIT-Connect, Webhook, E-Mail) verwalten und Übergaben an Fachverfahren prüfen."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(
            dest="command", required=True, metavar="add|list|disable|enable|deliveries|retry"
        )
        adding = commands.add_parser("add", help="Übergabeziel für einen Antragsassistenten anlegen.")
        adding.add_argument("assistant", help="Kürzel des Antragsassistenten")
        adding.add_argument("--mandant", help="Kürzel des Mandanten (nötig, wenn es mehrere gibt)")
        adding.add_argument("--name", required=True)
        adding.add_argument("--kind", required=True, choices=Destination.Kind.values)
        adding.add_argument("--url", default="", help="FIT-Connect: Adresse des Zustellpunkts; Webhook: Adresse")
        adding.add_argument("--public-key", type=Path, help="FIT-Connect: Datei mit dem öffentlichen Schlüssel (JWK)")
        adding.add_argument("--destination-id", default=None, help="FIT-Connect: Zustellpunkt-ID (UUID)")
        adding.add_argument("--secret", default="", help="Webhook: gemeinsames Geheimnis (mind. 32 Zeichen)")
        adding.add_argument("--generate-secret", action="store_true", help="Webhook: Geheimnis erzeugen und ausgeben")
        adding.add_argument("--email", default="", help="E-Mail: Funktionspostfach")
        adding.add_argument("--include-tests", action="store_true", help="auch Testeingänge übergeben")
        listing = commands.add_parser("list", help="Übergabeziele auflisten.")
        listing.add_argument("assistant", nargs="?")
        for name, text in (("disable", "Übergabeziel abschalten."), ("enable", "Übergabeziel einschalten.")):
            switching = commands.add_parser(name, help=text)
            switching.add_argument("destination", type=int, help="Nummer des Übergabeziels (siehe list)")
        deliveries = commands.add_parser("deliveries", help="Übergaben mit Status auflisten (die neuesten 200).")
        deliveries.add_argument("--failed", action="store_true", help="nur fehlgeschlagene")
        retrying = commands.add_parser("retry", help="Fehlgeschlagene Übergabe erneut versuchen.")
        retrying.add_argument("delivery", nargs="?", help="ID der Übergabe")
        retrying.add_argument("--all-failed", action="store_true")

    def handle(self, *args, command: str, **options):
        try:
            getattr(self, command + "_")(options)
        except ValidationError as exc:
            messages = [f"{field}: {' '.join(errors)}" for field, errors in exc.message_dict.items()]
            raise CommandError("\n".join(messages)) from exc

    def add_(self, options):
        mandant = mandant_from(options["mandant"], assistant_slug=options["assistant"])
        assistant = Assistant.objects.filter(mandant=mandant, slug=options["assistant"]).first()
        if assistant is None:
            raise CommandError(f"Den Antragsassistenten „{options['assistant']}“ gibt es nicht.")
        secret = secret_generate() if options["generate_secret"] else options["secret"]
        public_key = ""
        if options["public_key"]:
            try:
                public_key = options["public_key"].read_text(encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"Die Schlüsseldatei lässt sich nicht lesen: {exc.strerror}") from exc
        destination = services.destination_create(
            assistant=assistant,
            name=options["name"],
            kind=options["kind"],
            url=options["url"],
            public_key=public_key,
            destination_id=options["destination_id"],
            secret=secret,
            email=options["email"],
            include_tests=options["include_tests"],
        )
        self.stdout.write(f"Übergabeziel {destination.pk} „{destination.name}“ angelegt.")
        if options["generate_secret"]:
            self.stdout.write("Gemeinsames Geheimnis (nur jetzt sichtbar, dem Empfänger mitteilen):")
            self.stdout.write(secret)

    def list_(self, options):
        destinations = Destination.objects.select_related("assistant").order_by("assistant__slug", "name")
        if options["assistant"]:
            destinations = destinations.filter(assistant__slug=options["assistant"])
        for destination in destinations:
            state = "aktiv" if destination.is_active else "abgeschaltet"
            target = destination.email or destination.url
            self.stdout.write(
                f"{destination.pk}\t{destination.assistant.slug}\t{destination.kind}\t{destination.name}\t{target}\t{state}"
            )

    def disable_(self, options):
        self._switch(options["destination"], active=False)

    def enable_(self, options):
        self._switch(options["destination"], active=True)

    def _switch(self, pk: int, *, active: bool):
        destination = Destination.objects.filter(pk=pk).first()
        if destination is None:
            raise CommandError(f"Das Übergabeziel {pk} gibt es nicht.")
        services.destination_activate(destination=destination, active=active)
        self.stdout.write(f"Übergabeziel {pk} {'eingeschaltet' if active else 'abgeschaltet'}.")

    def deliveries_(self, options):
        deliveries = Delivery.objects.select_related("destination", "submission").order_by("-created_at")
        if options["failed"]:
            deliveries = deliveries.filter(status=Delivery.Status.FAILED)
        for delivery in deliveries[:200]:
            self.stdout.write(
                f"{delivery.pk}\t{delivery.submission.reference}\t{delivery.destination.name}\t"
                f"{delivery.status}\t{delivery.attempts}\t{delivery.last_error}"
            )

    def retry_(self, options):
        if options["all_failed"]:
            deliveries = list(Delivery.objects.filter(status=Delivery.Status.FAILED))
        elif options["delivery"]:
            try:
                deliveries = list(Delivery.objects.filter(pk=uuid.UUID(options["delivery"])))
            except ValueError:
                raise CommandError("Die ID einer Übergabe ist eine UUID.") from None
            if not deliveries:
                raise CommandError(f"Die Übergabe {options['delivery']} gibt es nicht.")
        else:
            raise CommandError("Bitte eine Übergabe angeben oder --all-failed.")
        count = sum(services.delivery_retry(delivery=delivery, actor=None) for delivery in deliveries)
        self.stdout.write(f"{count} Übergaben erneut angestoßen.")
