from django.core.management.base import BaseCommand

from kreiswerk.api.idempotency import idempotency_keys_purge
from kreiswerk.cockpit.rollup import rollup_refresh
from kreiswerk.handoff.services import deliveries_requeue_due
from kreiswerk.identity.services import login_requests_purge
from kreiswerk.operations.services import allowances_purge
from kreiswerk.payments.services import payments_expire
from kreiswerk.runner.services import drafts_purge


class Command(BaseCommand):
    help = (
        "Löscht abgelaufene Entwürfe samt Dateien und alte Idempotenzschlüssel der API; "
        "stößt fällige oder liegen gebliebene Übergaben an Fachverfahren an; lässt unbezahlte Anträge verfallen; "
        "löscht Anmeldeanfragen, die älter als einen Tag sind, und abgelaufene Zählstände der Ratenbegrenzung; "
        "aktualisiert die Tageszahlen des Cockpits."
    )

    def handle(self, *args, **options):
        purged = drafts_purge()
        self.stdout.write(f"{purged} abgelaufene Entwürfe gelöscht.")
        keys = idempotency_keys_purge()
        self.stdout.write(f"{keys} Idempotenzschlüssel der API gelöscht (älter als 7 Tage).")
        requeued = deliveries_requeue_due()
        self.stdout.write(f"{requeued} fällige oder liegen gebliebene Übergaben angestoßen.")
        expired = payments_expire()
        self.stdout.write(f"{expired} Anträge ohne rechtzeitige Zahlung verfallen.")
        logins = login_requests_purge()
        self.stdout.write(f"{logins} alte Anmeldeanfragen gelöscht.")
        allowances = allowances_purge()
        self.stdout.write(f"{allowances} abgelaufene Zählstände der Ratenbegrenzung gelöscht.")
        # The cockpit refreshes on reading too; this keeps the marks few when nobody looks for weeks.
        refreshed = rollup_refresh()
        self.stdout.write(f"{refreshed} geänderte Tage der Cockpit-Zahlen neu berechnet.")
