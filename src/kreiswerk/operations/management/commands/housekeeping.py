from django.core.management.base import BaseCommand

from kreiswerk.runner.services import drafts_purge


class Command(BaseCommand):
    help = "Löscht abgelaufene Entwürfe samt Dateien."

    def handle(self, *args, **options):
        purged = drafts_purge()
        self.stdout.write(f"{purged} abgelaufene Entwürfe gelöscht.")
