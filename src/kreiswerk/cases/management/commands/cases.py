"""``kreiswerk cases reindex``: rebuild the blind index after KREISWERK_INDEX_KEY changed."""

from django.core.management.base import BaseCommand

from kreiswerk.cases.services import search_tokens_rebuild


class Command(BaseCommand):
    help = "Verwaltung der E-Akte: „reindex“ baut den Suchindex (Namen, E-Mail-Adressen) neu auf."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        commands.add_parser("reindex", help="Suchindex aller Vorgänge mit dem aktuellen Schlüssel neu aufbauen.")

    def handle(self, *args, **options):
        count = search_tokens_rebuild()
        self.stdout.write(self.style.SUCCESS(f"Suchindex neu aufgebaut: {count} Vorgänge."))
