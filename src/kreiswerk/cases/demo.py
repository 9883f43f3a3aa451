"""Demo E-Akte for ``kreiswerk demo``: an Aktenplan, six Vorgangsarten and a realistic inbox.

Idempotent like the rest of the demo: a Vorgangsart gets a new version only when
its YAML file changed, and cases are generated only for a Vorgangsart without any.
Generated cases carry invented names; a fixed seed makes every run alike.
"""

from __future__ import annotations

import datetime
import random
from importlib import resources

import yaml
from django.contrib.auth import get_user_model
from django.utils import timezone

from kreiswerk.tenancy.models import Mandant, OrganisationalUnit, Role
from kreiswerk.tenancy.permissions import users_with_role

from . import decisions, inquiries, services
from .models import Case, CaseType, CaseTypeVersion, Party

# (Mandant slug, number, title): a small excerpt of a Boorberg-style Aktenplan.
FILING_PLAN = (
    ("musterkreis", "01", "Organisation"),
    ("musterkreis", "01.60", "Informationszugang (LIFG, UIG)"),
    ("musterkreis", "02", "Personal"),
    ("musterkreis", "02.40", "Reisekosten, Dienstreisen"),
    ("musterkreis", "36", "Forst, Natur- und Landschaftsschutz"),
    ("musterkreis", "36.20", "Reiten im Wald"),
    ("musterkreis", "40", "Schulen"),
    ("musterkreis", "40.30", "Schülerbeförderung"),
    ("musterkreis", "82", "Gewerbe"),
    ("musterkreis", "82.10", "Gewerbeanzeigen"),
    ("musterstadt", "92", "Steuern"),
    ("musterstadt", "92.30", "Hundesteuer"),
)

# Vorgangsart file → (Mandant slug, unit code, number of generated cases).
CASE_TYPES = (
    ("gewerbeanmeldung", "musterkreis", "gewerbe", 140),
    ("informationszugang", "musterkreis", "hauptamt", 35),
    ("dienstreiseantrag", "musterkreis", "personal", 40),
    ("schuelerbefoerderung", "musterkreis", "schuelerbefoerderung", 90),
    ("reitkennzeichen", "musterkreis", "forstamt", 25),
    ("hundeanmeldung", "musterstadt", "steueramt", 30),
)
MIN_CASES = 8

GIVEN = ["Anna", "Ben", "Clara", "David", "Elif", "Felix", "Greta", "Hamza", "Ida", "Jonas", "Katharina", "Leon"]
GIVEN += ["Mia", "Noah", "Olga", "Paul", "Rosa", "Samuel", "Tamara", "Umut", "Vera", "Walter", "Yasemin", "Zoe"]
FAMILY = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann"]
FAMILY += ["Yılmaz", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun"]
STREETS = ["Hauptstraße", "Bahnhofstraße", "Schillerstraße", "Gartenweg", "Lindenallee", "Kirchplatz", "Am Markt"]
PLACES = [("73430", "Aalen"), ("73441", "Bopfingen"), ("73479", "Ellwangen"), ("73525", "Schwäbisch Gmünd")]


def demo_definition(key: str) -> dict:
    return yaml.safe_load(resources.files("kreiswerk.cases").joinpath(f"demo/{key}.yaml").read_text("utf-8"))


def demo_casetypes_load() -> list[CaseTypeVersion]:
    """The Aktenplan and the published Vorgangsarten; returns the versions created now."""
    mandanten = {mandant.slug: mandant for mandant in Mandant.objects.all()}
    for slug, number, title in FILING_PLAN:
        services.filing_position_ensure(mandant=mandanten[slug], number=number, title=title)
    created = []
    for key, slug, unit_code, _count in CASE_TYPES:
        data = demo_definition(key)
        case_type = CaseType.objects.filter(mandant=mandanten[slug], key=data["key"]).first()
        if case_type and case_type.versions.filter(definition=data).exists():
            continue
        unit = OrganisationalUnit.objects.get(mandant=mandanten[slug], code=unit_code)
        created.append(services.casetype_import(data=data, mandant=mandanten[slug], unit=unit, publish=True))
    return created


def demo_cases_generate(*, scale: float = 1.0, seed: int = 2026) -> int:
    """Open cases for every demo Vorgangsart that has none yet, spread over the last ten weeks.

    ``scale`` shrinks the number per Vorgangsart (at least a few each, so every page has rows).
    """
    rng = random.Random(seed)  # noqa: S311  # nosec B311 - invented demo data
    now = timezone.now()
    total = 0
    for key, slug, _unit, count in CASE_TYPES:
        version = CaseTypeVersion.objects.filter(
            case_type__mandant__slug=slug, case_type__key=key, state=CaseTypeVersion.State.PUBLISHED
        ).first()
        if version is None or Case.objects.filter(case_type=version.case_type).exists():
            continue
        definition = version.parsed
        for _index in range(max(MIN_CASES, round(count * scale))):
            received = now - datetime.timedelta(days=rng.uniform(0, 70), minutes=rng.randint(0, 600))
            case = services.case_open(version=version, received_at=received)
            given, family = rng.choice(GIVEN), rng.choice(FAMILY)
            postal_code, city = rng.choice(PLACES)
            services.party_add(
                case=case,
                role=Party.Role.APPLICANT,
                name=f"{given} {family}",
                email=f"{given}.{family}@example.org".lower().replace("ü", "ue").replace("ö", "oe").replace("ı", "i"),
                address={
                    "street": rng.choice(STREETS),
                    "house_number": str(rng.randint(1, 120)),
                    "postal_code": postal_code,
                    "city": city,
                },
            )
            case = _advance(case, definition, rng)
            if case.is_open and rng.random() < 0.4:
                colleagues = list(users_with_role(Role.CASEWORKER, case.unit).filter(memberships__role=Role.CASEWORKER))
                if colleagues:
                    services.case_assign(case=case, assignee=rng.choice(colleagues), actor=None)
            total += 1
        if key == "gewerbeanmeldung":
            _correspondence(version.case_type)
    return total


QUESTIONS = (
    "Bitte reichen Sie eine Kopie Ihrer Erlaubnis nach § 34c der Gewerbeordnung nach.",
    "Bitte teilen Sie uns den genauen Beginn Ihrer Tätigkeit mit.",
    "Bitte laden Sie einen aktuellen Auszug aus dem Handelsregister hoch.",
    "Ist die Betriebsstätte auch Ihre Wohnanschrift? Bitte bestätigen Sie die Anschrift.",
)


def _correspondence(case_type: CaseType) -> None:
    """Rückfragen and Bescheide waiting for Mitzeichnung, so those pages have something to show."""
    author = get_user_model().objects.filter(username="sachbearbeitung").first()
    if author is None:
        return
    open_cases = Case.objects.filter(case_type=case_type, is_open=True).order_by("received_at")
    today = timezone.localdate()
    for index, case in enumerate(open_cases.filter(status="in_pruefung")[: len(QUESTIONS)]):
        inquiry = inquiries.inquiry_ask(
            case=case,
            question=QUESTIONS[index],
            answer_by=today + datetime.timedelta(days=14),
            allows_upload=True,
            suspends=True,
            actor=author,
        )
        if index == 0:
            inquiries.inquiry_answer(inquiry=inquiry, text="Die Erlaubnis schicke ich Ihnen per Post.", files=[])
    for case in open_cases.filter(status="entscheidung")[:2]:
        decision = decisions.decision_draft(case=case, result="bewilligt", actor=author)
        decisions.decision_submit(decision=decision, actor=author)


def _advance(case: Case, definition, rng: random.Random) -> Case:
    """Move an older case along its statuses, as a department would have done."""
    age = (timezone.now() - case.received_at).days
    steps = min(len(definition.statuses) - 1, age // 12 + rng.randint(0, 1))
    for _step in range(steps):
        following = definition.transitions.get(case.status, ())
        if not following:
            break
        for item in services.open_checklist_items(case):
            case = services.checklist_check(case=case, item=item.key, actor=None)
        case = services.case_status_change(case=case, status=following[0], actor=None)
    if age > 45 and case.status_definition.final and rng.random() < 0.7:
        for item in services.open_checklist_items(case):
            case = services.checklist_check(case=case, item=item.key, actor=None)
        case = services.case_close(case=case, result=definition.results[0].key, actor=None)
    return case
