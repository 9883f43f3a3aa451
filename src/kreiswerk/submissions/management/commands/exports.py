"""``kreiswerk exports purge``: delete spreadsheet exports older than seven days.

Run it daily (cron or a systemd timer). The encrypted file goes first, then the
database row, so an interrupted run leaves no file without its record.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError

from kreiswerk.submissions.export_tasks import EXPORT_RETENTION, exports_purge


class Command(BaseCommand):
    help = "Manage spreadsheet exports of submissions."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        purge = actions.add_parser("purge", help=f"Delete exports older than {EXPORT_RETENTION.days} days.")
        purge.add_argument(
            "--days",
            type=int,
            default=EXPORT_RETENTION.days,
            help="Keep exports younger than this many days (at most the default).",
        )

    def handle(self, *args, **options):
        if options["action"] == "purge":
            days = options["days"]
            if not 0 <= days <= EXPORT_RETENTION.days:
                raise CommandError(f"--days must be between 0 and {EXPORT_RETENTION.days}.")
            count = exports_purge(retention=datetime.timedelta(days=days))
            self.stdout.write(f"{count} export(s) deleted.")
