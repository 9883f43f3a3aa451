"""``kreiswerk audit verify|reseal-head``: check the audit log's hash chain, repair its head.

``verify`` exits with status 1 when it finds a changed, removed, inserted or reordered entry.
``reseal-head`` is for after an investigation: it points the head at the last entry so that
recording resumes, and logs that it did.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from kreiswerk.audit.selectors import audit_head
from kreiswerk.audit.services import audit_head_reseal, audit_verify


class Command(BaseCommand):
    help = "Prüft das Audit-Log (verify) oder setzt seinen Kopfeintrag neu (reseal-head)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        verify = actions.add_parser("verify", help="Hash-Kette, Lücken und Kopfeintrag prüfen.")
        verify.add_argument(
            "--since-sequence",
            type=int,
            default=1,
            dest="since_sequence",
            help="Erst ab dieser laufenden Nummer prüfen (der Vorgänger dient als Anker).",
        )
        verify.add_argument("--chunk-size", type=int, default=2000, dest="chunk_size")
        reseal = actions.add_parser(
            "reseal-head", help="Kopfeintrag auf den letzten vorhandenen Eintrag setzen (nach einer Untersuchung)."
        )
        reseal.add_argument("--yes", action="store_true", help="Ja, den Kopfeintrag neu setzen.")

    def handle(self, *args, **options):
        if options["action"] == "reseal-head":
            return self.reseal(confirmed=options["yes"])
        return self.verify(
            since_sequence=options["since_sequence"], chunk_size=options["chunk_size"], verbosity=options["verbosity"]
        )

    def verify(self, *, since_sequence: int, chunk_size: int, verbosity: int) -> None:
        if since_sequence < 1 or chunk_size < 1:
            raise CommandError("--since-sequence und --chunk-size müssen mindestens 1 sein.")
        checked = 0

        def progress(count: int) -> None:
            nonlocal checked
            checked = count
            if verbosity >= 2:
                self.stderr.write(f"… {count} Einträge geprüft")

        try:
            problems = audit_verify(since_sequence=since_sequence, chunk_size=chunk_size, on_progress=progress)
        except (DatabaseError, ValueError, TypeError) as error:
            raise CommandError(f"Audit-Log nicht lesbar: {error}") from error
        if problems:
            for problem in problems:
                self.stdout.write(self.style.ERROR(problem.message))
            raise CommandError(f"Audit-Log geprüft: {checked} Einträge, {len(problems)} Abweichung(en).")
        self.stdout.write(self.style.SUCCESS(f"Audit-Log geprüft: {checked} Einträge, keine Abweichung."))
        head = audit_head()
        if head is not None and head.sequence:
            # Kept outside the database (e.g. in the system log), this detects a rolled-back head.
            self.stdout.write(f"Letzter Eintrag: {head.sequence}, Prüfsumme {head.hash}")

    def reseal(self, *, confirmed: bool) -> None:
        if not confirmed:
            raise CommandError(
                "Erst `kreiswerk audit verify` ausführen und die Abweichungen untersuchen; dann mit --yes bestätigen."
            )
        entry = audit_head_reseal()
        self.stdout.write(f"Kopfeintrag neu gesetzt; protokolliert als Eintrag {entry.sequence}.")
