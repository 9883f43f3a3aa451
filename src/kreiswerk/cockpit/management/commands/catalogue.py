"""``kreiswerk catalogue import|export``: the Leistungskatalog on the command line.

    kreiswerk catalogue import leistungen.xlsx --mandant musterkreis
    kreiswerk catalogue export --mandant musterkreis --format csv leistungen.csv

The file has the columns of the export (see ``cockpit/catalogue_io.py``). A file with
a bad row is refused as a whole with the German list of problems and a non-zero exit
status; nothing is changed.
"""

import shutil
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kreiswerk.cockpit.catalogue_io import (
    MAX_IMPORT_BYTES,
    CatalogueFileError,
    catalogue_export,
    catalogue_import,
    catalogue_read,
)
from kreiswerk.tenancy.models import Mandant


def _mandant(slug: str) -> Mandant:
    try:
        return Mandant.objects.get(slug=slug)
    except Mandant.DoesNotExist as exc:
        raise CommandError(f"Den Mandanten „{slug}“ gibt es nicht.") from exc


class Command(BaseCommand):
    help = "Den Leistungskatalog als CSV- oder XLSX-Datei importieren oder exportieren."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="import|export")

        importing = actions.add_parser("import", help="Katalog aus einer CSV- oder XLSX-Datei übernehmen.")
        importing.add_argument("file", help="CSV- oder XLSX-Datei mit den Spalten des Exports")
        importing.add_argument("--mandant", required=True, help="Kürzel des Mandanten (Landkreis)")

        exporting = actions.add_parser("export", help="Katalog in eine Datei schreiben.")
        exporting.add_argument("file", help="Zieldatei")
        exporting.add_argument("--mandant", required=True, help="Kürzel des Mandanten (Landkreis)")
        exporting.add_argument(
            "--format", choices=["csv", "xlsx"], dest="fmt", help="Dateiformat (Standard: aus der Dateiendung)"
        )

    def handle(self, *args, action: str, **options):
        if action == "import":
            self.import_(options)
        else:
            self.export(options)

    def import_(self, options) -> None:
        path = Path(options["file"])
        mandant = _mandant(options["mandant"])
        try:
            with path.open("rb") as handle:
                content = handle.read(MAX_IMPORT_BYTES + 1)
        except OSError as exc:
            raise CommandError(f"Die Datei „{path}“ kann nicht gelesen werden: {exc.strerror}.") from exc
        try:
            rows = catalogue_read(content, filename=path.name)
            result = catalogue_import(rows, mandant=mandant, actor=None)
        except CatalogueFileError as exc:
            count = len(exc.problems)
            lines = [f"Die Datei „{path}“ wurde nicht importiert; nichts wurde geändert ({count} Problem(e)):"]
            lines.extend(f"  - {problem}" for problem in exc.problems)
            raise CommandError("\n".join(lines)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Der Katalog von {mandant.name} ist importiert: {result.created} Leistungen neu, "
                f"{result.updated} aktualisiert."
            )
        )

    def export(self, options) -> None:
        path = Path(options["file"])
        mandant = _mandant(options["mandant"])
        fmt = options.get("fmt") or path.suffix.lower().lstrip(".")
        if fmt not in ("csv", "xlsx"):
            raise CommandError("Bitte geben Sie das Format mit --format csv oder --format xlsx an.")
        with tempfile.TemporaryDirectory(prefix="kw-catalogue-") as directory:
            result = catalogue_export(mandant=mandant, fmt=fmt, directory=Path(directory))
            try:
                shutil.copyfile(result.path, path)
            except OSError as exc:
                raise CommandError(f"Die Datei „{path}“ kann nicht geschrieben werden: {exc.strerror}.") from exc
        self.stdout.write(
            self.style.SUCCESS(f"{result.row_count} Leistungen von {mandant.name} nach „{path}“ geschrieben.")
        )
