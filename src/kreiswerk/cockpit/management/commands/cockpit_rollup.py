from datetime import date

from django.core.management.base import BaseCommand, CommandError

from kreiswerk.cockpit.rollup import rollup_rebuild, rollup_refresh


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"Kein Datum im Format JJJJ-MM-TT: {value}") from exc


class Command(BaseCommand):
    help = (
        "Berechnet die Tageszahlen des Digitalisierungs-Cockpits neu: ohne Angaben die geänderten Tage, "
        "mit --from/--to jeden Tag des Zeitraums (nach einer Wiederherstellung oder einem Import per SQL)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", type=_day, help="erster Tag (JJJJ-MM-TT)")
        parser.add_argument("--to", dest="end", type=_day, help="letzter Tag (JJJJ-MM-TT)")

    def handle(self, *args, start=None, end=None, **options):
        if start is None and end is None:
            count = rollup_refresh()
            self.stdout.write(f"{count} Änderungen nachgerechnet.")
            return
        if start is None or end is None or end < start:
            raise CommandError("Bitte geben Sie --from und --to an, --to nicht vor --from.")
        rollup_rebuild(start=start, end=end)
        self.stdout.write(f"Tageszahlen vom {start:%d.%m.%Y} bis {end:%d.%m.%Y} neu berechnet.")
