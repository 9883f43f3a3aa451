"""The four assistants the benchmark uses, and the values filled into them.

No Django imports here: the XLSX baseline process uses the same value generator
without loading Django, so its memory and time are XlsxWriter's alone.
"""

from __future__ import annotations

import datetime
import random
from zoneinfo import ZoneInfo

MANDANT_SLUG = "benchkreis"
REFERENCE_PREFIX = "BK"
SUBMIT_SLUG = "bench-einreichen"
SUBMIT_STEP = "antrag"
RENDER_SLUG = "bench-darstellen"
RENDER_STEP = "angaben"
EXPORT_SLUG = "bench-export"
EXPORT_REFERENCE_PREFIX = "BX"
HANDOFF_SLUG = "bench-uebergabe"
HANDOFF_REFERENCE_PREFIX = "BH"
HANDOFF_FILE_FIELD = "nachweis"
HANDOFF_FILE_BYTES = 100 * 1024

IBAN = "DE89370400440532013000"
STAATEN = [
    {"value": "deutsch", "label": "deutsch"},
    {"value": "eu", "label": "Staat der EU oder des EWR, Schweiz"},
    {"value": "andere", "label": "anderer Staat"},
]
ANLAESSE = [
    {"value": "neugruendung", "label": "Neugründung"},
    {"value": "uebernahme", "label": "Übernahme"},
    {"value": "zweigstelle", "label": "Zweigniederlassung"},
]
BEREICHE = [
    {"value": "handel", "label": "Handel"},
    {"value": "handwerk", "label": "Handwerk"},
    {"value": "dienstleistung", "label": "Dienstleistung"},
    {"value": "gastgewerbe", "label": "Gastgewerbe"},
    {"value": "industrie", "label": "Industrie"},
]
KREISE = [{"value": f"k{n:02d}", "label": f"Gemeinde Nummer {n}"} for n in range(1, 31)]


def _el(key: str, kind: str, label: str, **extra) -> dict:
    return {"key": key, "type": kind, "label": label, **extra}


# --- submit: 20 fields on one step, one of them a PDF upload -----------------------------------


def submit_definition() -> dict:
    elements = [
        _el("vorname", "text", "Vorname", required=True, validation={"max_length": 100}),
        _el("nachname", "text", "Familienname", required=True, validation={"max_length": 100}),
        _el(
            "geburtsdatum",
            "date",
            "Geburtsdatum",
            required=True,
            validation={"min": "1900-01-01", "max": "today-5840"},
        ),
        _el("email", "email", "E-Mail-Adresse", required=True),
        _el("telefon", "phone", "Telefonnummer"),
        _el("anschrift", "address", "Anschrift", required=True),
        _el("staat", "select", "Staatsangehörigkeit", required=True, options=STAATEN),
        _el("anlass", "radio", "Anlass", required=True, options=ANLAESSE),
        _el("bereiche", "checkboxes", "Wirtschaftsbereich", required=True, options=BEREICHE),
        _el("nebenerwerb", "yesno", "Nebenerwerb?", required=True),
        _el("beschaeftigte", "integer", "Beschäftigte", validation={"min": 0, "max": 100000}),
        _el("umsatz", "money", "Erwarteter Jahresumsatz", validation={"min": 0}),
        _el("flaeche", "decimal", "Betriebsfläche in m²"),
        _el("iban", "iban", "IBAN für die Erstattung"),
        _el("beginn", "date", "Beginn der Tätigkeit", required=True),
        _el(
            "taetigkeit",
            "textarea",
            "Angemeldete Tätigkeit",
            required=True,
            validation={"min_length": 10, "max_length": 1000},
        ),
        _el("betriebsname", "text", "Name des Betriebs", validation={"max_length": 200}),
        _el("hinweise", "textarea", "Hinweise", validation={"max_length": 2000}),
        _el("zustimmung", "declaration", "Erklärung", required=True),
        _el(
            "nachweis",
            "file",
            "Nachweis",
            required=True,
            file={"types": ["pdf", "jpeg", "png"], "max_size_mb": 10, "max_files": 1},
        ),
    ]
    assert len(elements) == 20
    return {
        "format": "kreiswerk-assistant/1",
        "slug": SUBMIT_SLUG,
        "title": "Bench: Anmeldung mit Nachweis",
        "confirmation_email_field": "email",
        "computed": [
            {
                "key": "gebuehr",
                "label": "Gebühr",
                "type": "money",
                "rule": {"if": [{"var": "nebenerwerb"}, 20, 30]},
            }
        ],
        "fee": "gebuehr",
        "steps": [{"key": SUBMIT_STEP, "title": "Ihr Antrag", "elements": elements}],
    }


def submit_post_fields() -> list[tuple[str, str]]:
    """The 19 non-file fields of the submit step as a browser posts them."""
    return [
        ("vorname", "Erika"),
        ("nachname", "Mustermann"),
        ("geburtsdatum__day", "12"),
        ("geburtsdatum__month", "8"),
        ("geburtsdatum__year", "1984"),
        ("email", "erika.mustermann@example.org"),
        ("telefon", "07351 52-0"),
        ("anschrift__street", "Hauptstraße"),
        ("anschrift__house_number", "12a"),
        ("anschrift__postal_code", "88400"),
        ("anschrift__city", "Biberach an der Riß"),
        ("staat", "deutsch"),
        ("anlass", "neugruendung"),
        ("bereiche", "handel"),
        ("bereiche", "dienstleistung"),
        ("nebenerwerb", "nein"),
        ("beschaeftigte", "3"),
        ("umsatz", "120.000,00"),
        ("flaeche", "85,5"),
        ("iban", "DE89 3704 0044 0532 0130 00"),
        ("beginn__day", "1"),
        ("beginn__month", "3"),
        ("beginn__year", "2026"),
        ("taetigkeit", "Einzelhandel mit Fahrrädern, Ersatzteilen und Zubehör; Reparaturen."),
        ("betriebsname", "Radhaus Mustermann"),
        ("hinweise", "Die Eröffnung ist für das Frühjahr geplant."),
        ("zustimmung", "ja"),
    ]


def pdf_bytes(size: int = 200 * 1024) -> bytes:
    """A PDF of ``size`` bytes that libmagic recognises (random stream content)."""
    head = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    head += b"3 0 obj<</Length %d>>stream\n" % size
    tail = b"\nendstream endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    body = random.Random(4711).randbytes(size - len(head) - len(tail))
    return head + body + tail


# --- render: one step with 40 fields of every kind ---------------------------------------------


def render_definition() -> dict:
    elements = []
    for n in range(1, 9):
        elements.append(_el(f"text{n}", "text", f"Textfeld {n}", required=n <= 3, help="Bitte vollständig angeben."))
    for n in range(1, 5):
        elements.append(_el(f"zahl{n}", "integer", f"Anzahl {n}", validation={"min": 0, "max": 999}))
    for n in range(1, 4):
        elements.append(_el(f"betrag{n}", "money", f"Betrag {n}", validation={"min": 0}))
    elements.append(_el("anteil", "decimal", "Anteil in Prozent"))
    for n in range(1, 4):
        elements.append(_el(f"datum{n}", "date", f"Datum {n}", required=n == 1))
    elements.append(_el("email", "email", "E-Mail-Adresse", required=True))
    elements.append(_el("telefon", "phone", "Telefonnummer"))
    elements.append(_el("gemeinde", "select", "Gemeinde", required=True, options=KREISE))
    elements.append(_el("staat", "select", "Staatsangehörigkeit", options=STAATEN))
    for n in range(1, 4):
        elements.append(_el(f"anlass{n}", "radio", f"Anlass {n}", options=ANLAESSE))
    for n in range(1, 3):
        elements.append(_el(f"bereiche{n}", "checkboxes", f"Bereiche {n}", options=BEREICHE))
    elements.append(_el("anschrift", "address", "Anschrift", required=True))
    elements.append(_el("postanschrift_abweichend", "yesno", "Abweichende Postanschrift?", required=True))
    elements.append(
        _el(
            "postanschrift",
            "address",
            "Postanschrift",
            visible_if={"var": "postanschrift_abweichend"},
            required_if={"var": "postanschrift_abweichend"},
        )
    )
    for n in range(1, 4):
        elements.append(_el(f"frage{n}", "yesno", f"Trifft Aussage {n} zu?"))
    elements.append(_el("iban", "iban", "IBAN"))
    elements.append(_el("beschreibung", "textarea", "Beschreibung", validation={"max_length": 2000}))
    elements.append(_el("bemerkung", "textarea", "Bemerkung"))
    elements.append(_el("aktenzeichen_alt", "text", "Früheres Aktenzeichen"))
    elements.append(
        _el("kennzeichen", "text", "Kennzeichen", validation={"pattern": "[A-Z]{1,3}-[A-Z]{1,2} [0-9]{1,4}"})
    )
    elements.append(_el("zustimmung", "declaration", "Erklärung", required=True))
    assert len(elements) == 40, len(elements)
    return {
        "format": "kreiswerk-assistant/1",
        "slug": RENDER_SLUG,
        "title": "Bench: Darstellung eines großen Schritts",
        "steps": [
            {"key": RENDER_STEP, "title": "Angaben", "intro": "Vierzig Felder.", "elements": elements},
            {"key": "abschluss", "title": "Abschluss", "elements": [_el("notiz", "text", "Notiz")]},
        ],
    }


def render_answers() -> dict:
    """Stored answers for the render step: every field filled (values are shown in the inputs)."""
    address = {"street": "Hauptstraße", "house_number": "12a", "postal_code": "88400", "city": "Biberach"}
    answers: dict = {f"text{n}": f"Angabe {n}" for n in range(1, 9)}
    answers.update({f"zahl{n}": n * 7 for n in range(1, 5)})
    answers.update({f"betrag{n}": f"{n * 1234}.50" for n in range(1, 4)})
    answers.update({f"datum{n}": f"2025-0{n}-1{n}" for n in range(1, 4)})
    answers.update({f"anlass{n}": "uebernahme" for n in range(1, 4)})
    answers.update({f"bereiche{n}": ["handel", "industrie"] for n in range(1, 3)})
    answers.update({f"frage{n}": n % 2 == 0 for n in range(1, 4)})
    answers.update(
        {
            "anteil": "12.5",
            "email": "erika.mustermann@example.org",
            "telefon": "07351 52-0",
            "gemeinde": "k17",
            "staat": "eu",
            "anschrift": address,
            "postanschrift_abweichend": True,
            "postanschrift": address,
            "iban": IBAN,
            "beschreibung": "Eine längere Beschreibung.\nMit zwei Zeilen.",
            "bemerkung": "Keine.",
            "aktenzeichen_alt": "BK-2024-000123",
            "kennzeichen": "BC-AB 123",
            "zustimmung": True,
        }
    )
    return answers


# --- export: 30 fields on three steps ----------------------------------------------------------

# (key, type, options or None); the order is the column order of the export.
EXPORT_FIELDS: list[tuple[str, str, list | None]] = [
    ("vorname", "text", None),
    ("nachname", "text", None),
    ("geburtsdatum", "date", None),
    ("email", "email", None),
    ("telefon", "phone", None),
    ("strasse", "text", None),
    ("plz", "text", None),
    ("ort", "text", None),
    ("staat", "select", STAATEN),
    ("anlass", "radio", ANLAESSE),
    ("bereiche", "checkboxes", BEREICHE),
    ("nebenerwerb", "yesno", None),
    ("beschaeftigte", "integer", None),
    ("umsatz", "money", None),
    ("flaeche", "decimal", None),
    ("iban", "iban", None),
    ("beginn", "date", None),
    ("taetigkeit", "textarea", None),
    ("betriebsname", "text", None),
    ("gemeinde", "select", KREISE),
    ("kinder", "integer", None),
    ("einkommen", "money", None),
    ("miete", "money", None),
    ("einzug", "date", None),
    ("wohnflaeche", "decimal", None),
    ("schwerbehindert", "yesno", None),
    ("arbeitgeber", "text", None),
    ("beruf", "text", None),
    ("bemerkung", "textarea", None),
    ("rueckruf", "yesno", None),
]
assert len(EXPORT_FIELDS) == 30

VORNAMEN = ["Erika", "Max", "Aylin", "Jonas", "Marie", "Luca", "Sofia", "Noah", "Emilia", "Ben"]
NACHNAMEN = ["Mustermann", "Schmid", "Yılmaz", "Weber", "Fischer", "Wagner", "Becker", "Hoffmann"]
ORTE = ["Biberach", "Laupheim", "Riedlingen", "Bad Buchau", "Ochsenhausen", "Schemmerhofen"]
BERUFE = ["Erzieherin", "Schreiner", "Pflegefachkraft", "Busfahrer", "Verkäuferin", "Ingenieur"]
BERLIN = ZoneInfo("Europe/Berlin")
EXPORT_BASE_TIME = datetime.datetime(2025, 1, 2, 7, 0, tzinfo=datetime.UTC)


def export_definition() -> dict:
    steps = []
    for number, start in enumerate(range(0, 30, 10), start=1):
        elements = []
        for key, kind, options in EXPORT_FIELDS[start : start + 10]:
            element = _el(key, kind, key.replace("_", " ").title())
            if options:
                element["options"] = options
            elements.append(element)
        steps.append({"key": f"schritt{number}", "title": f"Schritt {number}", "elements": elements})
    return {
        "format": "kreiswerk-assistant/1",
        "slug": EXPORT_SLUG,
        "title": "Bench: Export",
        "steps": steps,
    }


def export_reference(i: int) -> str:
    return f"{EXPORT_REFERENCE_PREFIX}-2025-{i + 1:06d}"


def export_submitted_at(i: int) -> datetime.datetime:
    return EXPORT_BASE_TIME + datetime.timedelta(seconds=97 * i)


def export_answers(i: int) -> dict:
    """The stored answers of submission ``i`` (deterministic)."""
    r = random.Random(i)
    vorname, nachname = r.choice(VORNAMEN), r.choice(NACHNAMEN)
    return {
        "vorname": vorname,
        "nachname": nachname,
        "geburtsdatum": datetime.date(1940 + r.randrange(65), 1 + r.randrange(12), 1 + r.randrange(28)).isoformat(),
        "email": f"{vorname.lower()}.{i}@example.org",
        "telefon": f"07351 {r.randrange(10, 99)}-{r.randrange(1000)}",
        "strasse": f"Hauptstraße {1 + r.randrange(200)}",
        "plz": f"{88400 + r.randrange(99)}",
        "ort": r.choice(ORTE),
        "staat": r.choice(STAATEN)["value"],
        "anlass": r.choice(ANLAESSE)["value"],
        "bereiche": [b["value"] for b in BEREICHE if r.random() < 0.4] or ["handel"],
        "nebenerwerb": r.random() < 0.3,
        "beschaeftigte": r.randrange(50),
        "umsatz": f"{r.randrange(10_000, 2_000_000)}.{r.randrange(100):02d}",
        "flaeche": f"{r.randrange(20, 900)}.{r.randrange(10)}",
        "iban": IBAN,
        "beginn": datetime.date(2025, 1 + r.randrange(12), 1 + r.randrange(28)).isoformat(),
        "taetigkeit": "Einzelhandel mit Waren verschiedener Art, Schwerpunkt " + r.choice(BERUFE),
        "betriebsname": f"{nachname} & Co. {r.randrange(1000)}",
        "gemeinde": r.choice(KREISE)["value"],
        "kinder": r.randrange(5),
        "einkommen": f"{r.randrange(1_000, 9_000)}.{r.randrange(100):02d}",
        "miete": f"{r.randrange(300, 2_000)}.00",
        "einzug": datetime.date(2000 + r.randrange(25), 1 + r.randrange(12), 1).isoformat(),
        "wohnflaeche": f"{r.randrange(30, 200)}.{r.randrange(100):02d}",
        "schwerbehindert": r.random() < 0.1,
        "arbeitgeber": f"Firma {r.choice(NACHNAMEN)} GmbH",
        "beruf": r.choice(BERUFE),
        "bemerkung": "Keine weiteren Angaben." if r.random() < 0.7 else "Rückfragen bitte vormittags.",
        "rueckruf": r.random() < 0.5,
    }


_LABELS = {key: {o["value"]: o["label"] for o in options} for key, _kind, options in EXPORT_FIELDS if options}


def export_plain_row(i: int) -> list:
    """Submission ``i`` as the cells of its export row (what the XLSX writer gets), already plain."""
    answers = export_answers(i)
    cells: list = [
        export_reference(i),
        export_submitted_at(i).astimezone(BERLIN).replace(tzinfo=None),
        1,
        "Nein",
    ]
    for key, kind, _options in EXPORT_FIELDS:
        value = answers[key]
        if kind in {"integer", "money", "decimal"}:
            cells.append(float(value))
        elif kind == "date":
            cells.append(datetime.date.fromisoformat(value))
        elif kind in {"select", "radio"}:
            cells.append(_LABELS[key][value])
        elif kind == "checkboxes":
            cells.append(", ".join(_LABELS[key][item] for item in value))
        elif kind == "yesno":
            cells.append("Ja" if value else "Nein")
        elif kind == "iban":
            cells.append(" ".join(value[n : n + 4] for n in range(0, len(value), 4)))
        else:
            cells.append(value)
    return cells


EXPORT_KINDS = ["text", "datetime", "integer", "text"] + [kind for _key, kind, _options in EXPORT_FIELDS]


# --- handoff: a short form with one upload, handed off to a FIT-Connect style receiver ---------


def handoff_definition() -> dict:
    """Its own assistant, so the hand-off's submissions never count in the submit phase's checks."""
    return {
        "format": "kreiswerk-assistant/1",
        "slug": HANDOFF_SLUG,
        "title": "Bench: Übergabe an ein Fachverfahren",
        "leika": "99050012104000",
        "confirmation_email_field": "email",
        "steps": [
            {
                "key": "antrag",
                "title": "Ihr Antrag",
                "elements": [
                    _el("name", "text", "Name", required=True, validation={"max_length": 100}),
                    _el("email", "email", "E-Mail-Adresse", required=True),
                    _el("anzahl", "integer", "Anzahl", validation={"min": 1, "max": 5}),
                    _el(
                        HANDOFF_FILE_FIELD,
                        "file",
                        "Nachweis",
                        required=True,
                        file={"types": ["pdf"], "max_size_mb": 10, "max_files": 1},
                    ),
                ],
            }
        ],
    }


def handoff_reference(i: int) -> str:
    return f"{HANDOFF_REFERENCE_PREFIX}-2025-{i + 1:06d}"


def handoff_answers(i: int) -> dict:
    """Submission ``i``'s answers without the upload (its attachment id is added when stored)."""
    r = random.Random(i)
    vorname, nachname = r.choice(VORNAMEN), r.choice(NACHNAMEN)
    return {"name": f"{vorname} {nachname}", "email": f"{vorname.lower()}.{i}@example.org", "anzahl": 1 + i % 5}
