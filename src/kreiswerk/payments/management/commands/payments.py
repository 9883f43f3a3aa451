"""``kreiswerk payments``: the Kreiskasse's daily list, and the expiry of unpaid applications.

kreiswerk payments reconcile [--date 2026-11-22] [--format csv|xlsx] [--mandant musterkreis] --output FILE
kreiswerk payments expire           # also part of ``kreiswerk housekeeping``
"""

import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kreiswerk.payments.reconciliation import booked_on, reconciliation_csv, reconciliation_xlsx
from kreiswerk.payments.services import payments_expire
from kreiswerk.submissions.receipt import TIME_ZONE
from kreiswerk.tenancy.models import Mandant


class Command(BaseCommand):
    help = "Abstimmungsliste gebuchter Zahlungen für die Kreiskasse erstellen; unbezahlte Anträge verfallen lassen."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True, metavar="reconcile|expire")
        reconcile = commands.add_parser("reconcile", help="Gebuchte Zahlungen eines Tages als CSV oder XLSX.")
        reconcile.add_argument("--date", help="Tag im Format JJJJ-MM-TT (Standard: gestern)")
        reconcile.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        reconcile.add_argument("--mandant", help="Kürzel des Mandanten (Standard: alle)")
        reconcile.add_argument("--output", type=Path, required=True, help="Zieldatei")
        commands.add_parser("expire", help="Anträge ohne rechtzeitige Zahlung verfallen lassen.")

    def handle(self, *args, command: str, **options):
        if command == "expire":
            self.stdout.write(f"{payments_expire()} Anträge ohne rechtzeitige Zahlung verfallen.")
            return
        try:
            day = (
                datetime.date.fromisoformat(options["date"])
                if options["date"]
                else timezone.localtime(timezone.now(), TIME_ZONE).date() - datetime.timedelta(days=1)
            )
        except ValueError as exc:
            raise CommandError("Bitte das Datum im Format JJJJ-MM-TT angeben, z. B. 2026-11-22.") from exc
        mandant = None
        if options["mandant"]:
            mandant = Mandant.objects.filter(slug=options["mandant"]).first()
            if mandant is None:
                raise CommandError(f"Den Mandanten „{options['mandant']}“ gibt es nicht.")
        payments = booked_on(day, mandant=mandant)
        content = reconciliation_xlsx(payments) if options["format"] == "xlsx" else reconciliation_csv(payments)
        try:
            options["output"].write_bytes(content)
        except OSError as exc:
            raise CommandError(f"Die Datei lässt sich nicht schreiben: {exc.strerror}") from exc
        self.stdout.write(f"{payments.count()} Zahlungen vom {day:%d.%m.%Y} nach {options['output']} geschrieben.")
