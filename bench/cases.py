"""The E-Akte figures: a million cases in 50 units, the inbox and the case view against bare SQL.

Two commands of ``bench.django_side``:

cases-data     N cases (BENCH_CASES) across 50 units, generated set-based in PostgreSQL, plus one
               case with 50 documents per unit made through the product's services, the
               caseworkers' sessions and the cursors of the measured pages (WORKDIR/cases.json)
cases-measure  the three pages in process through the WSGI handler, interleaved request by request
               with the same rows fetched by bare SQL over psycopg

What SQL cannot produce is made by the product's own code: the Vorgangsarten and their
versions, the deadline dates (``deadlines.deadline_due``) and the encrypted columns. Every
generated case has its applicant; their encrypted name, e-mail and address come from a pool
of envelopes made by the Party model's own fields (each with its own data key), so the pages
decrypt every row exactly as they would otherwise.
"""

from __future__ import annotations

import contextlib
import datetime
import html
import io
import json
import random
import re
import statistics
import time
import uuid
from pathlib import Path

from bench import common, definitions

UNITS = 50
OFFICES = ("Ordnungsamt", "Sozialamt", "Straßenverkehrsamt", "Baurechtsamt", "Umweltschutzamt")
CASE_TYPES_PER_UNIT = 3
TYPE_SHARES = (0.5, 0.3, 0.2)  # the unit's first, second and third Vorgangsart
CASEWORKERS_PER_UNIT = 8
CLOSED_SHARE = 1 / 3
ASSIGNED_SHARE = 0.65  # of the open cases; closed ones all have a caseworker
SUSPENDED_SHARE = 0.05  # of the open cases: deadline suspended, no due date
YEARS = 4
POOL = 10_000  # distinct applicant envelopes
DOCUMENTS = 50  # on the case that is opened
SECOND_VERSIONS = 5  # of those, documents with a second version
FILTER_PAGES = (2, 3, 4, 5, 6)  # the later pages of the filtered list that are measured
FILTER_SORT = "eingang"
FILTER_DUE = "7tage"
PAGE_SIZE = 25
INBOX_PATH = "/verwaltung/vorgaenge/"


def say(message: str) -> None:
    import sys

    print(f"[cases {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _unit_counts(total: int) -> list[int]:
    """Uneven units, as in a real county: the largest holds about five times the smallest."""
    weights = [1 / (1 + index / 12) for index in range(UNITS)]
    scale = total / sum(weights)
    counts = [int(weight * scale) for weight in weights]
    counts[0] += total - sum(counts)
    return counts


# --- data -------------------------------------------------------------------------------------


def _organisation(mandant):
    """Five offices with ten Sachgebiete each; 8 caseworkers per Sachgebiet."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from kreiswerk.cases.demo import FAMILY, GIVEN
    from kreiswerk.tenancy.models import Membership, Role
    from kreiswerk.tenancy.services import unit_create

    units = []
    for office_index, office in enumerate(OFFICES):
        parent = unit_create(mandant=mandant, code=f"amt{office_index + 1}", name=office, kind="amt")
        for number in range(1, UNITS // len(OFFICES) + 1):
            units.append(
                unit_create(
                    mandant=mandant,
                    code=f"amt{office_index + 1}-sg{number:02d}",
                    name=f"{office}, Sachgebiet {office_index + 1}.{number}",
                    kind="sachgebiet",
                    parent=parent,
                )
            )
    user_model = get_user_model()
    password = make_password(uuid.uuid4().hex)  # nobody logs in with it; sessions are made directly
    rng = random.Random(7)  # noqa: S311  # nosec B311 - invented names
    users = [
        user_model(
            username=f"sb-{unit.code}-{k}",
            first_name=rng.choice(GIVEN),
            last_name=rng.choice(FAMILY),
            password=password,
        )
        for unit in units
        for k in range(CASEWORKERS_PER_UNIT)
    ]
    user_model.objects.bulk_create(users)
    users = list(user_model.objects.filter(username__startswith="sb-").order_by("pk"))
    by_unit = {unit.code: [] for unit in units}
    for user in users:
        by_unit[user.username[3:].rsplit("-", 1)[0]].append(user)
    Membership.objects.bulk_create(
        [Membership(user=user, unit=unit, role=Role.CASEWORKER) for unit in units for user in by_unit[unit.code]]
    )
    return units, by_unit


def _case_types(mandant, units):
    """Three Vorgangsarten per unit, imported and published like an administrator does it."""
    from kreiswerk.cases import services
    from kreiswerk.cases.demo import CASE_TYPES, FILING_PLAN, demo_definition

    for _slug, number, title in FILING_PLAN:
        services.filing_position_ensure(mandant=mandant, number=number, title=title)
    templates = [demo_definition(key) for key, *_rest in CASE_TYPES]
    per_unit = []
    for index, unit in enumerate(units):
        versions = []
        for slot in range(CASE_TYPES_PER_UNIT):
            data = dict(templates[(index + slot) % len(templates)])
            data.pop("assistant", None)
            data["key"] = f"{data['key']}_{index + 1:02d}"
            versions.append(services.casetype_import(data=data, mandant=mandant, unit=unit, publish=True))
        per_unit.append(versions)
    return per_unit


def _type_rows(units, per_unit) -> list[tuple]:
    rows = []
    for unit, versions in zip(units, per_unit, strict=True):
        for slot, version in enumerate(versions):
            parsed = version.parsed
            final = [status.key for status in parsed.statuses if status.final] or [parsed.statuses[-1].key]
            rows.append(
                (
                    unit.pk,
                    slot,
                    version.case_type_id,
                    version.pk,
                    version.case_type.filing_position_id,
                    parsed.filing_position,
                    parsed.title,
                    parsed.initial_status.key,
                    [status.key for status in parsed.statuses],
                    final[0],
                    [result.key for result in parsed.results],
                    [result.disposal for result in parsed.results],
                    [result.retention.iso() for result in parsed.results],
                    [result.retention_start for result in parsed.results],
                    parsed.processing_deadline.iso() if parsed.processing_deadline else None,
                )
            )
    return rows


def _due_rows(durations: set[str], state: str, today: datetime.date) -> list[tuple]:
    """The product's deadline for every receipt day and duration (BGB counting, holidays of the Land)."""
    from kreiswerk.cases.deadlines import Duration, deadline_due

    first = today - datetime.timedelta(days=366 * YEARS + 2)
    rows = []
    for duration in sorted(durations):
        parsed = Duration.parse(duration)
        day = first
        while day <= today:
            due = deadline_due(start=day, duration=parsed, state=state, suspensions=[], extensions=[])
            rows.append((day, duration, due))
            day += datetime.timedelta(days=1)
    return rows


def _applicant_pool() -> list[tuple]:
    """POOL applicants, encrypted by the Party model's own fields (one data key per value)."""
    from kreiswerk.cases.demo import FAMILY, GIVEN, PLACES, STREETS
    from kreiswerk.cases.models import Party

    fields = {name: Party._meta.get_field(name) for name in ("name", "email", "address")}
    rng = random.Random(11)  # noqa: S311  # nosec B311 - invented names
    pool = []
    for index in range(POOL):
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        postal_code, city = rng.choice(PLACES)
        email = f"{given}.{family}.{index}@example.org".lower()
        email = email.replace("ü", "ue").replace("ö", "oe").replace("ı", "i")
        address = {
            "street": rng.choice(STREETS),
            "house_number": str(rng.randint(1, 120)),
            "postal_code": postal_code,
            "city": city,
        }
        pool.append(
            (
                index,
                fields["name"].get_prep_value(f"{given} {family}"),
                fields["email"].get_prep_value(email),
                fields["address"].get_prep_value(address),
            )
        )
    return pool


def _receipt_pool(stored) -> list[tuple]:
    """Encrypted titles and file names of the receipt documents of the generated cases."""
    from kreiswerk.cases.models import Document, DocumentVersion

    title = Document._meta.get_field("title")
    filename = DocumentVersion._meta.get_field("filename")
    return [
        (index, title.get_prep_value("Eingangsbestätigung"), filename.get_prep_value("Eingangsbestaetigung.pdf"))
        for index in range(POOL // 10)
    ]


GENERATE = """
CREATE UNLOGGED TABLE bench_gen AS
WITH draw AS (
    SELECT g.n, u.unit_id, u.users,
           random() AS r_closed, random() AS r_age, random() AS r_type, random() AS r_status,
           random() AS r_assign, random() AS r_user, random() AS r_result, random() AS r_when,
           random() AS r_susp
      FROM bench_unit u
     CROSS JOIN LATERAL generate_series(u.first_n, u.first_n + u.cnt - 1) AS g(n)
), shaped AS (
    SELECT d.*,
           d.r_closed < %(closed)s AS closed,
           -- open cases lean to the recent past, closed ones to the older years
           CASE WHEN d.r_closed < %(closed)s THEN %(days)s * sqrt(d.r_age)
                ELSE %(days)s * d.r_age * d.r_age END AS age_days,
           CASE WHEN d.r_type < %(share0)s THEN 0 WHEN d.r_type < %(share1)s THEN 1 ELSE 2 END AS slot
      FROM draw d
), placed AS (
    SELECT s.*, t.case_type_id, t.version_id, t.filing_id, t.filing, t.title, t.initial, t.duration,
           t.final_status, t.statuses, t.results, t.disposals, t.retentions, t.retention_starts,
           date_trunc('second', now() - s.age_days * interval '1 day') AS received_at,
           1 + floor(s.r_result * cardinality(t.results))::int AS result_index
      FROM shaped s JOIN bench_type t ON t.unit_id = s.unit_id AND t.slot = s.slot
), decided AS (
    SELECT p.*,
           (p.received_at AT TIME ZONE %(tz)s)::date AS received_on,
           CASE WHEN p.closed
                THEN p.received_at + least(p.age_days, 120) * p.r_when * interval '1 day' END AS closed_at,
           CASE WHEN p.closed THEN p.final_status
                ELSE p.statuses[1 + floor(power(p.r_status, 1.6) * cardinality(p.statuses))::int] END AS status,
           CASE WHEN p.closed OR p.r_assign < %(assigned)s
                THEN p.users[1 + floor(p.r_user * cardinality(p.users))::int] END AS assignee_id,
           NOT p.closed AND p.r_susp < %(suspended)s AS suspended
      FROM placed p
), due_dated AS (
    SELECT d.*, due.due AS deadline_due,
           extract(year FROM d.received_at AT TIME ZONE %(tz)s)::int AS year
      FROM decided d
      LEFT JOIN bench_due due ON due.start = d.received_on AND due.duration = d.duration
)
-- Numbered per year in order of receipt, for the default pattern {praefix}-{aktenplan}-{jahr}-{nummer:05d};
-- the table is written in that order, which is the order the rows are inserted in below.
SELECT d.n, gen_random_uuid() AS id, gen_random_uuid() AS akte_id, gen_random_uuid() AS document_id,
       d.unit_id, d.case_type_id, d.version_id, d.filing_id, d.title, d.duration, d.initial, d.status,
       NOT d.closed AS is_open, d.received_at, d.received_on, d.closed_at, d.assignee_id, d.suspended,
       CASE WHEN d.closed THEN d.results[d.result_index] ELSE '' END AS result,
       CASE WHEN d.closed THEN d.disposals[d.result_index] ELSE '' END AS disposal,
       CASE WHEN NOT d.closed THEN NULL
            WHEN d.retention_starts[d.result_index] = 'closure'
            THEN ((d.closed_at AT TIME ZONE %(tz)s)::date + d.retentions[d.result_index]::interval)::date
            ELSE (make_date(extract(year FROM d.closed_at AT TIME ZONE %(tz)s)::int, 12, 31)
                  + d.retentions[d.result_index]::interval)::date END AS retention_until,
       CASE WHEN d.status = d.initial THEN d.received_at
            ELSE d.received_at + (coalesce(d.closed_at, now()) - d.received_at) * d.r_when * 0.5
       END AS status_changed_at,
       d.deadline_due,
       CASE WHEN NOT d.closed AND NOT d.suspended THEN d.deadline_due END AS due_on,
       d.year,
       row_number() OVER receipt AS number,
       %(prefix)s || '-' || d.filing || '-' || d.year || '-'
       || lpad((row_number() OVER receipt)::text, greatest(5, length((row_number() OVER receipt)::text)), '0')
       AS reference
  FROM due_dated d
WINDOW receipt AS (PARTITION BY d.year ORDER BY d.received_at, d.n)
ORDER BY d.year, d.received_at, d.n
"""

LOADED_TABLES = [
    "cases_akte",
    "cases_case",
    "cases_deadline",
    "cases_deadlinesuspension",
    "cases_party",
    "cases_document",
    "cases_documentversion",
    "cases_event",
]

# Rows go in in the order of receipt (bench_gen is written in that order and read by a plain
# sequential scan), as they would have arrived: a unit's cases are spread over the whole table,
# not packed together.
INSERTS = {
    "akten": """
        INSERT INTO cases_akte (id, mandant_id, unit_id, filing_position_id, reference, title, opened_at, closed_at)
        SELECT akte_id, %(mandant)s, unit_id, filing_id, reference, title, received_at, closed_at
          FROM bench_gen""",
    "cases": """
        INSERT INTO cases_case (id, reference, status, status_changed_at, is_open, result, received_at, closed_at,
                                documents_complete_on, due_on, due_sort, retention_until, disposal, akte_id,
                                assignee_id, mandant_id, submission_id, unit_id, case_type_id, version_id)
        SELECT id, reference, status, status_changed_at, is_open, result, received_at, closed_at,
               NULL, due_on, coalesce(due_on, DATE '9999-12-31'), retention_until, disposal, akte_id,
               assignee_id, %(mandant)s, NULL, unit_id, case_type_id, version_id
          FROM bench_gen""",
    "deadlines": """
        INSERT INTO cases_deadline (case_id, kind, start, duration, due_on, met_at)
        SELECT id, 'bearbeitung', received_on, duration, CASE WHEN NOT suspended THEN deadline_due END,
               CASE WHEN NOT is_open THEN closed_at END
          FROM bench_gen WHERE duration IS NOT NULL""",
    "suspensions": """
        INSERT INTO cases_deadlinesuspension (deadline_id, start, "end", reason, created_by_id, created_at)
        SELECT dl.id, g.received_on + 7, NULL, 'Rückfrage an die antragstellende Person', g.assignee_id,
               g.received_at + interval '7 days'
          FROM bench_gen g JOIN cases_deadline dl ON dl.case_id = g.id
         WHERE g.suspended""",
    "parties": """
        INSERT INTO cases_party (case_id, role, name, email, phone, address, channel, created_at)
        SELECT g.id, 'antragsteller', p.name, p.email, NULL, p.address, 'email', g.received_at
          FROM bench_gen g JOIN bench_party_pool p ON p.i = g.n %% %(pool)s""",
    "documents": """
        INSERT INTO cases_document (id, case_id, kind, direction, title, visible_to_applicant, created_at)
        SELECT g.document_id, g.id, 'eingangsbestaetigung', 'eingang', r.title, true, g.received_at
          FROM bench_gen g JOIN bench_receipt_pool r ON r.i = g.n %% %(receipts)s""",
    "document versions": """
        INSERT INTO cases_documentversion (id, document_id, number, filename, content_type, size, sha256, path,
                                           key, created_by_id, created_at)
        SELECT gen_random_uuid(), g.document_id, 1, r.filename, 'application/pdf', %(size)s, %(sha256)s, %(path)s,
               %(key)s, NULL, g.received_at
          FROM bench_gen g JOIN bench_receipt_pool r ON r.i = g.n %% %(receipts)s""",
    "events": """
        INSERT INTO cases_event (case_id, kind, at, actor_id, data)
        SELECT id, kind, at, actor, data FROM (
            SELECT n, id, 'opened' AS kind, received_at AS at, NULL::int AS actor,
                   jsonb_build_object('status', initial, 'submission', '') AS data, 1 AS seq
              FROM bench_gen
            UNION ALL
            SELECT n, id, 'assigned', received_at + interval '2 hours', assignee_id,
                   jsonb_build_object('assignee', assignee_id, 'previous', NULL), 2
              FROM bench_gen WHERE assignee_id IS NOT NULL
            UNION ALL
            SELECT n, id, 'status', status_changed_at, assignee_id,
                   jsonb_build_object('status', status, 'previous', initial), 3
              FROM bench_gen WHERE status <> initial
            UNION ALL
            SELECT n, id, 'closed', closed_at, assignee_id, jsonb_build_object('result', result), 4
              FROM bench_gen WHERE NOT is_open
        ) e""",
}


def _generate(connection, *, mandant, units, by_unit, type_rows, count: int) -> dict:
    from django.conf import settings
    from django.utils import timezone

    from kreiswerk.crypto.files import store_encrypted

    counts = _unit_counts(count)
    first = 1
    unit_rows = []
    for unit, unit_count in zip(units, counts, strict=True):
        unit_rows.append((unit.pk, first, unit_count, [user.pk for user in by_unit[unit.code]]))
        first += unit_count
    durations = {row[-1] for row in type_rows if row[-1]}
    due_rows = _due_rows(durations, mandant.state, timezone.localdate())
    pool = _applicant_pool()
    receipt = definitions.pdf_bytes()
    stored = store_encrypted([receipt], namespace="bench")
    receipts = _receipt_pool(stored)
    timings: dict[str, float] = {}
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor  # the psycopg cursor, for COPY
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SET maintenance_work_mem = '256MB'")
        cursor.execute("SET work_mem = '64MB'")
        cursor.execute("SET synchronize_seqscans = off")  # every scan of bench_gen starts at its first row
        cursor.execute(
            "CREATE UNLOGGED TABLE bench_unit (unit_id bigint, first_n int, cnt int, users int[]);"
            "CREATE UNLOGGED TABLE bench_type (unit_id bigint, slot int, case_type_id bigint, version_id bigint,"
            " filing_id bigint, filing text, title text, initial text, statuses text[], final_status text,"
            " results text[], disposals text[], retentions text[], retention_starts text[], duration text);"
            "CREATE UNLOGGED TABLE bench_due (start date, duration text, due date);"
            "CREATE UNLOGGED TABLE bench_party_pool (i int, name bytea, email bytea, address bytea);"
            "CREATE UNLOGGED TABLE bench_receipt_pool (i int, title bytea, filename bytea)"
        )
        for table, rows in (
            ("bench_unit", unit_rows),
            ("bench_type", type_rows),
            ("bench_due", due_rows),
            ("bench_party_pool", pool),
            ("bench_receipt_pool", receipts),
        ):
            with cursor.copy(f"COPY {table} FROM STDIN") as copy:  # noqa: S608  # nosec B608 - fixed names
                for row in rows:
                    copy.write_row(row)
        cursor.execute("ANALYZE bench_unit; ANALYZE bench_type; ANALYZE bench_due")
        cursor.execute("SELECT setseed(0.2026)")
        started = time.perf_counter()
        cursor.execute(
            GENERATE,
            {
                "closed": CLOSED_SHARE,
                "days": 365.25 * YEARS,
                "share0": TYPE_SHARES[0],
                "share1": TYPE_SHARES[0] + TYPE_SHARES[1],
                "assigned": ASSIGNED_SHARE,
                "suspended": SUSPENDED_SHARE,
                "tz": settings.TIME_ZONE,
                "prefix": mandant.reference_prefix,
            },
        )
        timings["staging"] = time.perf_counter() - started
        say(f"staging table: {timings['staging']:.1f} s")
        params = {
            "mandant": mandant.pk,
            "pool": POOL,
            "receipts": len(receipts),
            "size": len(receipt),
            "sha256": stored.sha256,
            "path": stored.path,
            "key": stored.key_header,
        }
        started_load = time.perf_counter()
        with common.bulk_load(cursor, LOADED_TABLES, say=say):
            for name, statement in INSERTS.items():
                started = time.perf_counter()
                cursor.execute(statement, params)
                timings[name] = time.perf_counter() - started
                say(f"{name}: {cursor.rowcount} rows in {timings[name]:.1f} s")
        timings["indexes"] = time.perf_counter() - started_load - sum(timings[name] for name in INSERTS)
        # The running numbers go on from here (the sample cases are opened through case_open).
        cursor.execute(
            "INSERT INTO cases_filecounter (mandant_id, year, value)"
            " SELECT %s, year, max(number) FROM bench_gen GROUP BY year",
            [mandant.pk],
        )
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE is_open), count(*) FILTER (WHERE assignee_id IS NULL AND is_open),"
            " count(*) FILTER (WHERE suspended), min(received_at), max(received_at) FROM bench_gen"
        )
        total, open_count, unassigned, suspended, oldest, newest = cursor.fetchone()
        cursor.execute("DROP TABLE bench_gen, bench_unit, bench_type, bench_due, bench_party_pool, bench_receipt_pool")
    return {
        "cases": total,
        "open": open_count,
        "open_unassigned": unassigned,
        "suspended": suspended,
        "received_from": oldest.isoformat(),
        "received_to": newest.isoformat(),
        "unit_sizes": {"largest": max(counts), "smallest": min(counts)},
        "seconds": timings,
    }


def _sample_case(*, version, unit, caseworkers, submission_version, stored_files, rng, now):
    """A case as a department would have it after some weeks: opened from a submission, 50 documents."""
    from kreiswerk.cases import services
    from kreiswerk.cases.deadlines import Duration
    from kreiswerk.cases.models import Document, Party
    from kreiswerk.submissions.models import Submission

    received = now - datetime.timedelta(days=rng.randint(12, 20), hours=rng.randint(0, 8))
    assistant = submission_version.assistant
    submission = Submission.objects.create(
        reference=f"{definitions.REFERENCE_PREFIX}-A-{uuid.uuid4().hex[:10]}",
        mandant=assistant.mandant,
        unit=assistant.unit,
        assistant=assistant,
        version=submission_version,
        payload={"answers": definitions.render_answers(), "computed": {}},
        language="de",
        idempotency_key=uuid.uuid4(),
    )
    Submission.objects.filter(pk=submission.pk).update(submitted_at=received)
    submission.refresh_from_db()
    case = services.case_open(version=version, unit=unit, received_at=received, submission=submission)
    services.party_add(
        case=case,
        role=Party.Role.APPLICANT,
        name="Erika Mustermann",
        email="erika.mustermann@example.org",
        phone="07351 52-0",
        address={"street": "Hauptstraße", "house_number": "12a", "postal_code": "88400", "city": "Biberach"},
    )
    services.party_add(case=case, role=Party.Role.REPRESENTATIVE, name="Max Berater", email="berater@example.org")
    kinds = (
        [(Document.Kind.RECEIPT, Document.Direction.INCOMING, "Eingangsbestätigung", 0)]
        + [(Document.Kind.ATTACHMENT, Document.Direction.INCOMING, "Anlage {n}: Nachweis", 0)] * 19
        + [(Document.Kind.ANSWER, Document.Direction.INCOMING, "Nachreichung {n}", 1)] * 10
        + [(Document.Kind.INTERNAL, Document.Direction.INTERNAL, "Vermerk {n}", 2)] * 15
        + [(Document.Kind.DECISION, Document.Direction.OUTGOING, "Schreiben {n} an die Antragstellerin", 0)] * 5
    )
    assignee = caseworkers[0]
    documents = []
    for number, (kind, direction, title, file_index) in enumerate(kinds, start=1):
        name, content_type, stored = stored_files[file_index]
        documents.append(
            services.document_add(
                case=case,
                kind=kind,
                direction=direction,
                title=title.format(n=number),
                filename=f"{number:02d}-{name}",
                content_type=content_type,
                stored=stored,
                user=assignee if direction != Document.Direction.INCOMING else None,
            )
        )
    for document in documents[1 : 1 + SECOND_VERSIONS]:
        name, content_type, stored = stored_files[0]
        services.document_version_add(
            document=document, filename=f"neu-{name}", content_type=content_type, stored=stored, user=assignee
        )
    case = services.case_assign(case=case, assignee=assignee, actor=assignee)
    for item in services.open_checklist_items(case):
        case = services.checklist_check(case=case, item=item.key, actor=assignee)
    following = case.definition.transitions.get(case.status, ())
    if following:
        case = services.case_status_change(case=case, status=following[0], actor=assignee)
    case = services.deadlines_suspend(
        case=case, start=received.date() + datetime.timedelta(days=3), reason="Rückfrage zu den Nachweisen"
    )
    case = services.deadlines_resume(case=case, end=received.date() + datetime.timedelta(days=8))
    if case.deadlines.exists():
        services.deadline_extend(
            case=case,
            kind=case.deadlines.first().kind,
            duration=Duration.parse("P14D"),
            reason="Stellungnahme des Fachamts steht aus",
            actor=assignee,
        )
    for text in ("Telefonat mit der Antragstellerin", "Unterlagen an das Fachamt", "Rückmeldung Fachamt liegt vor"):
        services.note_add(case=case, author=assignee, text=text)
    services.reminder_set(
        case=case,
        owner=assignee,
        due_on=now.date() + datetime.timedelta(days=5),
        reason="Stellungnahme nachfassen",
    )
    return case


def _stored_files() -> list[tuple]:
    from kreiswerk.crypto.files import store_encrypted

    files = [
        ("nachweis.pdf", "application/pdf", definitions.pdf_bytes()),
        ("foto.jpg", "image/jpeg", b"\xff\xd8\xff\xe0" + bytes(30_000)),
        ("vermerk.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", bytes(12_000)),
    ]
    return [(name, kind, store_encrypted([content], namespace="bench")) for name, kind, content in files]


def _session(client_class, user) -> str:
    """A caseworker's session as the login leaves it: password and second factor passed."""
    from django.conf import settings
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="Bench", confirmed=True)
    client = client_class()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def cases_data(workdir: Path, count: int) -> dict:
    from django.db import connection, transaction
    from django.db.models import Count
    from django.test import Client
    from django.utils import timezone

    from kreiswerk.assistants.models import AssistantVersion
    from kreiswerk.cases import selectors
    from kreiswerk.cases.models import Case
    from kreiswerk.tenancy.models import Mandant

    started = time.perf_counter()
    mandant = Mandant.objects.get(slug=definitions.MANDANT_SLUG)
    with transaction.atomic():
        units, by_unit = _organisation(mandant)
        per_unit = _case_types(mandant, units)
    orm_seconds = time.perf_counter() - started
    say(f"{len(units)} units, {sum(map(len, per_unit))} Vorgangsarten, caseworkers: {orm_seconds:.1f} s")
    with transaction.atomic():
        generated = _generate(
            connection,
            mandant=mandant,
            units=units,
            by_unit=by_unit,
            type_rows=_type_rows(units, per_unit),
            count=count,
        )
    analyzed_at = time.perf_counter()
    with connection.cursor() as cursor:
        for table in [*LOADED_TABLES, "auth_user", "tenancy_membership", "tenancy_organisationalunit"]:
            cursor.execute(f"VACUUM ANALYZE {table}")
    vacuum_seconds = time.perf_counter() - analyzed_at
    say(f"VACUUM ANALYZE: {vacuum_seconds:.1f} s")

    samples_at = time.perf_counter()
    submission_version = AssistantVersion.objects.select_related("assistant__mandant", "assistant__unit").get(
        assistant__slug=definitions.RENDER_SLUG
    )
    stored_files = _stored_files()
    rng = random.Random(5)  # noqa: S311  # nosec B311 - invented data
    now = timezone.now()
    samples = []
    for unit, versions in zip(units, per_unit, strict=True):
        with transaction.atomic():
            case = _sample_case(
                version=versions[0],
                unit=unit,
                caseworkers=by_unit[unit.code],
                submission_version=submission_version,
                stored_files=stored_files,
                rng=rng,
                now=now,
            )
        samples.append(case)
    sample_seconds = time.perf_counter() - samples_at
    say(f"{len(samples)} cases with {DOCUMENTS} documents each through the services: {sample_seconds:.1f} s")
    # One caseworker per unit is logged in; the filtered list uses the unit's main Vorgangsart in
    # its most frequent open status, with deadline window and sort as a caseworker would pick them.
    pages = []
    for unit, versions, sample in zip(units, per_unit, samples, strict=True):
        user = by_unit[unit.code][1]
        case_type = versions[0].case_type
        status = (
            Case.objects.filter(unit=unit, case_type=case_type, is_open=True)
            .values_list("status", flat=True)
            .annotate(n=Count("id"))
            .order_by("-n")
            .first()
        )
        selection = selectors.InboxFilter(case_type=case_type, status=status, due=FILTER_DUE, sort=FILTER_SORT)
        cursors, cursor = [], ""
        for page_number in range(1, max(FILTER_PAGES)):
            page = selectors.inbox_page(user, selection, cursor=cursor)
            cursor = page.next_cursor
            if cursor is None:
                break
            if page_number + 1 in FILTER_PAGES:
                cursors.append({"page": page_number + 1, "cursor": cursor})
        pages.append(
            {
                "unit": unit.pk,
                "unit_name": unit.name,
                "session": _session(Client, user),
                "user": user.pk,
                "case_type": case_type.pk,
                "status": status,
                "cursors": cursors,
                "case": str(sample.pk),
            }
        )
    (workdir / "cases.json").write_text(json.dumps({"pages": pages, "today": timezone.localdate().isoformat()}))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, pg_total_relation_size(oid) FROM pg_class WHERE relname = ANY(%s)",
            [["cases_case", "cases_akte", "cases_party", "cases_event", "cases_document", "cases_documentversion"]],
        )
        sizes = {name: round(size / 1024 / 1024) for name, size in cursor.fetchall()}
        cursor.execute("SELECT count(*) FROM cases_case")
        total = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM cases_event")
        events = cursor.fetchone()[0]
    return {
        "seconds": time.perf_counter() - started,
        "generated": generated,
        "orm_setup_seconds": orm_seconds,
        "sample_cases_seconds": sample_seconds,
        "vacuum_analyze_seconds": vacuum_seconds,
        "cases_total": total,
        "events_total": events,
        "table_mb": sizes,
        "units": len(units),
        "case_types": sum(map(len, per_unit)),
        "caseworkers": sum(map(len, by_unit.values())),
    }


# --- measuring --------------------------------------------------------------------------------


def _list_query(where: str, order: str) -> str:
    """One page of the list: the page's rows by the index first, then their columns (as the page shows them)."""
    return (
        "SELECT c.id, c.reference, ct.title, a.name, c.status, c.is_open, c.received_at, c.due_on,"
        " u.first_name, u.last_name, u.username"
        " FROM (SELECT c.id, c.reference, c.case_type_id, c.assignee_id, c.status, c.is_open, c.received_at,"
        f" c.due_on, c.due_sort FROM cases_case c WHERE {where} ORDER BY {order} LIMIT {PAGE_SIZE + 1}) c"
        " JOIN cases_casetype ct ON ct.id = c.case_type_id LEFT JOIN auth_user u ON u.id = c.assignee_id"
        " LEFT JOIN LATERAL (SELECT p.name FROM cases_party p WHERE p.case_id = c.id AND p.role = 'antragsteller'"
        f" ORDER BY p.created_at LIMIT 1) a ON true ORDER BY {order}"
    )


BASELINE_FIRST = _list_query("c.unit_id = %s AND c.is_open", "c.due_sort, c.id")
BASELINE_FILTERED = _list_query(
    "c.unit_id = %s AND c.is_open AND c.case_type_id = %s AND c.status = %s AND c.due_on <= %s"
    " AND (c.received_at, c.id) < (%s, %s)",
    "c.received_at DESC, c.id DESC",
)
# The bare list queries walk the inbox index whatever the statistics say: the floor a page could reach.
# (jit off: the penalty enable_sort=off puts on the applicant's one-row sort would switch JIT on.)
INDEX_WALK = "-c enable_sort=off -c jit=off"
BASELINE_CASE = (
    (
        "SELECT c.*, un.name, ak.reference, fp.number, fp.title, u.first_name, u.last_name, u.username,"
        " s.payload FROM cases_case c"
        " JOIN tenancy_organisationalunit un ON un.id = c.unit_id JOIN cases_akte ak ON ak.id = c.akte_id"
        " LEFT JOIN cases_filingposition fp ON fp.id = ak.filing_position_id"
        " LEFT JOIN auth_user u ON u.id = c.assignee_id"
        " LEFT JOIN submissions_submission s ON s.id = c.submission_id WHERE c.id = %s AND c.unit_id = %s"
    ),
    (
        "SELECT d.id, d.kind, d.title, v.id, v.number, v.filename, v.content_type, v.size, v.sha256, v.created_at"
        " FROM cases_document d JOIN cases_documentversion v ON v.document_id = d.id"
        " WHERE d.case_id = %s ORDER BY d.created_at, d.id, v.number"
    ),
    (
        "SELECT e.at, e.kind, e.data, u.first_name, u.last_name, u.username FROM cases_event e"
        " LEFT JOIN auth_user u ON u.id = e.actor_id WHERE e.case_id = %s ORDER BY e.at DESC, e.id DESC LIMIT 200"
    ),
    "SELECT * FROM cases_deadline WHERE case_id = %s ORDER BY kind",
    "SELECT * FROM cases_party WHERE case_id = %s ORDER BY role, created_at",
)

DOWNLOAD = re.compile(r'href="/verwaltung/vorgaenge/[0-9a-f-]{36}/dokumente/([0-9a-f-]{36})/"')
ROW = re.compile(
    r'<th scope="row" class="kern-table__cell"><a class="kern-link" href="/verwaltung/vorgaenge/([0-9a-f-]{36})/">'
    r"([^<]*)</a></th>\s*<td[^>]*>[^<]*</td>\s*<td[^>]*>([^<]*)</td>"
)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def _summary(values: list[float]) -> dict:
    return {
        "p50_ms": statistics.median(values),
        "p95_ms": _percentile(values, 0.95),
        "p99_ms": _percentile(values, 0.99),
        "mean_ms": statistics.fmean(values),
        "max_ms": max(values),
        "count": len(values),
    }


class Requests:
    """Page GETs through the WSGI handler, and bare SQL over two psycopg connections."""

    def __init__(self, handler, cookie_name: str):
        import psycopg

        self.handler = handler
        self.cookie_name = cookie_name
        # No automatic prepared statements: Django does not use them either, so both sides plan every query.
        url = common.database_url()
        self.connections = {
            "index": psycopg.connect(url, autocommit=True, prepare_threshold=None, options=INDEX_WALK),
            "plain": psycopg.connect(url, autocommit=True, prepare_threshold=None),
        }

    def close(self) -> None:
        for connection in self.connections.values():
            connection.close()

    def get(self, path: str, query: str, session: str) -> tuple[float, str]:
        from bench.django_side import _wsgi_environ

        env = _wsgi_environ("GET", path, f"{self.cookie_name}={session}", QUERY_STRING=query)
        env["wsgi.input"] = io.BytesIO(b"")
        status = []
        start = time.perf_counter()
        response = self.handler(env, lambda code, headers, exc_info=None: status.append(code))
        body = b"".join(response)
        response.close()
        elapsed = (time.perf_counter() - start) * 1000
        if not status or not status[0].startswith("200"):
            raise RuntimeError(f"GET {path}?{query} answered {status}: {body[:300]!r}")
        return elapsed, body.decode()

    def sql(self, item: dict) -> tuple[float, list[list]]:
        start = time.perf_counter()
        results = []
        with self.connections[item["connection"]].cursor() as cursor:
            for statement, params in item["sql"]:
                cursor.execute(statement, params)
                results.append(cursor.fetchall())
        return (time.perf_counter() - start) * 1000, results


def _inbox_requests(pages: list[dict], today: datetime.date) -> dict[str, list[dict]]:
    from urllib.parse import urlencode

    from kreiswerk.cases.selectors import cursor_decode

    first, filtered, case_open = [], [], []
    for page in pages:
        first.append(
            {
                "label": f"unit {page['unit']}",
                "path": INBOX_PATH,
                "query": "",
                "session": page["session"],
                "connection": "index",
                "sql": [(BASELINE_FIRST, (page["unit"],))],
            }
        )
        for entry in page["cursors"]:
            value, pk = cursor_decode(entry["cursor"])
            query = urlencode(
                {
                    "art": page["case_type"],
                    "status": page["status"],
                    "frist": FILTER_DUE,
                    "sortierung": FILTER_SORT,
                    "nach": entry["cursor"],
                }
            )
            params = (page["unit"], page["case_type"], page["status"], today + datetime.timedelta(days=7), value, pk)
            filtered.append(
                {
                    "label": f"unit {page['unit']} page {entry['page']}",
                    "path": INBOX_PATH,
                    "query": query,
                    "session": page["session"],
                    "connection": "index",
                    "sql": [(BASELINE_FILTERED, params)],
                }
            )
        case_open.append(
            {
                "label": f"case {page['case']}",
                "path": f"{INBOX_PATH}{page['case']}/",
                "query": "",
                "session": page["session"],
                "connection": "plain",
                "sql": [(BASELINE_CASE[0], (page["case"], page["unit"]))]
                + [(statement, (page["case"],)) for statement in BASELINE_CASE[1:]],
            }
        )
    return {"inbox_first_page": first, "inbox_filtered": filtered, "case_open": case_open}


def _check_inbox(body: str, rows: list) -> None:
    """The page lists the very rows of the bare query, in its order, applicants decrypted."""
    from kreiswerk.cases.models import Party

    name = Party._meta.get_field("name")
    shown = ROW.findall(body)
    expected = rows[:PAGE_SIZE]
    if [(str(row[0]), row[1]) for row in expected] != [(pk, reference) for pk, reference, _a in shown]:
        shown_refs, expected_refs = [ref for _p, ref, _a in shown][:5], [row[1] for row in expected][:5]
        raise RuntimeError(f"page rows {shown_refs}… differ from the bare query {expected_refs}…")
    for (_pk, _reference, applicant), row in zip(shown, expected, strict=True):
        if row[3] is None or html.unescape(applicant).strip() != name.from_db_value(row[3], None, None):
            raise RuntimeError(f"applicant {applicant!r} of {row[1]} is not the stored one")


def _check_case(body: str, results: list[list]) -> None:
    """The case page links every document version, shows every timeline event and the applicant."""
    versions = {str(row[3]) for row in results[1]}
    linked = set(DOWNLOAD.findall(body))
    if len(results[1]) < DOCUMENTS or linked != versions:
        raise RuntimeError(f"the case page links {len(linked)} document versions, the database holds {len(versions)}")
    timeline = body.split('class="kw-timeline"', 1)[-1].split("</ol>", 1)[0].count("<li")
    if timeline != len(results[2]):
        raise RuntimeError(f"the timeline shows {timeline} entries, the database holds {len(results[2])}")
    if "Erika Mustermann" not in body or not results[3]:
        raise RuntimeError("the case page lacks the applicant or the deadlines")


def _explain(requests: Requests, item: dict, path: Path, name: str) -> dict:
    """The queries one request runs, and EXPLAIN ANALYZE of its slowest reads, into ``path``."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        requests.get(item["path"], item["query"], item["session"])
    queries = [(float(query["time"]) * 1000, query["sql"]) for query in captured.captured_queries]
    lines = [f"{name}: {len(queries)} queries, {sum(ms for ms, _s in queries):.0f} ms in SQL ({item['label']})", ""]
    lines += [f"{ms:7.0f} ms  {sql[:300]}" for ms, sql in queries]
    with requests.connections["plain"].cursor() as cursor:
        for ms, sql in sorted(queries, reverse=True)[:3]:
            if not sql.lstrip().upper().startswith("SELECT") or "FOR UPDATE" in sql.upper():
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            lines += ["", f"--- {ms:.0f} ms during the request:", sql, ""]
            lines += [row[0] for row in cursor.fetchall()]
    path.write_text("\n".join(lines) + "\n")
    return {"queries": len(queries), "sql_ms": round(sum(ms for ms, _s in queries), 1)}


def _breakdown(requests: Requests, items: list[dict], path: Path, title: str) -> dict:
    """Where a request's time goes: timers around the view's parts (bench/breakdown.py), 50 requests."""
    from bench.breakdown import CASES_TARGETS, Breakdown

    count = 50
    breakdown = Breakdown()
    with breakdown.patched(CASES_TARGETS):
        for index in range(count):
            item = items[index % len(items)]
            requests.get(item["path"], item["query"], item["session"])
    path.write_text(f"One unit = one request of {title}.\n" + "\n".join(breakdown.lines(count)) + "\n")
    return breakdown.top(count, 12)


class Variant:
    """The product as it is, or with the proposed changes (switched on and off around each request)."""

    def __init__(self, name: str, switch=None, files: str = ""):
        self.name = name
        self.switch = switch  # a context manager factory, or None for the product
        self.files = files  # suffix of its explain and breakdown files

    def get(self, requests: Requests, item: dict) -> tuple[float, str]:
        if self.switch is None:
            return requests.get(item["path"], item["query"], item["session"])
        with self.switch():
            return requests.get(item["path"], item["query"], item["session"])

    def diagnose(self, requests: Requests, items: list[dict], workdir: Path, name: str) -> dict:
        suffix = self.files
        with self.switch() if self.switch else _nothing():
            return {
                "queries": _explain(requests, items[0], workdir / f"explain-{name}{suffix}.txt", name),
                "breakdown_ms_per_request": _breakdown(
                    requests, items, workdir / f"profile-breakdown-{name}{suffix}.txt", name
                ),
            }


@contextlib.contextmanager
def _nothing():
    yield


def _measure(requests: Requests, figures: dict, count: int, workdir: Path, variants: list[Variant]) -> dict:
    """Each figure: every distinct request checked, a warm-up, then ``count`` rounds of all variants
    and the bare SQL, interleaved request by request so load from other processes hits all alike."""
    result = {}
    for name, items in figures.items():
        if not items:
            raise RuntimeError(f"{name}: nothing to measure (too few cases for the later pages?)")
        for item in items:
            _ms, rows = requests.sql(item)
            for variant in variants:
                _ms, body = variant.get(requests, item)
                if name == "case_open":
                    _check_case(body, rows)
                else:
                    _check_inbox(body, rows[0])
        order = list(range(len(items)))
        random.Random(name).shuffle(order)  # noqa: S311  # nosec B311 - visiting order only
        warmup = max(20, count // 10)
        for index in range(warmup):
            item = items[order[index % len(items)]]
            for variant in variants:
                variant.get(requests, item)
            requests.sql(item)
        page_ms: dict[str, list[float]] = {variant.name: [] for variant in variants}
        sql_ms = []
        started = time.perf_counter()
        for index in range(count):
            item = items[order[index % len(items)]]
            for variant in variants if index % 2 == 0 else variants[::-1]:
                page_ms[variant.name].append(variant.get(requests, item)[0])
            sql_ms.append(requests.sql(item)[0])
        base = _summary(sql_ms)
        figure = {"baseline": base, "distinct_requests": len(items), "checked_against_baseline": len(items)}
        figure.update({"warmup": warmup, "seconds": time.perf_counter() - started})
        for variant in variants:
            page = _summary(page_ms[variant.name])
            figure[variant.name] = {
                "page": page,
                "ratio_p50": page["p50_ms"] / base["p50_ms"],
                "ratio_p95": page["p95_ms"] / base["p95_ms"],
                **variant.diagnose(requests, items, workdir, name),
            }
            say(
                f"{name} ({variant.name}): page p50 {page['p50_ms']:.1f} / p95 {page['p95_ms']:.1f} ms,"
                f" bare SQL p50 {base['p50_ms']:.2f} / p95 {base['p95_ms']:.2f} ms"
            )
        result[name] = figure
    return result


def cases_measure(workdir: Path, count: int) -> dict:
    """The product's three pages against bare SQL; with BENCH_CASES_PROPOSAL=1 then a second pass
    of product and proposal (bench/cases_proposal.py), interleaved, against bare SQL."""
    import os

    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.utils import timezone

    data = json.loads((workdir / "cases.json").read_text())
    figures = _inbox_requests(data["pages"], timezone.localdate())  # the day the product filters by
    requests = Requests(WSGIHandler(), settings.SESSION_COOKIE_NAME)
    product = Variant("product")
    try:
        measured = _measure(requests, figures, count, workdir, [product])
        result = {name: {**figure.pop("product"), **figure} for name, figure in measured.items()}
        if os.environ.get("BENCH_CASES_PROPOSAL") == "1":
            from bench import cases_proposal

            started = time.perf_counter()
            with requests.connections["plain"].cursor() as cursor:
                cases_proposal.apply_database(cursor)
            say(f"proposed indexes and statistics in {time.perf_counter() - started:.1f} s")
            compared = _measure(
                requests,
                figures,
                count,
                workdir,
                [Variant("product", files="-second-pass"), Variant("proposal", cases_proposal.applied, "-proposal")],
            )
            for name, figure in compared.items():
                result[name]["proposal_pass"] = figure
    finally:
        requests.close()
    result["count"] = count
    return result
