"""``kreiswerk archive``: the Aussonderung's scheduled steps.

``review`` lists closed cases whose retention ran out for the archive's decision;
``execute`` destroys the cases decided "vernichten". Both are idempotent; run them
daily (cron or a systemd timer), see docs/archive.md.
"""

from django.core.management.base import BaseCommand, CommandError

from kreiswerk.archive.services import disposal_destroys_execute, disposal_reviews_list


class Command(BaseCommand):
    help = "Aussonderung: „review“ listet abgelaufene Vorgänge, „execute“ vernichtet entschiedene."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        actions.add_parser("review", help="Vorgänge mit abgelaufener Aufbewahrungsfrist zur Entscheidung auflisten.")
        actions.add_parser("execute", help="Vorgänge vernichten, bei denen „vernichten“ entschieden ist.")

    def handle(self, *args, **options):
        if options["action"] == "review":
            created = disposal_reviews_list()
            self.stdout.write(f"{len(created)} Vorgang/Vorgänge zur Aussonderung aufgelistet.")
        else:
            destroyed, refused = disposal_destroys_execute()
            self.stdout.write(f"{destroyed} Vorgang/Vorgänge vernichtet.")
            if refused:
                raise CommandError(f"{refused} Vorgang/Vorgänge konnten nicht vernichtet werden (siehe Log).")
