"""``kreiswerk demo``: the fictional Landkreis Musterkreis with staff and six assistants.

Idempotent, so ``make run`` can call it every time: existing Mandanten, units,
accounts and memberships are kept as they are (a changed demo password stays
changed), and an assistant gets a new version only when its YAML file differs
from every stored version.
"""

from dataclasses import dataclass, field
from importlib import resources

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from kreiswerk.archive.demo import demo_expired_cases_generate
from kreiswerk.assistants import definition as definition_module
from kreiswerk.assistants.models import Assistant, AssistantVersion
from kreiswerk.assistants.services import assistant_import, version_publish
from kreiswerk.cases import casetype as casetype_module
from kreiswerk.cases.demo import demo_cases_generate, demo_casetypes_load
from kreiswerk.cockpit.demo import demo_cockpit_generate
from kreiswerk.handoff.demo import demo_destinations_create
from kreiswerk.tenancy.models import Mandant, OrganisationalUnit, Role
from kreiswerk.tenancy.services import (
    mandant_create,
    membership_grant,
    staff_user_create,
    unit_create,
)

# The demo password, documented in the README.
PASSWORD = "Musterkreis-Demo-2026"  # noqa: S105  # nosec B105
COUNTY = "musterkreis"


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    kind: str
    children: tuple["Unit", ...] = field(default=())


def outline(text: str) -> tuple[Unit, ...]:
    """Units from an indented outline: ``<kind> <code> <name>``, two spaces per level."""
    roots: list[dict] = []
    stack: list[tuple[int, dict]] = []
    for line in text.strip("\n").splitlines():
        depth = (len(line) - len(line.lstrip(" "))) // 2
        kind, code, name = line.split(maxsplit=2)
        node = {"code": code, "name": name, "kind": OrganisationalUnit.Kind(kind), "children": []}
        stack = stack[:depth]
        (stack[-1][1]["children"] if stack else roots).append(node)
        stack.append((depth, node))

    def freeze(node: dict) -> Unit:
        children = tuple(freeze(child) for child in node["children"])
        return Unit(node["code"], node["name"], node["kind"], children)

    return tuple(freeze(node) for node in roots)


@dataclass(frozen=True)
class DemoMandant:
    slug: str
    name: str
    kind: str
    prefix: str
    units: tuple[Unit, ...]


MANDANTEN = (
    DemoMandant(
        slug=COUNTY,
        name="Landkreis Musterkreis",
        kind=Mandant.Kind.COUNTY,
        prefix="MK",
        units=outline(
            """
dezernat dez1 Dezernat 1 – Zentrale Dienste
  amt hauptamt Hauptamt
    sachgebiet org-it Sachgebiet Organisation und IT
    sachgebiet personal Sachgebiet Personal und Reisekosten
  amt kaemmerei Kämmerei und Kreiskasse
dezernat dez2 Dezernat 2 – Ordnung und Verkehr
  amt ordnungsamt Ordnungsamt
    sachgebiet gewerbe Sachgebiet Gewerbe
    sachgebiet waffen Sachgebiet Waffen- und Jagdrecht
    sachgebiet auslaender Ausländerbehörde
  amt strassenverkehrsamt Straßenverkehrsamt
    sachgebiet zulassung Kfz-Zulassungsstelle
    sachgebiet fahrerlaubnis Fahrerlaubnisbehörde
dezernat dez3 Dezernat 3 – Soziales und Bildung
  amt schulamt Schul- und Kulturamt
    sachgebiet schuelerbefoerderung Sachgebiet Schülerbeförderung
  amt sozialamt Sozialamt
  amt jugendamt Jugendamt
  amt gesundheitsamt Gesundheitsamt
dezernat dez4 Dezernat 4 – Umwelt und ländlicher Raum
  amt forstamt Kreisforstamt
  amt baurechtsamt Baurechts- und Naturschutzamt
  amt landwirtschaftsamt Landwirtschaftsamt
  amt veterinaeramt Veterinäramt und Lebensmittelüberwachung
"""
        ),
    ),
    DemoMandant(
        slug="musterstadt",
        name="Stadt Musterstadt",
        kind=Mandant.Kind.MUNICIPALITY,
        prefix="MS",
        units=outline(
            """
dezernat buergerdienste Fachbereich Bürgerdienste
  amt buergeramt Bürgeramt
    sachgebiet meldewesen Sachgebiet Meldewesen
    sachgebiet standesamt Standesamt
  amt ordnungsamt Ordnungsamt
dezernat bauen Fachbereich Bauen
  amt bauverwaltung Bauverwaltung
dezernat finanzen Fachbereich Finanzen
  amt steueramt Steueramt
    sachgebiet hundesteuer Sachgebiet Hundesteuer und Vergnügungsteuer
"""
        ),
    ),
    DemoMandant(
        slug="beispielheim",
        name="Gemeinde Beispielheim",
        kind=Mandant.Kind.MUNICIPALITY,
        prefix="BH",
        units=outline(
            """
amt hauptamt Hauptamt
  sachgebiet buergerbuero Bürgerbüro
amt rechnungsamt Rechnungsamt
"""
        ),
    ),
)

# Demo assistant file → (Mandant, unit code).
ASSISTANTS = (
    ("gewerbeanmeldung", COUNTY, "gewerbe"),
    ("schuelerbefoerderung", COUNTY, "schuelerbefoerderung"),
    ("reitkennzeichen", COUNTY, "forstamt"),
    ("informationszugang", COUNTY, "hauptamt"),
    ("dienstreiseantrag", COUNTY, "personal"),
    ("hundeanmeldung", "musterstadt", "steueramt"),
    ("digitalisierungsidee", COUNTY, "org-it"),
)

# Username → (first name, last name, [(Mandant, unit code, role)]); None as unit code
# means every top-level unit of that Mandant.
STAFF = (
    (
        "formulare",
        "Frieda",
        "Formular",
        [
            (COUNTY, None, Role.FORM_ADMIN),
            ("musterstadt", "steueramt", Role.FORM_ADMIN),
        ],
    ),
    (
        "sachbearbeitung",
        "Sascha",
        "Sachbearbeiter",
        [
            (COUNTY, "gewerbe", Role.CASEWORKER),
            (COUNTY, "schuelerbefoerderung", Role.CASEWORKER),
            (COUNTY, "forstamt", Role.CASEWORKER),
            ("musterstadt", "steueramt", Role.CASEWORKER),
        ],
    ),
    (
        "leitung",
        "Lena",
        "Leitung",
        [
            (COUNTY, "ordnungsamt", Role.CASEWORKER),
            (COUNTY, "hauptamt", Role.CASEWORKER),
            (COUNTY, None, Role.COCKPIT_READER),
        ],
    ),
    (
        "archiv",
        "Anke",
        "Archiv",
        [
            (COUNTY, None, Role.ARCHIVE),
            ("musterstadt", None, Role.ARCHIVE),
        ],
    ),
    (
        "kasse",
        "Karla",
        "Kasse",
        [(COUNTY, None, Role.TREASURY)],
    ),
    (
        "administration",
        "Adrian",
        "Administrator",
        [
            (COUNTY, None, Role.ADMIN),
            ("musterstadt", None, Role.ADMIN),
            ("beispielheim", None, Role.ADMIN),
        ],
    ),
    (
        "digitalisierung",
        "Dora",
        "Digital",
        [(COUNTY, None, Role.DIGITAL_TEAM)],
    ),
    (
        "kreistag",
        "Kai",
        "Kreisrat",
        [(COUNTY, None, Role.COCKPIT_READER)],
    ),
)


def demo_definition(slug: str) -> dict:
    text = resources.files("kreiswerk.assistants").joinpath(f"demo/{slug}.yaml").read_bytes()
    return definition_module.load_text(text)


class Command(BaseCommand):
    help = "Legt die Demo-Daten an (Landkreis Musterkreis); mehrfach ausführbar."

    def add_arguments(self, parser):
        parser.add_argument(
            "--cockpit-scale",
            type=float,
            default=1.0,
            help="Anteil der für das Cockpit erzeugten Anträge (1 = etwa 8.000 im Jahr, zwei Jahre lang).",
        )
        parser.add_argument(
            "--case-scale",
            type=float,
            default=1.0,
            help="Anteil der offenen und erledigten Demo-Vorgänge (1 = 360 in zehn Wochen).",
        )

    def handle(self, *args, **options):
        self.counts = {"mandanten": 0, "einheiten": 0, "konten": 0, "rollen": 0, "versionen": 0}
        try:
            with transaction.atomic():
                mandanten = {demo.slug: self.mandant(demo) for demo in MANDANTEN}
                self.staff(mandanten)
                published = [self.assistant(slug, mandanten[m], u) for slug, m, u in ASSISTANTS]
        except definition_module.DefinitionError as exc:
            raise CommandError("Ein Demo-Assistent ist ungültig:\n  - " + "\n  - ".join(exc.problems)) from exc
        try:
            with transaction.atomic():
                self.counts["vorgangsarten"] = len(demo_casetypes_load())
                self.counts["vorgaenge"] = demo_cases_generate(scale=options["case_scale"])
                self.counts["abgelaufen"], self.counts["aussonderung"] = demo_expired_cases_generate()
                self.counts["uebergabeziele"] = demo_destinations_create()
        except casetype_module.DefinitionError as exc:
            raise CommandError("Eine Demo-Vorgangsart ist ungültig:\n  - " + "\n  - ".join(exc.problems)) from exc
        with transaction.atomic():
            cockpit = demo_cockpit_generate(scale=options["cockpit_scale"])
        self.counts["uebergabeziele"] += cockpit.pop("uebergabeziele")
        self.counts.update(cockpit)
        self.summary(published)

    def mandant(self, demo: DemoMandant) -> Mandant:
        mandant = Mandant.objects.filter(slug=demo.slug).first()
        if mandant is None:
            county = None if demo.kind == Mandant.Kind.COUNTY else Mandant.objects.get(slug=COUNTY)
            mandant = mandant_create(
                slug=demo.slug,
                name=demo.name,
                kind=demo.kind,
                reference_prefix=demo.prefix,
                state="BW",
                county=county,
            )
            self.counts["mandanten"] += 1
        for unit in demo.units:
            self.unit(mandant, unit, None)
        return mandant

    def unit(self, mandant: Mandant, spec: Unit, parent: OrganisationalUnit | None) -> None:
        unit = OrganisationalUnit.objects.filter(mandant=mandant, code=spec.code).first()
        if unit is None:
            unit = unit_create(mandant=mandant, code=spec.code, name=spec.name, kind=spec.kind, parent=parent)
            self.counts["einheiten"] += 1
        for child in spec.children:
            self.unit(mandant, child, unit)

    def staff(self, mandanten: dict[str, Mandant]) -> None:
        users = get_user_model().objects
        for username, first_name, last_name, grants in STAFF:
            user = users.filter(username=username).first()
            if user is None:
                user = staff_user_create(
                    username=username,
                    password=PASSWORD,
                    first_name=first_name,
                    last_name=last_name,
                    email=f"{username}@musterkreis.example",
                )
                self.counts["konten"] += 1
            for mandant_slug, code, role in grants:
                units = OrganisationalUnit.objects.filter(mandant=mandanten[mandant_slug])
                units = units.filter(code=code) if code else units.filter(parent__isnull=True)
                for unit in units:
                    if not user.memberships.filter(unit=unit, role=role).exists():
                        membership_grant(user=user, unit=unit, role=role)
                        self.counts["rollen"] += 1

    def assistant(self, slug: str, mandant: Mandant, unit_code: str) -> AssistantVersion | None:
        data = demo_definition(slug)
        assistant = Assistant.objects.filter(mandant=mandant, slug=data["slug"]).first()
        if assistant is not None:
            versions = list(assistant.versions.all())
            same = next((v for v in versions if v.definition == data), None)
            if same is not None:
                # Unchanged: publish a leftover draft, but never revive a retired assistant.
                if same.state == AssistantVersion.State.DRAFT and not any(
                    v.state == AssistantVersion.State.PUBLISHED for v in versions
                ):
                    return version_publish(version=same)
                return same if same.state == AssistantVersion.State.PUBLISHED else None
        unit = OrganisationalUnit.objects.get(mandant=mandant, code=unit_code)
        self.counts["versionen"] += 1
        return assistant_import(data=data, mandant=mandant, unit=unit, note="Demo-Daten (kreiswerk demo)", publish=True)

    def summary(self, published: list[AssistantVersion | None]) -> None:
        c = self.counts
        if any(c.values()):
            self.stdout.write(
                f"Demo-Daten angelegt: {c['mandanten']} Mandanten, {c['einheiten']} Organisationseinheiten, "
                f"{c['konten']} Konten, {c['rollen']} Rollen, {c['versionen']} Assistenten-Versionen, "
                f"{c['vorgangsarten']} Vorgangsarten, {c['vorgaenge']} Vorgänge, "
                f"{c['abgelaufen']} alte Vorgänge mit abgelaufener Aufbewahrungsfrist "
                f"({c['aussonderung']} zur Aussonderung aufgelistet), {c['uebergabeziele']} Übergabeziele; "
                f"Cockpit: {c['leistungen']} Leistungen, {c['ideen']} Ideen, {c['projekte']} Projekte, "
                f"{c['kennzahlen']} Kennzahlen, {c['antraege']} erzeugte Anträge."
            )
        else:
            self.stdout.write("Demo-Daten sind bereits vollständig vorhanden; nichts geändert.")
        for version in published:
            if version is not None:
                assistant = version.assistant
                self.stdout.write(
                    f"  • {assistant.title} – {assistant.mandant.name}, {assistant.unit.name} "
                    f"(Version {version.number})"
                )
        self.stdout.write(
            self.style.SUCCESS(
                "Anmeldung für Beschäftigte unter /verwaltung/anmelden/ mit den Benutzernamen "
                "„formulare“, „sachbearbeitung“, „leitung“, „archiv“, „kasse“, „administration“, "
                "„digitalisierung“ oder „kreistag“ "
                f"und dem Passwort {PASSWORD}. "
                "Beim ersten Anmelden richten Sie eine Authenticator-App ein (zweiter Faktor)."
            )
        )
