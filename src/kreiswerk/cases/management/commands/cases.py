"""``kreiswerk cases``: Vorgangsarten on the command line, and the search index.

    kreiswerk cases validate gewerbeanmeldung.yaml
    kreiswerk cases import gewerbeanmeldung.yaml --mandant musterkreis --unit gewerbe --publish
    kreiswerk cases export gewerbeanmeldung --format json -o gewerbeanmeldung.json
    kreiswerk cases reindex      # after KREISWERK_INDEX_KEY changed

An invalid file is reported with the German problem list and a non-zero exit status.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from kreiswerk.assistants.definition import DefinitionError as FileFormatError
from kreiswerk.assistants.definition import dump_text, load_text
from kreiswerk.assistants.management.commands.assistant import mandant_from, problem_text
from kreiswerk.cases.casetype import DefinitionError, casetype_build
from kreiswerk.cases.models import CaseType, CaseTypeVersion
from kreiswerk.cases.services import casetype_import, search_tokens_rebuild
from kreiswerk.tenancy.models import OrganisationalUnit


def read_casetype(path: str) -> dict:
    try:
        content = Path(path).read_bytes()
    except OSError as exc:
        raise CommandError(f"Die Datei „{path}“ kann nicht gelesen werden: {exc.strerror}.") from exc
    try:
        data = load_text(content)
        casetype_build(data)
    except (FileFormatError, DefinitionError) as exc:
        raise CommandError(problem_text(path, exc.problems)) from exc
    return data


class Command(BaseCommand):
    help = "Vorgangsarten importieren, exportieren und prüfen; den Suchindex neu aufbauen."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True, metavar="import|export|validate|reindex")
        importing = commands.add_parser("import", help="Vorgangsart als neue Version importieren.")
        importing.add_argument("file", help="JSON- oder YAML-Datei")
        importing.add_argument("--mandant", help="Kürzel des Mandanten (nötig, wenn es mehrere gibt)")
        importing.add_argument("--unit", help="Kürzel der zuständigen Organisationseinheit (nötig beim ersten Import)")
        importing.add_argument("--publish", action="store_true", help="Version sofort veröffentlichen")
        exporting = commands.add_parser("export", help="Die veröffentlichte (sonst neueste) Version ausgeben.")
        exporting.add_argument("key", help="Kürzel der Vorgangsart")
        exporting.add_argument("--mandant", help="Kürzel des Mandanten (nötig, wenn es mehrere gibt)")
        exporting.add_argument("--format", choices=["yaml", "json"], default="yaml", dest="fmt")
        exporting.add_argument("-o", "--output", help="Zieldatei (Standard: Ausgabe auf stdout)")
        validating = commands.add_parser("validate", help="Eine Datei prüfen, ohne sie zu speichern.")
        validating.add_argument("file", help="JSON- oder YAML-Datei")
        commands.add_parser("reindex", help="Suchindex aller Vorgänge mit dem aktuellen Schlüssel neu aufbauen.")

    def handle(self, *args, command: str, **options):
        getattr(self, command.replace("-", "_") + "_")(options)

    def reindex_(self, options) -> None:
        count = search_tokens_rebuild()
        self.stdout.write(self.style.SUCCESS(f"Suchindex neu aufgebaut: {count} Vorgänge."))

    def validate_(self, options) -> None:
        parsed = casetype_build(read_casetype(options["file"]))
        self.stdout.write(
            self.style.SUCCESS(
                f"Die Vorgangsart ist gültig: „{parsed.title}“ ({parsed.key}), {len(parsed.statuses)} Status, "
                f"{len(parsed.results)} Ergebnisse."
            )
        )

    def import_(self, options) -> None:
        data = read_casetype(options["file"])
        mandant = mandant_from(options.get("mandant"))
        existing = CaseType.objects.filter(mandant=mandant, key=data["key"]).select_related("unit").first()
        code = options.get("unit")
        if code:
            unit = OrganisationalUnit.objects.filter(mandant=mandant, code=code).first()
            if unit is None:
                raise CommandError(f"Die Organisationseinheit „{code}“ gibt es beim Mandanten {mandant.name} nicht.")
        elif existing is not None:
            unit = existing.unit
        else:
            raise CommandError("Die Vorgangsart ist neu. Bitte geben Sie mit --unit die zuständige Einheit an.")
        try:
            with transaction.atomic():
                version = casetype_import(data=data, mandant=mandant, unit=unit, publish=bool(options.get("publish")))
        except DefinitionError as exc:
            raise CommandError(problem_text(options["file"], exc.problems)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"„{version.case_type.title}“ ({version.case_type.key}) als Version {version.number} gespeichert "
                f"({version.get_state_display()}); Mandant: {mandant.name}, Einheit: {unit.name}."
            )
        )

    def export_(self, options) -> None:
        key = options["key"]
        mandant = mandant_from(options.get("mandant"))
        versions = CaseTypeVersion.objects.filter(case_type__mandant=mandant, case_type__key=key)
        version = versions.filter(state=CaseTypeVersion.State.PUBLISHED).first() or versions.order_by("-number").first()
        if version is None:
            raise CommandError(f"Die Vorgangsart „{key}“ gibt es beim Mandanten {mandant.name} nicht.")
        text = dump_text(version.definition, options["fmt"])
        output = options.get("output")
        if not output:
            self.stdout.write(text, ending="")
            return
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Die Datei „{output}“ kann nicht geschrieben werden: {exc.strerror}.") from exc
        self.stderr.write(f"Version {version.number} von „{key}“ nach {output} geschrieben.")
