"""Demo data of the Digitalisierungs-Cockpit for ``kreiswerk demo``.

The Musterkreis catalogue (about 150 services of the county and its two
municipalities), 30 ideas, 12 projects in every phase, hand-kept indicators and two
years of generated submissions for the kreiswerk assistants, with their cases,
Rückfragen, payments and step counts, so the dashboard and a report look like a real
county's. Idempotent: each part is made only while it is missing. A fixed seed makes
every run alike; ``scale`` shrinks the generated submissions (tests use a small one).
"""

from __future__ import annotations

import datetime
import math
import random
import uuid
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import F
from django.utils import timezone

from kreiswerk.assistants.models import Assistant, AssistantVersion
from kreiswerk.cases.models import DEFAULT_REFERENCE_PATTERN, Akte, Case, FileCounter, Inquiry, ReferencePattern
from kreiswerk.cases.references import reference_format
from kreiswerk.cases.services import published_case_type_for, retention_until
from kreiswerk.handoff.models import Destination
from kreiswerk.handoff.services import destination_create
from kreiswerk.payments.models import Payment, Status
from kreiswerk.runner.models import StepCount
from kreiswerk.submissions.models import ReferenceCounter, Submission
from kreiswerk.tenancy.models import Mandant, OrganisationalUnit

from . import maturity
from .models import Goal, Idea, Indicator, Milestone, Phase, Project, ProjectMember, Risk, Service
from .rollup import STEPS, months_sum, rollup_rebuild, rollup_refresh
from .services import (
    GATES,
    gate_pass,
    idea_create,
    idea_decide,
    idea_rate,
    indicator_value_record,
    project_concept_set,
    project_create,
    project_limit_set,
    project_member_add,
    project_status_set,
    scoring_criteria_ensure,
    service_save,
)

COUNTY = "musterkreis"
TOWNS = ("musterstadt", "beispielheim")
IDEA_ASSISTANT = "digitalisierungsidee"
IDEA_DESTINATION = "Ideenspeicher des Digitalisierungs-Cockpits"
YEARS = 2

# --- the catalogue ----------------------------------------------------------------------------
#
# One line per service: unit code | maturity level | channel | yearly cases | name. The channel
# is "kreiswerk:<assistant slug>", "landesportal", "efa" or "offline". In the block of both
# municipalities, "a/b" gives Musterstadt's and Beispielheim's value; Beispielheim, a small
# municipality, has a fifth of Musterstadt's cases. The LeiKa keys are made up in the official
# format (14 digits, starting with 99): illustrative, not the keys of the real Leistungskatalog.

CATALOGUE = {
    COUNTY: """
zulassung | 3 | efa | 24000 | Neuzulassung eines Fahrzeugs
zulassung | 7 | efa | 9000 | Außerbetriebsetzung eines Fahrzeugs
zulassung | 3 | efa | 14000 | Umschreibung eines Fahrzeugs (Halterwechsel)
zulassung | 3 | efa | 5000 | Wiederzulassung eines Fahrzeugs
zulassung | 4 | efa | 6000 | Adressänderung in der Zulassungsbescheinigung
zulassung | 4 | landesportal | 11000 | Wunschkennzeichen reservieren
zulassung | 2 | offline | 1800 | Saisonkennzeichen
zulassung | 1 | offline | 2500 | Kurzzeitkennzeichen
zulassung | 2 | offline | 3000 | Feinstaubplakette
zulassung | 1 | offline | 400 | Historisches Kennzeichen (H-Kennzeichen)
fahrerlaubnis | 2 | landesportal | 2600 | Ersterteilung einer Fahrerlaubnis
fahrerlaubnis | 4 | efa | 6500 | Pflichtumtausch des Führerscheins
fahrerlaubnis | 3 | landesportal | 900 | Internationaler Führerschein
fahrerlaubnis | 3 | landesportal | 700 | Ersatzführerschein bei Verlust
fahrerlaubnis | 2 | landesportal | 1200 | Erweiterung der Fahrerlaubnis um eine Klasse
fahrerlaubnis | 3 | efa | 800 | Fahrerkarte für den digitalen Tachografen
fahrerlaubnis | 1 | offline | 300 | Neuerteilung der Fahrerlaubnis nach Entzug
strassenverkehrsamt | 3 | efa | 1500 | Ausnahmegenehmigung für Großraum- und Schwertransporte
strassenverkehrsamt | 1 | offline | 600 | Parkausweis für Menschen mit Behinderung
strassenverkehrsamt | 2 | offline | 1100 | Verkehrsrechtliche Anordnung für Baustellen
strassenverkehrsamt | 3 | landesportal | 15000 | Anhörung im Bußgeldverfahren
gewerbe | 6 | kreiswerk:gewerbeanmeldung | 0 | Gewerbeanmeldung
gewerbe | 3 | efa | 900 | Gewerbeummeldung
gewerbe | 3 | efa | 1600 | Gewerbeabmeldung
gewerbe | 2 | offline | 40 | Erlaubnis für Makler und Bauträger (§ 34c GewO)
gewerbe | 1 | offline | 60 | Reisegewerbekarte
gewerbe | 2 | offline | 80 | Gaststättenerlaubnis
gewerbe | 1 | offline | 15 | Bewachungserlaubnis (§ 34a GewO)
gewerbe | 0 | offline | 5 | Spielhallenerlaubnis
waffen | 2 | offline | 350 | Waffenbesitzkarte
waffen | 3 | landesportal | 500 | Kleiner Waffenschein
waffen | 2 | offline | 900 | Jagdschein (Erteilung und Verlängerung)
waffen | 3 | landesportal | 700 | Fischereischein
waffen | 0 | offline | 20 | Sprengstoffrechtliche Erlaubnis
waffen | 2 | offline | 600 | Eintragung einer Waffe in die Waffenbesitzkarte
auslaender | 3 | efa | 5500 | Aufenthaltstitel (Erteilung und Verlängerung)
auslaender | 2 | efa | 800 | Niederlassungserlaubnis
auslaender | 3 | efa | 700 | Einbürgerung
auslaender | 1 | offline | 400 | Verpflichtungserklärung
auslaender | 2 | offline | 600 | Beschäftigungserlaubnis für Geflüchtete
ordnungsamt | 2 | offline | 120 | Anzeige einer Versammlung
ordnungsamt | 1 | offline | 40 | Erlaubnis für Großveranstaltungen
hauptamt | 4 | kreiswerk:informationszugang | 0 | Informationszugang nach dem LIFG
hauptamt | 0 | offline | 300 | Amtliche Beglaubigung von Dokumenten
hauptamt | 2 | landesportal | 1200 | Bürgeranliegen und Beschwerden
personal | 6 | kreiswerk:dienstreiseantrag | 0 | Dienstreiseantrag (intern)
personal | 3 | landesportal | 2500 | Bewerbung um eine Stelle beim Landratsamt
personal | 1 | offline | 120 | Anzeige einer Nebentätigkeit (intern)
kaemmerei | 6 | landesportal | 30000 | Rechnung an das Landratsamt (XRechnung)
kaemmerei | 1 | offline | 300 | Stundung und Ratenzahlung von Forderungen
kaemmerei | 2 | offline | 1500 | SEPA-Lastschriftmandat erteilen
schuelerbefoerderung | 5 | kreiswerk:schuelerbefoerderung | 0 | Schülerbeförderung (Schülerticket und Kostenerstattung)
schulamt | 1 | offline | 150 | Gastschulantrag
schulamt | 4 | efa | 900 | BAföG für Schülerinnen und Schüler
schulamt | 4 | efa | 300 | Aufstiegs-BAföG
sozialamt | 3 | efa | 3200 | Wohngeld
sozialamt | 1 | offline | 700 | Hilfe zur Pflege
sozialamt | 2 | landesportal | 1500 | Grundsicherung im Alter und bei Erwerbsminderung
sozialamt | 2 | offline | 2200 | Bildungs- und Teilhabeleistungen
sozialamt | 3 | landesportal | 4000 | Schwerbehindertenausweis
sozialamt | 1 | offline | 900 | Eingliederungshilfe für Menschen mit Behinderung
sozialamt | 1 | offline | 400 | Hilfe zum Lebensunterhalt
sozialamt | 0 | offline | 80 | Übernahme von Bestattungskosten
sozialamt | 2 | landesportal | 1800 | Landesfamilienpass
sozialamt | 2 | offline | 500 | Schuldnerberatung
jugendamt | 5 | efa | 2800 | Elterngeld
jugendamt | 4 | efa | 900 | Unterhaltsvorschuss
jugendamt | 1 | offline | 90 | Erlaubnis zur Kindertagespflege
jugendamt | 1 | offline | 250 | Beistandschaft
jugendamt | 2 | landesportal | 600 | Erziehungsberatung
jugendamt | 0 | offline | 450 | Hilfe zur Erziehung
jugendamt | 1 | offline | 400 | Beurkundung einer Vaterschaftsanerkennung
jugendamt | 2 | offline | 700 | Übernahme der Kita-Gebühren
gesundheitsamt | 4 | landesportal | 2500 | Belehrung nach dem Infektionsschutzgesetz
gesundheitsamt | 1 | offline | 500 | Amtsärztliche Untersuchung
gesundheitsamt | 2 | offline | 120 | Anzeige einer Trinkwasseranlage
gesundheitsamt | 1 | offline | 1900 | Einschulungsuntersuchung
gesundheitsamt | 1 | offline | 40 | Heilpraktikererlaubnis
gesundheitsamt | 7 | efa | 9000 | Meldung einer meldepflichtigen Krankheit (DEMIS)
forstamt | 4 | kreiswerk:reitkennzeichen | 0 | Reitkennzeichen für das Reiten im Wald
forstamt | 1 | offline | 150 | Förderung im Privatwald
forstamt | 0 | offline | 15 | Genehmigung einer Waldumwandlung
forstamt | 3 | landesportal | 800 | Brennholz aus dem Kreiswald
baurechtsamt | 3 | landesportal | 1400 | Bauantrag
baurechtsamt | 3 | landesportal | 600 | Kenntnisgabeverfahren
baurechtsamt | 2 | landesportal | 300 | Bauvoranfrage
baurechtsamt | 2 | offline | 150 | Anzeige eines Abbruchs
baurechtsamt | 1 | offline | 700 | Auskunft aus dem Baulastenverzeichnis
baurechtsamt | 0 | offline | 60 | Naturschutzrechtliche Genehmigung
baurechtsamt | 1 | offline | 200 | Wasserrechtliche Erlaubnis
baurechtsamt | 1 | offline | 120 | Denkmalschutzrechtliche Genehmigung
baurechtsamt | 2 | offline | 250 | Auskunft aus dem Altlastenkataster
baurechtsamt | 0 | offline | 20 | Genehmigung einer Kleinkläranlage
landwirtschaftsamt | 6 | landesportal | 1600 | Gemeinsamer Antrag (Agrarförderung)
landwirtschaftsamt | 3 | landesportal | 400 | Sachkundenachweis Pflanzenschutz
landwirtschaftsamt | 1 | offline | 500 | Grundstücksverkehrsgenehmigung
veterinaeramt | 2 | offline | 300 | Registrierung eines Lebensmittelbetriebs
veterinaeramt | 6 | efa | 1200 | Anzeige einer Tierhaltung
veterinaeramt | 1 | offline | 80 | Erlaubnis nach § 11 Tierschutzgesetz
veterinaeramt | 1 | offline | 900 | Trichinenuntersuchung für Jägerinnen und Jäger
""",
    "towns": """
meldewesen/buergerbuero | 2/1 | offline | 2400 | Anmeldung einer Wohnung
meldewesen/buergerbuero | 3/2 | efa | 150 | Abmeldung einer Wohnung ins Ausland
meldewesen/buergerbuero | 4/3 | efa | 1800 | Meldebescheinigung
meldewesen/buergerbuero | 1/1 | offline | 3200 | Personalausweis
meldewesen/buergerbuero | 1/1 | offline | 1600 | Reisepass
meldewesen/buergerbuero | 3/2 | landesportal | 120 | Übermittlungssperre im Melderegister
meldewesen/buergerbuero | 3/2 | landesportal | 900 | Führungszeugnis
meldewesen/buergerbuero | 5/4 | landesportal | 4000 | Briefwahl
hundesteuer/rechnungsamt | 2/1 | offline | 300 | Abmeldung eines Hundes
steueramt/rechnungsamt | 2/1 | offline | 800 | Grundsteuer (Auskunft und Änderung)
standesamt/buergerbuero | 4/3 | landesportal | 2200 | Geburtsurkunde
standesamt/buergerbuero | 2/1 | offline | 250 | Anmeldung einer Eheschließung
standesamt/buergerbuero | 2/1 | offline | 600 | Beurkundung eines Sterbefalls
standesamt/buergerbuero | 0/0 | offline | 200 | Kirchenaustritt
ordnungsamt/buergerbuero | 2/1 | landesportal | 500 | Fundsachen
ordnungsamt/hauptamt | 2/1 | offline | 300 | Sondernutzung öffentlicher Verkehrsflächen
ordnungsamt/hauptamt | 2/1 | offline | 150 | Anzeige einer Veranstaltung
bauverwaltung/hauptamt | 1/0 | offline | 90 | Genehmigung einer Baumfällung
buergeramt/hauptamt | 3/2 | landesportal | 600 | Anmeldung für einen Kita-Platz
buergeramt/rechnungsamt | 0/0 | offline | 180 | Grabnutzungsrecht auf dem Friedhof
bauverwaltung/rechnungsamt | 4/3 | landesportal | 5000 | Zählerstand der Wasseruhr melden
buergeramt/buergerbuero | 0/0 | offline | 900 | Beglaubigung von Unterschriften und Kopien
""",
    "musterstadt": """
steueramt | 6 | kreiswerk:hundeanmeldung | 0 | Anmeldung eines Hundes zur Hundesteuer
ordnungsamt | 5 | landesportal | 900 | Bewohnerparkausweis
buergeramt | 2 | offline | 250 | Wohnberechtigungsschein
""",
    "beispielheim": """
rechnungsamt | 2 | offline | 60 | Anmeldung eines Hundes zur Hundesteuer
hauptamt | 1 | offline | 80 | Holzverkauf aus dem Gemeindewald
""",
}


@dataclass(frozen=True)
class CatalogueEntry:
    mandant: str
    unit: str
    level: int
    channel: str
    assistant: str
    volume: int | None
    name: str


def catalogue_entries() -> list[CatalogueEntry]:
    entries = []
    for block, text in CATALOGUE.items():
        for line in text.strip().splitlines():
            units, levels, channel, volume, name = (part.strip() for part in line.split("|"))
            channel, _colon, assistant = channel.partition(":")
            mandants = TOWNS if block == "towns" else (block,)
            for index, mandant in enumerate(mandants):
                own_volume = int(volume) // (5 if index else 1)
                entries.append(
                    CatalogueEntry(
                        mandant=mandant,
                        unit=units.split("/")[index],
                        level=int(levels.split("/")[index]),
                        channel=channel,
                        assistant=assistant,
                        volume=None if assistant else own_volume,
                        name=name,
                    )
                )
    return entries


def leika_keys(entries: list[CatalogueEntry]) -> dict[str, str]:
    """An illustrative key per service name: the same service has the same key in every Mandant."""
    groups: dict[str, int] = {}
    keys: dict[str, str] = {}
    for entry in entries:
        if entry.name in keys:
            continue
        group = groups.setdefault(entry.unit, 10 + 13 * len(groups))
        number = sum(1 for key in keys.values() if key[2:5] == f"{group:03d}") + 1
        detail = (104, 105, 261, 38, 2)[len(keys) % 5]
        keys[entry.name] = f"99{group:03d}{number * 7:03d}{detail:03d}000"
    return keys


def criteria_for(level: int, rng: random.Random) -> dict[str, str]:
    """Checklist answers that reach exactly ``level``, with some criteria above it met already."""
    answers = {}
    for criterion in maturity.CRITERIA:
        if criterion.level <= level:
            optional = criterion.may_not_apply and rng.random() < 0.3
            answers[criterion.key] = maturity.NOT_APPLICABLE if optional else maturity.MET
        else:
            answers[criterion.key] = maturity.MET if rng.random() < 0.2 else maturity.NOT_MET
    if level < maturity.MAX_LEVEL:
        gating = [criterion for criterion in maturity.CRITERIA if criterion.level == level + 1]
        answers[rng.choice(gating).key] = maturity.NOT_MET
    return answers


def _catalogue_create(mandants: dict[str, Mandant], rng: random.Random) -> int:
    entries = catalogue_entries()
    keys = leika_keys(entries)
    assistants = {(a.mandant.slug, a.slug): a for a in Assistant.objects.select_related("mandant")}
    today = timezone.localdate()
    created = 0
    for entry in entries:
        mandant = mandants[entry.mandant]
        if Service.objects.filter(mandant=mandant, leika_key=keys[entry.name]).exists():
            continue
        assistant = assistants.get((entry.mandant, entry.assistant)) if entry.assistant else None
        service_save(
            service=Service(mandant=mandant),
            actor=None,
            name=entry.name,
            leika_key=keys[entry.name],
            unit=OrganisationalUnit.objects.get(mandant=mandant, code=entry.unit),
            channel=entry.channel,
            assistant=assistant,
            yearly_volume=entry.volume,
            criteria=criteria_for(entry.level, rng),
            online_since=today - datetime.timedelta(days=rng.randint(60, 2200)) if entry.level >= 3 else None,
        )
        created += 1
    return created


# --- ideas ------------------------------------------------------------------------------------

# Ratings in the order zeitersparnis, aufwand, rechtspflicht, strategie, nachnutzung; the demand
# comes from the service's cases where a service is named.
RATED = ("zeitersparnis", "aufwand", "rechtspflicht", "strategie", "nachnutzung")


@dataclass(frozen=True)
class DemoIdea:
    author: str
    unit: str
    title: str
    description: str
    benefit: str = ""
    service: str = ""
    ratings: tuple[int, ...] = ()
    decision: str = ""
    reason: str = ""


IDEAS = (
    DemoIdea(
        "sachbearbeitung",
        "zulassung",
        "Online-Terminvergabe für die Kfz-Zulassung",
        "Heute rufen viele an, um einen Termin zu bekommen, und morgens ist die Warteschlange vor der "
        "Zulassungsstelle lang. Ein Online-Terminkalender mit Erinnerung per E-Mail würde das entzerren.",
        "Etwa 40 Anrufe weniger am Tag, kürzere Wartezeiten.",
        "Neuzulassung eines Fahrzeugs",
        (4, 1, 1, 3, 5),
        Idea.Decision.IMPLEMENT,
        "Hohe Nachfrage bei geringem Aufwand; das Terminmodul des Nachbarkreises kann nachgenutzt werden.",
    ),
    DemoIdea(
        "sachbearbeitung",
        "schuelerbefoerderung",
        "Schulbestätigung digital statt auf Papier",
        "Eltern drucken die Schulbestätigung aus, lassen sie in der Schule stempeln und laden sie als Foto "
        "hoch. Die Schulen könnten die Bestätigung direkt digital liefern.",
        "Rund 1.500 Nachforderungen weniger pro Schuljahr, schnellere Bescheide vor Schuljahresbeginn.",
        "Schülerbeförderung (Schülerticket und Kostenerstattung)",
        (4, 2, 2, 4, 2),
        Idea.Decision.IMPLEMENT,
        "Die Spitzenlast im Sommer bindet das Sachgebiet; die Entlastung hat Vorrang.",
    ),
    DemoIdea(
        "formulare",
        "gewerbe",
        "Gewerbeanzeigen ohne Abtippen ins Fachverfahren",
        "Die Online-Gewerbeanmeldungen werden heute ausgedruckt und im Fachverfahren neu erfasst. Über "
        "XGewerbeanzeige könnten sie direkt übernommen werden.",
        "Etwa 600 Stunden Erfassung im Jahr, keine Tippfehler mehr bei der Weitergabe an die Kammern.",
        "Gewerbeanmeldung",
        (5, 3, 3, 4, 3),
        Idea.Decision.IMPLEMENT,
        "Beseitigt einen Medienbruch; die Schnittstelle ist ein Standard (XGewerbeanzeige).",
    ),
    DemoIdea(
        "leitung",
        "sozialamt",
        "Wohngeld über den EfA-Dienst anbieten",
        "Andere Länder bieten Wohngeld online über einen EfA-Dienst an. Wir sollten ihn nachnutzen, statt "
        "eigene PDF-Formulare zu pflegen.",
        "Vollständigere Anträge, weniger Nachforderungen, kürzere Bearbeitungszeit.",
        "Wohngeld",
        (3, 2, 4, 4, 5),
        Idea.Decision.IMPLEMENT,
        "Der EfA-Dienst ist verfügbar, die Leistung ist nach dem OZG online anzubieten.",
    ),
    DemoIdea(
        "sachbearbeitung",
        "waffen",
        "Waffenrechtliche Anträge online",
        "Jägerinnen, Jäger und Sportschützen kommen für jede Eintragung persönlich vorbei. Ein Online-Antrag "
        "mit Upload der Erwerbsberechtigung würde viele Wege sparen.",
        "Etwa 1.000 Vorsprachen weniger im Jahr.",
        "Waffenbesitzkarte",
        (3, 3, 2, 2, 3),
        Idea.Decision.IMPLEMENT,
        "Viele Vorsprachen; der Antrag lässt sich als Antragsassistent in kreiswerk abbilden.",
    ),
    DemoIdea(
        "archiv",
        "waffen",
        "Jagdschein-Verlängerung ohne Vorsprache",
        "Die Verlängerung des Jagdscheins ist jedes Jahr gleich: Versicherungsnachweis hochladen, Gebühr "
        "bezahlen. Das ginge vollständig online.",
        "Weniger Publikumsverkehr im Frühjahr.",
        "Jagdschein (Erteilung und Verlängerung)",
        (2, 1, 1, 2, 2),
        Idea.Decision.IMPLEMENT,
        "Geringer Aufwand; baut auf dem Projekt zu den waffenrechtlichen Anträgen auf.",
    ),
    DemoIdea(
        "digitalisierung",
        "org-it",
        "Chatbot für häufige Bürgerfragen",
        "Die Telefonzentrale beantwortet immer wieder dieselben Fragen: Öffnungszeiten, Unterlagen, "
        "Zuständigkeit. Ein Chatbot auf der Website könnte einen Teil davon beantworten.",
        "Entlastung der Telefonzentrale, Auskunft auch abends und am Wochenende.",
        "",
        (3, 3, 0, 4, 4),
        Idea.Decision.IMPLEMENT,
        "Pilot mit dem Chatbot des Landes (Nachnutzung), zunächst für das Straßenverkehrsamt.",
    ),
    DemoIdea(
        "kasse",
        "kaemmerei",
        "Mahnungen per E-Mail statt per Post",
        "Zahlungserinnerungen gehen heute als Brief hinaus. Wer ein Nutzerkonto hat, könnte sie ins Postfach bekommen.",
        "Porto und Druck sparen, schnellere Zahlungseingänge.",
        "",
        (2, 1, 0, 2, 1),
        Idea.Decision.DEFER,
        "Erst nach der Einführung der E-Rechnung; die elektronische Bekanntgabe ist rechtlich zu prüfen.",
    ),
    DemoIdea(
        "leitung",
        "hauptamt",
        "Sitzungsunterlagen für den Kreistag nur noch digital",
        "Die Sitzungsunterlagen werden für jede Sitzung gedruckt und verschickt. Alle Kreisrätinnen und "
        "Kreisräte haben inzwischen ein Tablet.",
        "Etwa 120.000 Blatt Papier im Jahr.",
        "",
        (3, 2, 1, 4, 3),
        Idea.Decision.DEFER,
        "Das Ratsinformationssystem wird 2027 ersetzt; die Idee wird dann mit umgesetzt.",
    ),
    DemoIdea(
        "sachbearbeitung",
        "fahrerlaubnis",
        "Lichtbild für den Führerschein elektronisch übermitteln",
        "Das biometrische Foto könnte das Fotostudio direkt elektronisch übermitteln, wie beim Personalausweis.",
        "Keine eingescannten Fotos mehr, weniger Rückfragen wegen der Bildqualität.",
        "Pflichtumtausch des Führerscheins",
        (3, 4, 1, 2, 2),
        Idea.Decision.DEFER,
        "Hängt vom Bundesvorhaben zur elektronischen Lichtbildübermittlung ab; 2027 erneut vorlegen.",
    ),
    DemoIdea(
        "formulare",
        "personal",
        "Urlaubsantrag im Mitarbeiterportal",
        "Urlaubsanträge laufen auf Papier über die Vorgesetzten zur Personalabteilung.",
        "Weniger Papier, Resturlaub jederzeit sichtbar.",
        "",
        (2, 2, 0, 1, 1),
        Idea.Decision.REJECT,
        "Das neue Personalmanagementsystem bringt den Urlaubsantrag mit; kein eigenes Projekt nötig.",
    ),
    DemoIdea(
        "archiv",
        "hauptamt",
        "Aktenvernichtung per App dokumentieren",
        "Die Vernichtung von Akten wird heute in Listen auf Papier dokumentiert.",
        "Nachweis der Vernichtung auf Knopfdruck.",
        "",
        (1, 3, 1, 1, 0),
        Idea.Decision.REJECT,
        "Die Aussonderung in kreiswerk dokumentiert die Vernichtung bereits; der zusätzliche Nutzen ist gering.",
    ),
    DemoIdea(
        "sachbearbeitung",
        "jugendamt",
        "Unterhaltsvorschuss: Nachweise direkt von der Familienkasse",
        "Für den Unterhaltsvorschuss fordern wir den Kindergeldnachweis bei den Eltern an. Die Familienkasse "
        "könnte ihn auf Anfrage elektronisch liefern.",
        "Kürzere Bearbeitung, weniger Nachforderungen.",
        "Unterhaltsvorschuss",
        (3, 4, 2, 3, 2),
    ),
    DemoIdea(
        "leitung",
        "gesundheitsamt",
        "Einschulungsuntersuchung: Termine online buchen",
        "Die Termine für die Einschulungsuntersuchung werden per Brief vergeben, viele werden telefonisch verschoben.",
        "Weniger Telefonate, weniger ausgefallene Termine.",
        "Einschulungsuntersuchung",
        (2, 1, 1, 2, 3),
    ),
    DemoIdea(
        "kasse",
        "kaemmerei",
        "Kartenzahlung in allen Außenstellen",
        "In zwei Außenstellen kann nur bar bezahlt werden.",
        "Weniger Bargeld, schnellere Abrechnung.",
        "",
        (1, 2, 0, 2, 1),
    ),
    DemoIdea(
        "formulare",
        "baurechtsamt",
        "Digitale Bauakte für alle laufenden Verfahren",
        "Bauanträge kommen über das Landesportal digital herein, werden aber auf Papier weiterbearbeitet und "
        "an die Fachbehörden verschickt.",
        "Schnellere Beteiligung der Fachbehörden, kein Aktenversand mehr.",
        "Bauantrag",
        (4, 5, 2, 4, 2),
    ),
    DemoIdea(
        "digitalisierung",
        "org-it",
        "Gemeinsame Formularbibliothek mit den Gemeinden",
        "Landkreis und Gemeinden pflegen dieselben Formulare mehrfach. Eine gemeinsame Bibliothek von "
        "Antragsassistenten spart doppelte Arbeit.",
        "Jeder Assistent wird einmal gebaut und von allen genutzt.",
        "",
        (3, 2, 0, 4, 5),
    ),
    DemoIdea(
        "sachbearbeitung",
        "auslaender",
        "Digitaler Wartestand für die Ausländerbehörde",
        "Viele fragen telefonisch nach dem Stand ihres Antrags auf einen Aufenthaltstitel.",
        "Deutlich weniger Sachstandsanfragen.",
        "Aufenthaltstitel (Erteilung und Verlängerung)",
        (3, 2, 0, 3, 3),
    ),
    DemoIdea(
        "archiv",
        "hauptamt",
        "Scanstelle für den zentralen Posteingang",
        "Briefe werden heute in jedem Amt einzeln geöffnet und kopiert. Eine zentrale Scanstelle könnte die "
        "Post digital in die E-Akte geben.",
        "Post am selben Tag im richtigen Vorgang, kein Umlauf von Papier.",
        "",
        (4, 3, 1, 4, 2),
    ),
    DemoIdea(
        "administration",
        "org-it",
        "Single Sign-on für alle Fachverfahren",
        "Beschäftigte melden sich an bis zu acht Fachverfahren einzeln an.",
        "Weniger vergessene Passwörter, weniger Anrufe bei der IT-Hotline.",
        "",
        (2, 4, 0, 3, 2),
    ),
    DemoIdea(
        "leitung",
        "veterinaeramt",
        "Kontrollberichte der Lebensmittelüberwachung auf dem Tablet",
        "Die Kontrolleurinnen schreiben ihre Berichte im Betrieb auf Papier und tippen sie im Büro ab.",
    ),
    DemoIdea(
        "sachbearbeitung",
        "gewerbe",
        "Gaststättenerlaubnis als Online-Antrag",
        "Die Gaststättenerlaubnis wird noch mit einem PDF-Formular beantragt, die Nachweise kommen per Post.",
        service="Gaststättenerlaubnis",
    ),
    DemoIdea(
        "kasse",
        "kaemmerei",
        "Online-Bezahlung für alle gebührenpflichtigen Leistungen",
        "Nur wenige Leistungen können online bezahlt werden; für die übrigen verschicken wir Rechnungen.",
        "Weniger offene Forderungen und Mahnungen.",
    ),
    DemoIdea(
        "formulare",
        "schulamt",
        "Gastschulantrag digital",
        "Der Gastschulantrag geht zwischen Eltern, zwei Schulen und zwei Schulträgern auf Papier hin und her.",
        service="Gastschulantrag",
    ),
    DemoIdea(
        "digitalisierung",
        "landwirtschaftsamt",
        "Stellungnahmen der Gemeinden zum Grundstücksverkehr digital einholen",
        "Für jede Grundstücksverkehrsgenehmigung schreiben wir die Gemeinde per Brief an.",
        service="Grundstücksverkehrsgenehmigung",
    ),
    DemoIdea(
        "archiv",
        "forstamt",
        "Brennholz-Verkauf mit Online-Bezahlung",
        "Brennholz kann online bestellt, aber nur per Überweisung bezahlt werden.",
        service="Brennholz aus dem Kreiswald",
    ),
    DemoIdea(
        "sachbearbeitung",
        "sozialamt",
        "Bildungs- und Teilhabeleistungen per Smartphone beantragen",
        "Familien reichen für jeden Schulausflug einen Papierantrag ein. Ein kurzer Antrag auf dem Smartphone "
        "mit Foto der Rechnung würde genügen.",
        service="Bildungs- und Teilhabeleistungen",
    ),
    DemoIdea(
        "leitung",
        "strassenverkehrsamt",
        "Portal für verkehrsrechtliche Anordnungen",
        "Baufirmen schicken ihre Verkehrszeichenpläne per E-Mail; Rückfragen laufen über das Telefon.",
        service="Verkehrsrechtliche Anordnung für Baustellen",
    ),
    DemoIdea(
        "administration",
        "org-it",
        "Videoberatung für Bürgerinnen und Bürger",
        "Viele Beratungen, etwa im Sozialamt, könnten per Video stattfinden, ohne Anfahrt ins Landratsamt.",
    ),
    DemoIdea(
        "kasse",
        "personal",
        "Reisekostenabrechnung direkt aus dem Dienstreiseantrag",
        "Die Angaben des Dienstreiseantrags werden für die Abrechnung noch einmal von Hand erfasst.",
        "Etwa 300 Stunden im Jahr in der Reisekostenstelle.",
        "Dienstreiseantrag (intern)",
    ),
)


def _idea_dates(rng: random.Random, now: datetime.datetime) -> list[tuple]:
    """(submitted, decided or None) per idea: a decision to implement shortly before its project starts,
    the others decided at the team's meetings of the last year; open ideas from the last 15 months."""
    project_start = {spec.idea: spec.months_ago for spec in PROJECTS if spec.idea}
    other_meetings = iter((10, 7, 4, 2.5, 1))
    dates = []
    for spec in IDEAS:
        if spec.decision:
            months = project_start[spec.title] if spec.title in project_start else next(other_meetings)
            decided = now - datetime.timedelta(days=months * 30.4 + 10, hours=rng.uniform(0, 6))
            dates.append((decided - datetime.timedelta(days=rng.uniform(30, 90)), decided))
        else:
            days = rng.uniform(200, 450) if spec.ratings else rng.uniform(7, 180)
            dates.append((now - datetime.timedelta(days=days, hours=rng.uniform(0, 9)), None))
    return dates


def _idea_submissions(assistant: Assistant, users: dict, ideas: list[tuple]) -> list[Submission]:
    """The internal assistant's submissions the ideas came in with (the intake's answer keys)."""
    version = assistant.versions.get(state=AssistantVersion.State.PUBLISHED)
    keys = leika_keys(catalogue_entries())
    rows = []
    for idea, (submitted, _decided) in ideas:
        author = users[idea.author]
        answers = {
            "vorname": author.first_name,
            "nachname": author.last_name,
            "dienststelle": OrganisationalUnit.objects.get(mandant=assistant.mandant, code=idea.unit).name,
            "email": author.email,
            "titel": idea.title,
            "beschreibung": idea.description,
            "erklaerung": True,
        }
        if idea.benefit:
            answers["nutzen"] = idea.benefit
        if idea.service:
            answers["leika"] = keys[idea.service]
        rows.append(
            Submission(
                reference="",
                mandant=assistant.mandant,
                unit=assistant.unit,
                assistant=assistant,
                version=version,
                payload={"answers": answers, "computed": {}},
                idempotency_key=uuid.uuid4(),
                submitted_at=submitted,
                staff_author=author,
            )
        )
    _references_assign(assistant.mandant, rows)
    _idea_steps_count(version, [row.submitted_at for row in rows])
    with _backdated(Submission, "submitted_at"):
        return Submission.objects.bulk_create(rows)


def _idea_steps_count(version: AssistantVersion, submitted: list[datetime.datetime]) -> None:
    """Each idea went through every step of the assistant: the drop-off figures count them as begun."""
    steps = [StepCount.STARTED, *(step.key for step in version.parsed.steps)]
    counted = Counter((step, timezone.localtime(moment).date()) for moment in submitted for step in steps)
    for (step, day), count in counted.items():
        row, created = StepCount.objects.get_or_create(
            assistant_id=version.assistant_id, step=step, day=day, defaults={"count": count}
        )
        if not created:  # someone used the assistant that day already
            StepCount.objects.filter(pk=row.pk).update(count=F("count") + count)
    months_sum(STEPS, [day for _step, day in counted])


def _ideas_create(county: Mandant, users: dict, rng: random.Random, now: datetime.datetime) -> list[Idea]:
    assistant = Assistant.objects.get(mandant=county, slug=IDEA_ASSISTANT)
    # Numbered in the order they came in, as the intake numbers them.
    ordered = sorted(zip(IDEAS, _idea_dates(rng, now), strict=True), key=lambda item: item[1][0])
    submissions = _idea_submissions(assistant, users, ordered)
    criteria = {criterion.key: criterion for criterion in scoring_criteria_ensure(mandant=county)}
    team = users["digitalisierung"]
    ideas = []
    for (spec, (_submitted, decided)), submission in zip(ordered, submissions, strict=True):
        service = Service.objects.filter(mandant=county, name=spec.service).first() if spec.service else None
        idea = idea_create(
            mandant=county,
            title=spec.title,
            description=spec.description,
            benefit=spec.benefit,
            author=users[spec.author],
            unit=OrganisationalUnit.objects.get(mandant=county, code=spec.unit),
            service=service,
            submission=submission,
        )
        Idea.objects.filter(pk=idea.pk).update(created_at=submission.submitted_at)
        if spec.ratings:
            idea_rate(
                idea=idea,
                values={criteria[key]: value for key, value in zip(RATED, spec.ratings, strict=True)},
                actor=team,
            )
        if spec.decision:
            idea_decide(idea=idea, decision=spec.decision, reason=spec.reason, actor=team)
            Idea.objects.filter(pk=idea.pk).update(decided_at=decided)
        ideas.append(idea)
    return ideas


# --- projects ---------------------------------------------------------------------------------

PHASE_ORDER = list(Phase.values)


@dataclass(frozen=True)
class DemoProject:
    title: str
    unit: str
    phase: str
    months_ago: float
    idea: str = ""  # the title of the idea decided "umsetzen" it comes from
    service: str = ""
    description: str = ""
    sponsor: str = "leitung"
    lead: str = "digitalisierung"
    team: tuple[str, ...] = ("sachbearbeitung",)
    pilot: str = "formulare"
    status: tuple[str, str] = (Project.Status.GREEN, "")
    money: tuple[int, int, int, int] = (0, 0, 0, 0)  # budget planned/used in euro, staff days planned/used
    goals: tuple[tuple, ...] = ()  # (text, indicator, baseline, target, actual, unit)
    risks: tuple[tuple, ...] = ()  # (dimension, description, likelihood, impact, mitigation)


PROJECTS = (
    DemoProject(
        "Online-Terminvergabe Kfz-Zulassung",
        "zulassung",
        Phase.CLOSED,
        22,
        idea="Online-Terminvergabe für die Kfz-Zulassung",
        description="Terminkalender für die Zulassungsstelle mit Erinnerung per E-Mail, nachgenutzt vom Nachbarkreis.",
        team=("sachbearbeitung", "administration"),
        pilot="sachbearbeitung",
        money=(18000, 16400, 60, 58),
        goals=(
            ("Wartezeit vor Ort senken", "mittlere Wartezeit", 48, 15, 12, "Minuten"),
            ("Telefonische Terminanfragen verringern", "Anrufe pro Tag", 60, 20, 18, "Anrufe"),
        ),
        risks=(
            (
                Risk.Dimension.CULTURAL,
                "Ältere Kundschaft nutzt den Online-Kalender nicht",
                2,
                1,
                "Telefonische Buchung bleibt",
            ),
            (
                Risk.Dimension.ORGANISATIONAL,
                "Terminraster passt nicht zu den Schaltern",
                1,
                2,
                "Raster nach vier Wochen prüfen",
            ),
        ),
    ),
    DemoProject(
        "E-Akte im Jugendamt",
        "jugendamt",
        Phase.IMPLEMENTATION,
        16,
        description="Einführung der E-Akte in allen Sachgebieten des Jugendamts, Altakten werden bei Bedarf gescannt.",
        sponsor="leitung",
        lead="digitalisierung",
        team=("archiv", "administration"),
        pilot="archiv",
        status=(Project.Status.RED, "Zwei Stellen im Sachgebiet unbesetzt; Schulungen mussten verschoben werden."),
        money=(240000, 151000, 420, 310),
        goals=(("Alle neuen Vorgänge elektronisch führen", "Anteil E-Akte an neuen Vorgängen", 0, 100, 55, "%"),),
        risks=(
            (
                Risk.Dimension.PERSONNEL,
                "Unbesetzte Stellen verzögern Schulung und Umstellung",
                3,
                3,
                "Schulung in kleinen Gruppen, Springerkraft",
            ),
            (
                Risk.Dimension.LEGAL,
                "Sozialdatenschutz bei Scandienstleister",
                2,
                3,
                "Scannen im Haus, Auftragsverarbeitung geprüft",
            ),
            (
                Risk.Dimension.CULTURAL,
                "Vorbehalte gegen Arbeiten am Bildschirm",
                2,
                2,
                "Digitallotsen im Team, zweiter Bildschirm",
            ),
        ),
    ),
    DemoProject(
        "Schulbestätigung digital in der Schülerbeförderung",
        "schuelerbefoerderung",
        Phase.ROLLOUT,
        18,
        idea="Schulbestätigung digital statt auf Papier",
        description="Schulen bestätigen den Schulbesuch im Assistenten; das Foto der Bescheinigung entfällt.",
        team=("sachbearbeitung", "formulare"),
        pilot="sachbearbeitung",
        money=(35000, 29000, 90, 84),
        goals=(
            ("Nachforderungen verringern", "Anträge mit Nachforderung", 1500, 300, 640, "Anträge"),
            ("Bescheid vor Schuljahresbeginn", "Anteil bis 1. September beschieden", 62, 95, 81, "%"),
        ),
        risks=(
            (
                Risk.Dimension.ORGANISATIONAL,
                "Nicht alle Schulen machen mit",
                2,
                2,
                "Schulleiterdienstbesprechung, Anleitung",
            ),
            (
                Risk.Dimension.STRATEGIC,
                "Landeslösung für Schülerdaten könnte folgen",
                1,
                2,
                "Schnittstelle offen halten",
            ),
        ),
    ),
    DemoProject(
        "Bauantrag digital mit dem Virtuellen Bauamt",
        "baurechtsamt",
        Phase.ROLLOUT,
        20,
        service="Bauantrag",
        description="Bauanträge über das Landesportal annehmen und die Fachbehörden digital beteiligen.",
        lead="formulare",
        team=("sachbearbeitung", "administration"),
        pilot="formulare",
        status=(Project.Status.AMBER, "Die Beteiligung der Gemeinden läuft erst in acht von zwölf Gemeinden digital."),
        money=(95000, 88000, 260, 275),
        goals=(("Bauanträge digital beteiligen", "Anteil digital beteiligter Bauanträge", 0, 90, 64, "%"),),
        risks=(
            (
                Risk.Dimension.ORGANISATIONAL,
                "Gemeinden ohne E-Akte beteiligen weiter auf Papier",
                3,
                2,
                "Zugang über das Beteiligungsportal",
            ),
            (
                Risk.Dimension.FINANCIAL,
                "Mehrkosten für großformatige Scans",
                2,
                1,
                "Sammelbeschaffung mit Nachbarkreis",
            ),
        ),
    ),
    DemoProject(
        "Gewerbeanzeigen direkt ins Fachverfahren",
        "gewerbe",
        Phase.IMPLEMENTATION,
        15,
        idea="Gewerbeanzeigen ohne Abtippen ins Fachverfahren",
        description="Übergabe der Gewerbeanzeigen aus kreiswerk an das Gewerbe-Fachverfahren über XGewerbeanzeige.",
        lead="formulare",
        team=("sachbearbeitung", "administration"),
        pilot="sachbearbeitung",
        status=(Project.Status.AMBER, "Der Hersteller liefert die Schnittstelle zwei Monate später als zugesagt."),
        money=(42000, 23000, 110, 70),
        goals=(("Keine Neuerfassung mehr", "Gewerbeanzeigen ohne Neuerfassung", 0, 95, None, "%"),),
        risks=(
            (Risk.Dimension.FINANCIAL, "Zusatzkosten für das Schnittstellenmodul", 2, 2, "Festpreis vereinbart"),
            (Risk.Dimension.STRATEGIC, "Abhängigkeit von einem Hersteller", 2, 2, "Nur Standardformat XGewerbeanzeige"),
        ),
    ),
    DemoProject(
        "E-Rechnung (XRechnung) im Rechnungseingang",
        "kaemmerei",
        Phase.IMPLEMENTATION,
        14,
        service="Rechnung an das Landratsamt (XRechnung)",
        description="Elektronische Rechnungen werden gelesen, geprüft und im Workflow freigegeben.",
        sponsor="kasse",
        lead="digitalisierung",
        team=("kasse", "administration"),
        pilot="kasse",
        money=(60000, 38000, 150, 96),
        goals=(
            ("Rechnungen elektronisch empfangen", "Anteil XRechnung am Rechnungseingang", 12, 80, 61, "%"),
            ("Skonto nutzen", "Rechnungen mit gezogenem Skonto", 40, 90, 72, "%"),
        ),
        risks=(
            (
                Risk.Dimension.LEGAL,
                "Aufbewahrungspflichten für elektronische Belege",
                1,
                3,
                "Abstimmung mit der Gemeindeprüfungsanstalt",
            ),
            (
                Risk.Dimension.CULTURAL,
                "Freigabe am Bildschirm statt mit Unterschrift",
                2,
                1,
                "Schulung der Anordnungsbefugten",
            ),
        ),
    ),
    DemoProject(
        "Wohngeld-Antrag über den EfA-Dienst",
        "sozialamt",
        Phase.APPROVAL,
        8,
        idea="Wohngeld über den EfA-Dienst anbieten",
        description="Anschluss an den EfA-Dienst Wohngeld und Übernahme der Anträge in das Fachverfahren.",
        team=("sachbearbeitung",),
        pilot="sachbearbeitung",
        money=(25000, 4000, 70, 18),
        goals=(("Wohngeld online beantragen", "Anteil Online-Anträge", 0, 60, None, "%"),),
        risks=(
            (
                Risk.Dimension.LEGAL,
                "Vertrag zur Nachnutzung des EfA-Dienstes noch nicht gezeichnet",
                2,
                2,
                "Beitritt über den Landesvertrag",
            ),
            (
                Risk.Dimension.PERSONNEL,
                "Wohngeldreform bindet das Sachgebiet",
                2,
                2,
                "Einführung nach der Antragsspitze",
            ),
        ),
    ),
    DemoProject(
        "Führerschein-Umtausch online",
        "fahrerlaubnis",
        Phase.APPROVAL,
        7,
        service="Pflichtumtausch des Führerscheins",
        description="Pflichtumtausch über den Online-Dienst mit Lichtbild-Upload und Online-Bezahlung.",
        team=("sachbearbeitung", "kasse"),
        pilot="sachbearbeitung",
        money=(20000, 3000, 45, 12),
        goals=(("Umtausch ohne Vorsprache", "Anteil Online-Umtausch", 5, 50, None, "%"),),
        risks=(
            (Risk.Dimension.ORGANISATIONAL, "Stichtage bündeln die Anträge", 3, 2, "Aufruf nach Geburtsjahrgängen"),
        ),
    ),
    DemoProject(
        "Waffenrechtliche Anträge online",
        "waffen",
        Phase.CONCEPT,
        5,
        idea="Waffenrechtliche Anträge online",
        description="Assistenten für Waffenbesitzkarte und Eintragungen, mit Abgleich im Nationalen Waffenregister.",
        lead="formulare",
        team=("sachbearbeitung",),
        pilot="sachbearbeitung",
        status=(Project.Status.AMBER, "Die Anbindung an das Nationale Waffenregister ist noch ungeklärt."),
        money=(30000, 2500, 80, 15),
        goals=(("Vorsprachen verringern", "Vorsprachen pro Jahr", 1000, 300, None, "Vorsprachen"),),
        risks=(
            (
                Risk.Dimension.LEGAL,
                "Identifizierung auf dem Niveau substanziell nötig",
                2,
                3,
                "BundID mit Online-Ausweis",
            ),
            (
                Risk.Dimension.STRATEGIC,
                "Bundeslösung für das Waffenrecht angekündigt",
                2,
                2,
                "Nur kleiner Umfang, Nachnutzung prüfen",
            ),
        ),
    ),
    DemoProject(
        "Digitaler Posteingang mit zentraler Scanstelle",
        "hauptamt",
        Phase.CONCEPT,
        4,
        description="Die Eingangspost wird zentral gescannt und digital an die Ämter verteilt.",
        lead="digitalisierung",
        team=("archiv", "administration"),
        pilot="archiv",
        money=(120000, 6000, 200, 20),
        goals=(("Post am Eingangstag digital verteilen", "Anteil am selben Tag verteilter Post", 0, 95, None, "%"),),
        risks=(
            (
                Risk.Dimension.PERSONNEL,
                "Scanstelle braucht zwei zusätzliche Stellen",
                2,
                2,
                "Umsetzung aus der Poststelle",
            ),
            (Risk.Dimension.FINANCIAL, "Investition in Hochleistungsscanner", 2, 2, "Mietmodell prüfen"),
        ),
    ),
    DemoProject(
        "Jagdschein-Verlängerung online",
        "waffen",
        Phase.INITIATION,
        1,
        idea="Jagdschein-Verlängerung ohne Vorsprache",
        lead="formulare",
        team=("sachbearbeitung",),
        pilot="sachbearbeitung",
        money=(8000, 0, 25, 2),
    ),
    DemoProject(
        "Chatbot für häufige Bürgerfragen",
        "org-it",
        Phase.INITIATION,
        0.5,
        idea="Chatbot für häufige Bürgerfragen",
        sponsor="administration",
        lead="digitalisierung",
        team=("administration",),
        pilot="formulare",
        money=(15000, 0, 40, 3),
        risks=(
            (
                Risk.Dimension.CULTURAL,
                "Falsche Antworten schaden dem Vertrauen",
                2,
                2,
                "Nur geprüfte Antworten, Übergabe an Menschen",
            ),
        ),
    ),
)

CONCEPT = (
    "Ausgangslage und Ziele, Soll-Prozess mit den Beteiligten, Datenschutz-Folgenabschätzung, "
    "Schnittstellen, Schulungs- und Einführungsplan, Kosten und Nutzen. Abgestimmt mit dem Fachbereich "
    "und dem Personalrat."
)
CONCEPT_DRAFT = (
    "Entwurf: Ausgangslage und Ziele stehen; Soll-Prozess und Schnittstellen werden mit dem Fachbereich erarbeitet."
)
MILESTONES = {
    Phase.CONCEPT: "Projektauftrag erteilt",
    Phase.APPROVAL: "Fachkonzept vorgelegt",
    Phase.IMPLEMENTATION: "Fachkonzept freigegeben",
    Phase.ROLLOUT: "Pilotbetrieb abgeschlossen",
    Phase.CLOSED: "Abnahme und Abschluss",
}


def _project_create(county: Mandant, spec: DemoProject, ideas: dict, users: dict, now) -> Project:
    team = users["digitalisierung"]
    started = now - datetime.timedelta(days=spec.months_ago * 30.4)
    planned, used, days_planned, days_used = spec.money
    project = project_create(
        mandant=county,
        unit=OrganisationalUnit.objects.get(mandant=county, code=spec.unit),
        title=spec.title,
        actor=team,
        idea=ideas.get(spec.idea),
        description=spec.description,
        budget_planned=planned,
        budget_used=used,
        days_planned=days_planned,
        days_used=days_used,
        **({"service": Service.objects.filter(mandant=county, name=spec.service).first()} if spec.service else {}),
    )
    roles = [(spec.sponsor, ProjectMember.Role.SPONSOR), (spec.lead, ProjectMember.Role.LEAD)]
    roles += [(name, ProjectMember.Role.TEAM) for name in spec.team] + [(spec.pilot, ProjectMember.Role.PILOT)]
    for name, role in roles:
        project_member_add(project=project, user=users[name], role=role, actor=team)
    target = PHASE_ORDER.index(spec.phase)
    # Each gate is passed by the role that owns it, spread evenly from the start until a few weeks ago.
    steps = [GATES[phase] for phase in PHASE_ORDER[:target]]
    span = max((now - started).days - 14, 1)
    for number, gate in enumerate(steps, start=1):
        if gate.to_phase == Phase.APPROVAL:
            project_concept_set(project=project, concept=CONCEPT, actor=users[spec.lead])
        owner = spec.sponsor if gate.owner == ProjectMember.Role.SPONSOR else spec.lead
        project = gate_pass(project=project, actor=users[owner], note=str(gate.label))
        moment = started + datetime.timedelta(days=span * number / (len(steps) + 1))
        project.gates.filter(to_phase=gate.to_phase).update(approved_at=moment)
        Milestone.objects.create(
            project=project, title=MILESTONES[gate.to_phase], due=moment.date(), done_on=moment.date()
        )
    if spec.phase == Phase.CONCEPT:  # being written
        project_concept_set(project=project, concept=CONCEPT_DRAFT, actor=users[spec.lead])
    gates = {gate.to_phase: gate.approved_at for gate in project.gates.all()}
    Project.objects.filter(pk=project.pk).update(
        created_at=started,
        phase_since=gates.get(spec.phase, started),
        concept_approved_at=gates.get(Phase.IMPLEMENTATION),
    )
    upcoming = PHASE_ORDER[target + 1 :]
    for offset, phase in enumerate(upcoming, start=1):
        Milestone.objects.create(
            project=project, title=MILESTONES[phase], due=(now + datetime.timedelta(days=75 * offset)).date()
        )
    for text, indicator, baseline, target_value, actual, unit_label in spec.goals:
        Goal.objects.create(
            project=project,
            text=text,
            indicator=indicator,
            baseline=baseline,
            target=target_value,
            actual=actual,
            unit_label=unit_label,
        )
    for dimension, description, likelihood, impact, mitigation in spec.risks:
        Risk.objects.create(
            project=project,
            dimension=dimension,
            description=description,
            likelihood=likelihood,
            impact=impact,
            mitigation=mitigation,
        )
    status, reason = spec.status
    if status != Project.Status.GREEN:
        project_status_set(project=project, status=status, reason=reason, actor=users[spec.lead])
    return project


def _projects_create(county: Mandant, ideas: list[Idea], users: dict, now) -> int:
    by_title = {idea.title: idea for idea in ideas}
    for spec in sorted(PROJECTS, key=lambda spec: -spec.months_ago):
        _project_create(county, spec, by_title, users, now)
    team = users["digitalisierung"]
    # Nine projects run at once against a programme limit of eight, three in Dezernat 2 against two.
    project_limit_set(mandant=county, unit=None, maximum=8, actor=team)
    project_limit_set(
        mandant=county, unit=OrganisationalUnit.objects.get(mandant=county, code="dez2"), maximum=2, actor=team
    )
    return len(PROJECTS)


# --- indicators kept by hand ------------------------------------------------------------------

# name, unit, source, target, dimension, value two years ago, value now
INDICATORS = (
    (
        "Homeoffice-fähige Arbeitsplätze",
        "Arbeitsplätze",
        "Personalamt, Dienstvereinbarung Telearbeit",
        450,
        Risk.Dimension.PERSONNEL,
        210,
        418,
    ),
    (
        "Beschäftigte mit verschlüsselter E-Mail",
        "Beschäftigte",
        "IT, Zertifikatsverwaltung (S/MIME)",
        900,
        Risk.Dimension.ORGANISATIONAL,
        180,
        764,
    ),
    (
        "E-Akte-Arbeitsplätze",
        "Arbeitsplätze",
        "IT, Lizenzverwaltung E-Akte",
        700,
        Risk.Dimension.ORGANISATIONAL,
        120,
        540,
    ),
    (
        "Anteil digitaler Rechnungseingang (XRechnung)",
        "%",
        "Kreiskasse, Rechnungseingangsbuch",
        80,
        Risk.Dimension.FINANCIAL,
        12,
        61,
    ),
    (
        "Beschäftigte mit Fortbildung Digitalkompetenz",
        "Beschäftigte",
        "Personalentwicklung, Fortbildungsstatistik",
        600,
        Risk.Dimension.CULTURAL,
        40,
        382,
    ),
)


def quarter_ends(today: datetime.date, years: int) -> list[datetime.date]:
    """The last day of every quarter that ended in the last ``years`` years, oldest first."""
    end = datetime.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1) - datetime.timedelta(days=1)
    ends = []
    for _index in range(4 * years):
        ends.append(end)
        end = datetime.date(end.year, end.month - 2, 1) - datetime.timedelta(days=1)
    return ends[::-1]


def _indicators_create(county: Mandant, users: dict, rng: random.Random) -> int:
    team = users["digitalisierung"]
    ends = quarter_ends(timezone.localdate(), YEARS)
    for name, unit_label, source, target, dimension, first, last in INDICATORS:
        indicator = Indicator.objects.create(
            mandant=county, name=name, unit_label=unit_label, source=source, target=target, dimension=dimension
        )
        for index, as_of in enumerate(ends):
            value = first + (last - first) * index / (len(ends) - 1)
            if 0 < index < len(ends) - 1:  # the way there is not a straight line
                value += rng.uniform(-0.03, 0.03) * (last - first)
            indicator_value_record(
                indicator=indicator, value=Decimal(round(value)), as_of=as_of, note="Quartalsmeldung", actor=team
            )
    return len(INDICATORS)


# --- generated submissions ---------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    yearly: int
    months: tuple[float, ...]  # relative volume January … December
    median_days: float  # processing time from receipt to closing
    fee: Decimal | None = None
    inquiry_share: float = 0.08
    internal: bool = False


PROFILES = {
    "gewerbeanmeldung": Profile(
        2400, (1.4, 1.1, 1.1, 1.0, 0.9, 0.9, 0.9, 0.8, 1.0, 1.0, 0.9, 1.0), 4, Decimal("26.00"), 0.12
    ),
    # Applications pile up before the school year: the summer brings three times the usual volume.
    "schuelerbefoerderung": Profile(3600, (0.5, 0.4, 0.4, 0.5, 0.8, 2.2, 3.0, 2.6, 1.4, 0.6, 0.5, 0.5), 12, None, 0.15),
    "reitkennzeichen": Profile(350, (3.0, 2.4, 1.6, 1.0, 0.7, 0.5, 0.4, 0.4, 0.4, 0.4, 0.5, 0.7), 3, Decimal("30.00")),
    "informationszugang": Profile(120, (1,) * 12, 21, None, 0.25),
    "dienstreiseantrag": Profile(
        1400, (0.8, 1.0, 1.2, 1.1, 1.1, 1.0, 0.7, 0.4, 1.2, 1.3, 1.3, 0.6), 2, None, 0.03, internal=True
    ),
    "hundeanmeldung": Profile(500, (0.8, 0.8, 1.1, 1.3, 1.3, 1.2, 1.1, 1.0, 1.0, 0.9, 0.8, 0.9), 6, None, 0.05),
}
PAID_ONLINE = 0.86  # of fee-bearing applications; the rest expire unpaid and never reach the E-Akte
DIGITAL_INTAKE = 0.96  # the others are printed and typed in (a Vorgangsart not yet set up, a failed import)
PAYMENT_METHODS = ("giropay", "kreditkarte", "paypal", "lastschrift")
QUESTIONS = (
    "Bitte reichen Sie den fehlenden Nachweis nach.",
    "Bitte bestätigen Sie Ihre Anschrift.",
    "Bitte laden Sie eine lesbare Kopie des Dokuments hoch.",
)


@contextmanager
def _backdated(model, *names: str):
    """Let bulk_create keep the given times of ``auto_now_add`` fields (generated history)."""
    fields = [model._meta.get_field(name) for name in names]
    for field in fields:
        field.auto_now_add = False
    try:
        yield
    finally:
        for field in fields:
            field.auto_now_add = True


def _references_assign(mandant: Mandant, rows: list[Submission]) -> None:
    """Aktenzeichen in the product's format, numbered per year after the counter, which moves on."""
    by_year: dict[int, list[Submission]] = defaultdict(list)
    for row in sorted(rows, key=lambda row: row.submitted_at):
        by_year[timezone.localtime(row.submitted_at).year].append(row)
    for year, items in by_year.items():
        counter, _created = ReferenceCounter.objects.get_or_create(mandant=mandant, year=year)
        for offset, row in enumerate(items, start=1):
            row.reference = f"{mandant.reference_prefix}-{year}-{counter.value + offset:06d}"
        counter.value += len(items)
        counter.save(update_fields=["value"])


def _daily_counts(profile: Profile, days: list[datetime.date], scale: float, rng: random.Random) -> list[int]:
    mean_month = sum(profile.months) / 12
    counts = []
    for index, day in enumerate(days):
        growth = 0.65 + 0.35 * index / max(len(days) - 1, 1)  # more people apply online every month
        weekday = (0 if day.weekday() >= 5 else 1.3) if profile.internal else (0.45 if day.weekday() >= 5 else 1.2)
        expected = profile.yearly / 365 * profile.months[day.month - 1] / mean_month * weekday * growth * scale
        counts.append(max(0, round(expected + rng.gauss(0, math.sqrt(expected)))) if expected else 0)
    return counts


@dataclass
class Generated:
    submissions: list
    payments: list
    akten: list
    cases: list
    inquiries: list
    step_counts: list


def _generate_assistant(assistant: Assistant, profile: Profile, *, users: dict, days, scale, rng, now, out) -> None:
    version = assistant.versions.get(state=AssistantVersion.State.PUBLISHED)
    case_version = published_case_type_for(assistant.pk)
    steps = [step.key for step in version.parsed.steps]
    # Of those reaching a step, 2–9 % give up on it; on one step (uploads, payment) many more do.
    dropout = [rng.uniform(0.02, 0.09) for _ in steps]
    dropout[rng.randrange(len(steps))] = rng.uniform(0.15, 0.3)
    staff = [users[name] for name in ("sachbearbeitung", "leitung", "formulare", "archiv", "kasse")]
    caseworker = users["sachbearbeitung"]
    rows = []
    for day, count in zip(days, _daily_counts(profile, days, scale, rng), strict=True):
        if not count:
            continue
        for _index in range(count):
            start = datetime.datetime.combine(day, datetime.time(7), tzinfo=timezone.get_current_timezone())
            moment = start + datetime.timedelta(minutes=rng.randint(0, 14 * 60))
            submission = Submission(
                reference="",
                mandant=assistant.mandant,
                unit=assistant.unit,
                assistant=assistant,
                version=version,
                payload={"answers": {}, "computed": {}},
                idempotency_key=uuid.uuid4(),
                submitted_at=moment,
                staff_author=rng.choice(staff) if profile.internal else None,
            )
            rows.append(submission)
            paid = True
            if profile.fee is not None:
                paid = rng.random() < PAID_ONLINE
                if paid:
                    out.payments.append(
                        Payment(
                            submission=submission,
                            provider="epaybl",
                            amount=profile.fee,
                            method=rng.choice(PAYMENT_METHODS),
                            status=Status.BOOKED,
                            created_at=moment + datetime.timedelta(minutes=1),
                            booked_at=moment + datetime.timedelta(minutes=rng.randint(2, 9)),
                        )
                    )
                else:
                    submission.awaiting_payment_since = moment
                    submission.payment_expired_at = moment + datetime.timedelta(hours=72)
            if paid and case_version is not None and rng.random() < DIGITAL_INTAKE:
                _case_for(submission, case_version, profile, caseworker=caseworker, rng=rng, now=now, out=out)
        _step_counts(assistant, day, steps, dropout, count, rng, out)
    _references_assign(assistant.mandant, rows)
    out.submissions.extend(rows)


def _step_counts(assistant, day, steps, dropout, submitted: int, rng, out) -> None:
    """Counts consistent with the day's submissions: more began than got past each step."""
    reached = submitted + round(submitted * rng.uniform(0, 0.04))  # past the last step, not yet sent
    counts = []
    for step, share in zip(reversed(steps), reversed(dropout), strict=True):
        counts.append((step, reached))
        reached = math.ceil(reached / (1 - share))
    counts.append((StepCount.STARTED, math.ceil(reached * rng.uniform(1.05, 1.2))))
    out.step_counts.extend(StepCount(assistant=assistant, step=step, day=day, count=count) for step, count in counts)


def _case_for(submission, case_version, profile: Profile, *, caseworker, rng, now, out) -> None:
    """A closed case opened from the submission: generated history never lands in anyone's inbox."""
    definition = case_version.parsed
    received = submission.submitted_at + datetime.timedelta(minutes=rng.randint(1, 5))
    season = 1.5 if profile.months[received.month - 1] > 1.5 else 1.0
    days = rng.lognormvariate(math.log(profile.median_days * season), 0.6)
    closed = received + datetime.timedelta(days=days, hours=rng.uniform(0, 6))
    if closed >= now:  # not due yet: closed early, so the demo's inboxes keep only their own cases
        closed = received + (now - received) * rng.uniform(0.2, 0.9)
    result = definition.results[0 if rng.random() < 0.85 else rng.randrange(len(definition.results))]
    status = next((s.key for s in definition.statuses if s.final), definition.statuses[-1].key)
    akte = Akte(
        mandant=case_version.case_type.mandant,
        unit=case_version.case_type.unit,
        filing_position=case_version.case_type.filing_position,
        title=definition.title,
        opened_at=received,
        closed_at=closed,
    )
    case = Case(
        akte=akte,
        mandant=akte.mandant,
        unit=akte.unit,
        case_type=case_version.case_type,
        version=case_version,
        submission=submission,
        status=status,
        status_changed_at=closed,
        is_open=False,
        result=result.key,
        received_at=received,
        closed_at=closed,
        retention_until=retention_until(closed_on=timezone.localtime(closed).date(), result=result),
        disposal=result.disposal,
    )
    out.akten.append(akte)
    out.cases.append(case)
    if rng.random() < profile.inquiry_share:
        asked = received + (closed - received) * rng.uniform(0.1, 0.5)
        out.inquiries.append(
            Inquiry(
                case=case,
                question=rng.choice(QUESTIONS),
                answer_by=timezone.localtime(asked).date() + datetime.timedelta(days=14),
                state=Inquiry.State.ANSWERED,
                asked_by=caseworker,
                asked_at=asked,
                answer="Die Unterlagen habe ich hochgeladen.",
                answered_at=asked + (closed - asked) * rng.uniform(0.2, 0.8),
            )
        )


def _file_references(cases: list[Case]) -> None:
    """Aktenzeichen for the generated cases, numbered after the product's counters, which move on."""
    patterns = dict(ReferencePattern.objects.values_list("mandant_id", "pattern"))
    by_key: dict[tuple[int, int], list[Case]] = defaultdict(list)
    for case in sorted(cases, key=lambda case: case.received_at):
        by_key[case.mandant_id, timezone.localtime(case.received_at).year].append(case)
    for (mandant_id, year), items in by_key.items():
        counter, _created = FileCounter.objects.get_or_create(mandant_id=mandant_id, year=year)
        for offset, case in enumerate(items, start=1):
            filing = case.case_type.filing_position
            case.reference = case.akte.reference = reference_format(
                patterns.get(mandant_id, DEFAULT_REFERENCE_PATTERN),
                prefix=case.mandant.reference_prefix,
                unit=case.unit.code,
                filing=filing.number if filing else "",
                year=year,
                number=counter.value + offset,
            )
        counter.value += len(items)
        counter.save(update_fields=["value"])


def _submissions_generate(users: dict, scale: float, rng: random.Random, now) -> int:
    today = timezone.localtime(now).date()
    days = [today - datetime.timedelta(days=offset) for offset in range(365 * YEARS, 0, -1)]  # until yesterday
    out = Generated([], [], [], [], [], [])
    assistants = Assistant.objects.filter(slug__in=list(PROFILES)).select_related("mandant", "unit")
    for assistant in assistants.order_by("pk"):
        _generate_assistant(
            assistant, PROFILES[assistant.slug], users=users, days=days, scale=scale, rng=rng, now=now, out=out
        )
    _file_references(out.cases)
    with _backdated(Submission, "submitted_at"):
        Submission.objects.bulk_create(out.submissions, batch_size=500)
    with _backdated(Payment, "created_at"):
        Payment.objects.bulk_create(out.payments, batch_size=500)
    with _backdated(Akte, "opened_at"):
        Akte.objects.bulk_create(out.akten, batch_size=500)
    Case.objects.bulk_create(out.cases, batch_size=500)
    with _backdated(Inquiry, "asked_at"):
        Inquiry.objects.bulk_create(out.inquiries, batch_size=500)
    StepCount.objects.bulk_create(out.step_counts, batch_size=500)
    return len(out.submissions)


# --- the whole ---------------------------------------------------------------------------------


def _idea_destination(county: Mandant) -> int:
    assistant = Assistant.objects.filter(mandant=county, slug=IDEA_ASSISTANT).first()
    if assistant is None or Destination.objects.filter(assistant=assistant, kind=Destination.Kind.IDEAS).exists():
        return 0
    destination_create(assistant=assistant, name=IDEA_DESTINATION, kind=Destination.Kind.IDEAS)
    return 1


def demo_cockpit_generate(*, scale: float = 1.0, seed: int = 2026) -> dict[str, int]:
    """Create the missing parts of the cockpit demo; returns how many of each were made."""
    rng = random.Random(seed)  # noqa: S311  # nosec B311 - invented demo data
    county = Mandant.objects.get(slug=COUNTY)
    mandants = {mandant.slug: mandant for mandant in Mandant.objects.filter(slug__in=(COUNTY, *TOWNS))}
    users = {user.username: user for user in get_user_model().objects.all()}
    now = timezone.now()
    counts = {"uebergabeziele": _idea_destination(county), "leistungen": 0, "ideen": 0, "projekte": 0}
    counts.update({"kennzahlen": 0, "antraege": 0})
    if not Service.objects.filter(mandant=county).exists():
        counts["leistungen"] = _catalogue_create(mandants, rng)
    scoring_criteria_ensure(mandant=county)
    if not Idea.objects.filter(mandant=county).exists():
        counts["ideen"] = len(_ideas_create(county, users, rng, now))
    if not Project.objects.filter(mandant=county).exists():
        ideas = Idea.objects.filter(mandant=county, decision=Idea.Decision.IMPLEMENT, project__isnull=True)
        counts["projekte"] = _projects_create(county, list(ideas), users, now)
    if not Indicator.objects.filter(mandant=county).exists():
        counts["kennzahlen"] = _indicators_create(county, users, rng)
    generated_before = now - datetime.timedelta(days=60)
    if not Submission.objects.filter(assistant__slug__in=list(PROFILES), submitted_at__lt=generated_before).exists():
        counts["antraege"] = _submissions_generate(users, scale, rng, now)
        rollup_refresh()
        today = timezone.localtime(now).date()
        rollup_rebuild(start=today - datetime.timedelta(days=365 * YEARS), end=today)
    return counts
