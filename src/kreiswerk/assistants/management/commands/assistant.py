"""``kreiswerk assistant import|import-fim|export|validate``: assistant definitions on the command line.

    kreiswerk assistant validate gewerbeanmeldung.yaml
    kreiswerk assistant import gewerbeanmeldung.yaml --mandant musterkreis --unit gewerbe --publish
    kreiswerk assistant import-fim S00000094V1.0_xdf2.xml C*_genericode.xml --unit gewerbe
    kreiswerk assistant export gewerbeanmeldung --format json -o gewerbeanmeldung.json

Files may be JSON or YAML. An invalid file is reported with the German problem
list and a non-zero exit status, never with a traceback.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kreiswerk.assistants import definition as definition_module
from kreiswerk.assistants import fim
from kreiswerk.assistants.models import Assistant, AssistantVersion
from kreiswerk.assistants.services import (
    assistant_export,
    assistant_import,
    assistant_import_fim,
    fim_definition_build,
)
from kreiswerk.tenancy.models import Mandant, OrganisationalUnit


def read_definition(path: str) -> dict:
    """Load and validate a definition file; raises CommandError with German problems."""
    try:
        content = Path(path).read_bytes()
    except OSError as exc:
        raise CommandError(f"Die Datei „{path}“ kann nicht gelesen werden: {exc.strerror}.") from exc
    try:
        data = definition_module.load_text(content)
        definition_module.parse(data)
    except definition_module.DefinitionError as exc:
        raise CommandError(problem_text(path, exc.problems)) from exc
    return data


def _read_bytes(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise CommandError(f"Die Datei „{path}“ kann nicht gelesen werden: {exc.strerror}.") from exc


def problem_text(path: str, problems: list[str], *, what: str = "Die Definition") -> str:
    lines = [f"{what} „{path}“ ist ungültig ({len(problems)} Problem(e)):"]
    lines.extend(f"  - {problem}" for problem in problems)
    return "\n".join(lines)


def mandant_from(slug: str | None, *, assistant_slug: str = "") -> Mandant:
    """The Mandant named by ``--mandant``; without it the only one that fits."""
    if slug:
        try:
            return Mandant.objects.get(slug=slug)
        except Mandant.DoesNotExist as exc:
            raise CommandError(f"Den Mandanten „{slug}“ gibt es nicht.") from exc
    if assistant_slug:
        owners = list(Mandant.objects.filter(assistants__slug=assistant_slug).distinct()[:2])
        if len(owners) == 1:
            return owners[0]
    mandanten = list(Mandant.objects.all()[:2])
    if len(mandanten) == 1:
        return mandanten[0]
    if not mandanten:
        raise CommandError("Es gibt noch keinen Mandanten. Legen Sie zuerst einen an (z. B. kreiswerk demo).")
    raise CommandError("Es gibt mehrere Mandanten. Bitte geben Sie einen mit --mandant an.")


class Command(BaseCommand):
    help = "Antragsassistenten importieren, exportieren und prüfen (JSON oder YAML)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="import|import-fim|export|validate")

        importing = actions.add_parser("import", help="Definition als neue Version importieren.")
        importing.add_argument("file", help="JSON- oder YAML-Datei")
        importing.add_argument("--mandant", help="Kürzel des Mandanten (nötig, wenn es mehrere gibt)")
        importing.add_argument("--unit", help="Kürzel der Organisationseinheit (nötig beim ersten Import)")
        importing.add_argument("--publish", action="store_true", help="Version sofort veröffentlichen")
        importing.add_argument("--note", default="", help="Änderungsnotiz")

        fim_import = actions.add_parser(
            "import-fim", help="FIM-Schema (XDatenfelder 2.0/3.0) als Entwurf eines Assistenten importieren."
        )
        fim_import.add_argument("file", help="XDatenfelder-Nachricht: Stammdatenschema oder Datenfeldgruppe")
        fim_import.add_argument("codelists", nargs="*", metavar="CODELISTE", help="genericode-Codelisten")
        fim_import.add_argument("--mandant", help="Kürzel des Mandanten (nötig, wenn es mehrere gibt)")
        fim_import.add_argument("--unit", help="Kürzel der Organisationseinheit (nötig beim ersten Import)")
        fim_import.add_argument("--slug", help="Kürzel des Assistenten (Standard: fim-<Schemakennung>)")
        fim_import.add_argument(
            "--allow-missing-codelists",
            action="store_true",
            help="Fehlende Codelisten nicht als Fehler werten; die Felder werden Textfelder und zur Prüfung gemeldet",
        )

        exporting = actions.add_parser("export", help="Eine Version als Datei ausgeben.")
        exporting.add_argument("slug", help="Kürzel des Assistenten")
        exporting.add_argument("--mandant", help="Kürzel des Mandanten (nötig, wenn es mehrere gibt)")
        exporting.add_argument(
            "--version",
            type=int,
            dest="version_number",
            metavar="N",
            help="Versionsnummer (Standard: veröffentlichte, sonst neueste Version)",
        )
        exporting.add_argument("--format", choices=["yaml", "json"], default="yaml", dest="fmt")
        exporting.add_argument("-o", "--output", help="Zieldatei (Standard: Ausgabe auf stdout)")

        validating = actions.add_parser("validate", help="Eine Datei prüfen, ohne sie zu speichern.")
        validating.add_argument("file", help="JSON- oder YAML-Datei")

    def handle(self, *args, action: str, **options):
        if action == "import":
            self.import_(options)
        elif action == "import-fim":
            self.import_fim(options)
        elif action == "export":
            self.export(options)
        else:
            self.validate(options)

    def validate(self, options) -> None:
        data = read_definition(options["file"])
        parsed = definition_module.build(data)
        self.stdout.write(
            self.style.SUCCESS(
                f"Die Definition ist gültig: „{definition_module.localized(parsed.title, 'de')}“ "
                f"({parsed.slug}), {len(parsed.steps)} Schritte, {len(parsed.inputs())} Eingabefelder."
            )
        )

    def import_(self, options) -> None:
        version = self._store(
            read_definition(options["file"]),
            options,
            note=options.get("note") or "",
            publish=bool(options.get("publish")),
            what="Die Definition",
        )
        self.stdout.write(self.style.SUCCESS(self._stored_text(version)))

    def import_fim(self, options) -> None:
        path = options["file"]
        try:
            data, report = fim_definition_build(
                message=_read_bytes(path),
                message_name=path,
                codelists=[(_read_bytes(name), name) for name in options["codelists"]],
                slug=options.get("slug"),
                allow_missing_codelists=bool(options.get("allow_missing_codelists")),
            )
        except fim.FimError as exc:
            raise CommandError(problem_text(path, exc.problems, what="Das FIM-Schema")) from exc
        mandant, unit = self._target(data, options)
        try:
            version = assistant_import_fim(definition=data, report=report, mandant=mandant, unit=unit)
        except definition_module.DefinitionError as exc:
            # The builder should only produce valid definitions; if not, the problem list says what and where.
            what = "Der aus dem FIM-Schema erzeugte Entwurf"
            raise CommandError(problem_text(path, exc.problems, what=what)) from exc
        self.stdout.write(report.text())
        self.stdout.write(
            self.style.SUCCESS(self._stored_text(version) + " Bitte prüfen Sie den Entwurf vor der Veröffentlichung.")
        )

    def _target(self, data: dict, options) -> tuple[Mandant, OrganisationalUnit]:
        mandant = mandant_from(options.get("mandant"), assistant_slug=data["slug"])
        existing = Assistant.objects.filter(mandant=mandant, slug=data["slug"]).select_related("unit").first()
        return mandant, self._unit(mandant, options.get("unit"), existing)

    def _store(self, data: dict, options, *, what: str, **extra) -> AssistantVersion:
        mandant, unit = self._target(data, options)
        try:
            return assistant_import(data=data, mandant=mandant, unit=unit, **extra)
        except definition_module.DefinitionError as exc:
            raise CommandError(problem_text(options["file"], exc.problems, what=what)) from exc

    def _stored_text(self, version: AssistantVersion) -> str:
        assistant = version.assistant
        return (
            f"„{assistant.title}“ ({assistant.slug}) als Version {version.number} gespeichert "
            f"({version.get_state_display()}); Mandant: {assistant.mandant.name}, Einheit: {assistant.unit.name}."
        )

    def _unit(self, mandant: Mandant, code: str | None, existing: Assistant | None) -> OrganisationalUnit:
        if code:
            try:
                return OrganisationalUnit.objects.get(mandant=mandant, code=code)
            except OrganisationalUnit.DoesNotExist as exc:
                raise CommandError(
                    f"Die Organisationseinheit „{code}“ gibt es beim Mandanten {mandant.name} nicht."
                ) from exc
        if existing is not None:
            return existing.unit
        units = list(OrganisationalUnit.objects.filter(mandant=mandant)[:2])
        if len(units) == 1:
            return units[0]
        raise CommandError("Der Assistent ist neu. Bitte geben Sie mit --unit die zuständige Organisationseinheit an.")

    def export(self, options) -> None:
        slug = options["slug"]
        mandant = mandant_from(options.get("mandant"), assistant_slug=slug)
        try:
            assistant = Assistant.objects.get(mandant=mandant, slug=slug)
        except Assistant.DoesNotExist as exc:
            raise CommandError(f"Den Assistenten „{slug}“ gibt es beim Mandanten {mandant.name} nicht.") from exc
        number = options.get("version_number")
        if number is not None:
            version = assistant.versions.filter(number=number).first()
            if version is None:
                raise CommandError(f"Die Version {number} von „{slug}“ gibt es nicht.")
        else:
            version = (
                assistant.versions.filter(state=AssistantVersion.State.PUBLISHED).first()
                or assistant.versions.order_by("-number").first()
            )
            if version is None:
                raise CommandError(f"Der Assistent „{slug}“ hat noch keine Version.")
        text = definition_module.dump_text(assistant_export(version=version), options["fmt"])
        output = options.get("output")
        if output:
            try:
                Path(output).write_text(text, encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"Die Datei „{output}“ kann nicht geschrieben werden: {exc.strerror}.") from exc
            self.stderr.write(f"Version {version.number} von „{slug}“ nach {output} geschrieben.")
        else:
            self.stdout.write(text, ending="")
