"""The cockpit figures: a year of two million submissions over 150 services, the dashboard against bare SQL.

Two commands of ``bench.django_side``:

cockpit-data     150 assistants made from the demo's templates, each with its Vorgangsart and catalogue
                 entry (through the product's services), then N submissions (BENCH_COCKPIT) over the last
                 365 days generated set-based in PostgreSQL with their cases, Rückfragen, payments and
                 step counts; then ``rollup_rebuild`` for the year, the cost of a first import or a restore
                 (recorded, not a target); the team member's session goes to WORKDIR/cockpit.json
cockpit-measure  the dashboard for the year in process through the WSGI handler against the same aggregates
                 computed by bare SQL over the raw tables (checked against ``figures_compute`` first); then
                 the yearly report PDF (``report_pdf_bytes``) against computing its figures alone

The payload of every generated submission and the question of every Rückfrage are one envelope
each, made by the model's own encrypted field: the figures never decrypt them.
"""

from __future__ import annotations

import datetime
import json
import random
import statistics
import time
import uuid
from collections import Counter
from pathlib import Path

from bench import common, definitions

SERVICES = 150
UNITS = 10
FEE_SHARE = 0.3  # of the services: those that collect a fee online
PAID_SHARE = 0.86  # of the fee-bearing applications; the others expire unpaid and get no case
DIGITAL_SHARE = 0.96  # of the others: opened as a case in the E-Akte
INQUIRY_SHARE = 0.1  # of the cases
STEP_DROPOUT = 1.06  # each earlier step was reached by 6 % more than the next one
# What rollup_rebuild writes: the daily and monthly figures (and it reads runner_stepcount).
ROLLUP_TABLES = (
    "cockpit_submissionday",
    "cockpit_closedcaseday",
    "cockpit_submissionmonth",
    "cockpit_closedcasemonth",
    "runner_stepcountmonth",
)
LOADED_TABLES = [
    "submissions_submission",
    "payments_payment",
    "cases_akte",
    "cases_case",
    "cases_inquiry",
    "runner_stepcount",
]
DASHBOARD_PATH = "/verwaltung/cockpit/"
BASELINE_EVERY = 10  # one bare-SQL run (seconds, not milliseconds) per ten dashboard requests


def say(message: str) -> None:
    import sys

    print(f"[cockpit {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _service_counts(total: int) -> list[int]:
    """Uneven services, as in a real county: a few carry most of the submissions."""
    weights = [1 / (1 + index / 4) ** 1.3 for index in range(SERVICES)]
    scale = total / sum(weights)
    counts = [int(weight * scale) for weight in weights]
    counts[0] += total - sum(counts)
    return counts


# --- data -------------------------------------------------------------------------------------


def _services(mandant) -> list[dict]:
    """150 assistants with a Vorgangsart each and their catalogue entries, as an administrator makes them."""
    from kreiswerk.assistants.services import assistant_import
    from kreiswerk.cases import services as case_services
    from kreiswerk.cases.demo import CASE_TYPES, FILING_PLAN
    from kreiswerk.cases.demo import demo_definition as casetype_definition
    from kreiswerk.cockpit.demo import catalogue_entries, criteria_for
    from kreiswerk.cockpit.models import Service
    from kreiswerk.cockpit.services import service_save
    from kreiswerk.tenancy.management.commands.demo import demo_definition
    from kreiswerk.tenancy.services import unit_create

    for _slug, number, title in FILING_PLAN:
        case_services.filing_position_ensure(mandant=mandant, number=number, title=title)
    units = [
        unit_create(mandant=mandant, code=f"amt{index + 1:02d}", name=f"Amt {index + 1}", kind="amt")
        for index in range(UNITS)
    ]
    names = [entry.name for entry in catalogue_entries()]
    rng = random.Random(3)  # noqa: S311  # nosec B311 - invented data
    rows = []
    for index in range(SERVICES):
        key = CASE_TYPES[index % len(CASE_TYPES)][0]
        unit = units[index % UNITS]
        data = demo_definition(key)
        data["slug"] = f"{key}-{index + 1:03d}"
        version = assistant_import(data=data, mandant=mandant, unit=unit, publish=True)
        case_data = casetype_definition(key)
        case_data["key"] = f"{key}_{index + 1:03d}"
        case_data["assistant"] = data["slug"]
        case_version = case_services.casetype_import(data=case_data, mandant=mandant, unit=unit, publish=True)
        fee = rng.random() < FEE_SHARE
        service_save(
            service=Service(mandant=mandant),
            actor=None,
            name=f"{names[index % len(names)]} ({index + 1})",
            leika_key=f"99{index + 1:012d}",
            unit=unit,
            channel="kreiswerk",
            assistant=version.assistant,
            criteria=criteria_for(rng.choice((2, 3, 3, 4, 5, 6)), rng),
        )
        parsed = case_version.parsed
        final = next((status.key for status in parsed.statuses if status.final), parsed.statuses[-1].key)
        rows.append(
            {
                "assistant": version.assistant_id,
                "version": version.pk,
                "unit": unit.pk,
                "case_type": case_version.case_type_id,
                "case_version": case_version.pk,
                "filing": case_version.case_type.filing_position_id,
                "title": parsed.title,
                "initial": parsed.initial_status.key,
                "final": final,
                "result": parsed.results[0].key,
                "fee": fee,
                "median_days": rng.choice((2, 4, 7, 12, 21)),
                # Newest step first, then "" (begun): the step counts grow towards the start.
                "steps": [step.key for step in reversed(version.parsed.steps)] + [""],
            }
        )
    return rows


GENERATE = """
CREATE UNLOGGED TABLE bench_cs AS
WITH draw AS (
    SELECT g.n, a.*, random() AS r_when, random() AS r_fee, random() AS r_case, random() AS r_inq,
           random() AS r_d1, random() AS r_d2, random() AS r_d3
      FROM bench_service a
     CROSS JOIN LATERAL generate_series(a.first_n, a.first_n + a.cnt - 1) AS g(n)
), shaped AS (
    SELECT d.*, date_trunc('second', now() - interval '365 days' * d.r_when) AS submitted_at,
           d.fee AND d.r_fee >= %(paid)s AS unpaid,
           -- about log-normal around the service's median
           d.median_days * exp(1.2 * (d.r_d1 + d.r_d2 + d.r_d3 - 1.5)) AS duration_days
      FROM draw d
)
SELECT s.n, gen_random_uuid() AS id, gen_random_uuid() AS case_id, gen_random_uuid() AS akte_id,
       s.assistant_id, s.version_id, s.unit_id, s.case_type_id, s.case_version_id, s.filing_id, s.title,
       s.initial_status, s.final_status, s.result, s.fee, s.unpaid, s.submitted_at,
       NOT s.unpaid AND s.r_case < %(digital)s AS has_case,
       NOT s.unpaid AND s.r_case < %(digital)s AND s.r_inq < %(inquiry)s AS has_inquiry,
       s.submitted_at + interval '2 minutes' AS received_at,
       CASE WHEN s.submitted_at + interval '2 minutes' + s.duration_days * interval '1 day' < now()
            THEN s.submitted_at + interval '2 minutes' + s.duration_days * interval '1 day' END AS closed_at
  FROM shaped s
 ORDER BY s.submitted_at, s.n
"""

INSERTS = {
    "submissions": """
        INSERT INTO submissions_submission (id, reference, mandant_id, unit_id, assistant_id, version_id, payload,
                                            language, is_test, idempotency_key, submitted_at, receipt_path,
                                            awaiting_payment_since, payment_expired_at)
        SELECT id, 'BK-C-' || n, %(mandant)s, unit_id, assistant_id, version_id, %(payload)s, 'de', false,
               gen_random_uuid(), submitted_at, '',
               CASE WHEN unpaid THEN submitted_at END, CASE WHEN unpaid THEN submitted_at + interval '72 hours' END
          FROM bench_cs""",
    "payments": """
        INSERT INTO payments_payment (id, submission_id, provider, request_id, transaction_id, reference, pay_url,
                                      amount, currency, line_items, method, status, created_at, booked_at)
        SELECT gen_random_uuid(), id, 'epaybl', gen_random_uuid(), '', '', '', 26.00, 'EUR', '[]', 'giropay',
               'BOOKED', submitted_at + interval '1 minute', submitted_at + interval '3 minutes'
          FROM bench_cs WHERE fee AND NOT unpaid""",
    "akten": """
        INSERT INTO cases_akte (id, mandant_id, unit_id, filing_position_id, reference, title, opened_at, closed_at)
        SELECT akte_id, %(mandant)s, unit_id, filing_id, 'BK-C-' || n, title, received_at, closed_at
          FROM bench_cs WHERE has_case""",
    "cases": """
        INSERT INTO cases_case (id, reference, status, status_changed_at, is_open, result, received_at, closed_at,
                                due_sort, disposal, akte_id, mandant_id, submission_id, unit_id, case_type_id,
                                version_id)
        SELECT case_id, 'BK-C-' || n, CASE WHEN closed_at IS NULL THEN initial_status ELSE final_status END,
               coalesce(closed_at, received_at), closed_at IS NULL, CASE WHEN closed_at IS NULL THEN '' ELSE result END,
               received_at, closed_at, DATE '9999-12-31', '', akte_id, %(mandant)s, id, unit_id, case_type_id,
               case_version_id
          FROM bench_cs WHERE has_case""",
    "inquiries": """
        INSERT INTO cases_inquiry (id, case_id, question, allows_upload, answer_by, suspends, state, asked_by_id,
                                   asked_at, answered_at)
        SELECT gen_random_uuid(), case_id, %(question)s, true, (received_at + interval '15 days')::date, true,
               'beantwortet', %(user)s, received_at + interval '1 day', received_at + interval '3 days'
          FROM bench_cs WHERE has_inquiry""",
    "step counts": """
        INSERT INTO runner_stepcount (assistant_id, step, day, count)
        SELECT d.assistant_id, s.step, d.day, ceil(d.n * power(%(dropout)s, s.pos))::int
          FROM (SELECT assistant_id, (submitted_at AT TIME ZONE %(tz)s)::date AS day, count(*) AS n
                  FROM bench_cs GROUP BY 1, 2) d
          JOIN bench_service a ON a.assistant_id = d.assistant_id
         CROSS JOIN LATERAL unnest(a.steps) WITH ORDINALITY AS s(step, pos)""",
}


def _generate(connection, *, mandant, services: list[dict], user, count: int) -> dict:
    from django.conf import settings

    from kreiswerk.cases.models import Inquiry
    from kreiswerk.submissions.models import Submission

    payload = Submission._meta.get_field("payload").get_prep_value({"answers": definitions.render_answers()})
    question = Inquiry._meta.get_field("question").get_prep_value("Bitte reichen Sie den fehlenden Nachweis nach.")
    counts = _service_counts(count)
    first = 1
    service_rows = []
    for service, service_count in zip(services, counts, strict=True):
        service_rows.append(
            (
                service["assistant"],
                service["version"],
                service["unit"],
                service["case_type"],
                service["case_version"],
                service["filing"],
                service["title"],
                service["initial"],
                service["final"],
                service["result"],
                service["fee"],
                service["median_days"],
                service["steps"],
                first,
                service_count,
            )
        )
        first += service_count
    timings: dict[str, float] = {}
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor  # the psycopg cursor, for COPY
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SET maintenance_work_mem = '256MB'")
        cursor.execute("SET work_mem = '64MB'")
        cursor.execute(
            "CREATE UNLOGGED TABLE bench_service (assistant_id bigint, version_id bigint, unit_id bigint,"
            " case_type_id bigint, case_version_id bigint, filing_id bigint, title text, initial_status text,"
            " final_status text, result text, fee boolean, median_days float8, steps text[], first_n int, cnt int)"
        )
        with cursor.copy("COPY bench_service FROM STDIN") as copy:
            for row in service_rows:
                copy.write_row(row)
        cursor.execute("SELECT setseed(0.2026)")
        started = time.perf_counter()
        cursor.execute(GENERATE, {"paid": PAID_SHARE, "digital": DIGITAL_SHARE, "inquiry": INQUIRY_SHARE})
        timings["staging"] = time.perf_counter() - started
        say(f"staging table: {timings['staging']:.1f} s")
        params = {
            "mandant": mandant.pk,
            "payload": payload,
            "question": question,
            "user": user.pk,
            "dropout": STEP_DROPOUT,
            "tz": settings.TIME_ZONE,
        }
        with common.bulk_load(cursor, LOADED_TABLES, say=say):
            for name, statement in INSERTS.items():
                started = time.perf_counter()
                cursor.execute(statement, params)
                timings[name] = time.perf_counter() - started
                say(f"{name}: {cursor.rowcount} rows in {timings[name]:.1f} s")
            started = time.perf_counter()  # the indexes are rebuilt on leaving the block
        timings["indexes"] = time.perf_counter() - started
        say(f"indexes rebuilt in {timings['indexes']:.1f} s")
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE has_case), count(*) FILTER (WHERE has_case AND closed_at IS NULL),"
            " count(*) FILTER (WHERE has_inquiry), count(*) FILTER (WHERE fee AND NOT unpaid),"
            " count(*) FILTER (WHERE unpaid), min(submitted_at), max(submitted_at) FROM bench_cs"
        )
        total, cases, open_cases, inquiries, paid, unpaid, oldest, newest = cursor.fetchone()
        cursor.execute("DROP TABLE bench_cs, bench_service")
    return {
        "submissions": total,
        "cases": cases,
        "open_cases": open_cases,
        "inquiries": inquiries,
        "paid": paid,
        "unpaid": unpaid,
        "submitted_from": oldest.isoformat(),
        "submitted_to": newest.isoformat(),
        "largest_service": max(counts),
        "smallest_service": min(counts),
        "seconds": timings,
    }


def cockpit_data(workdir: Path, count: int) -> dict:
    from django.db import connection, transaction
    from django.test import Client
    from django.utils import timezone

    from bench.cases import _session
    from kreiswerk.cockpit.rollup import rollup_rebuild
    from kreiswerk.tenancy.models import Mandant, OrganisationalUnit, Role
    from kreiswerk.tenancy.services import membership_grant, staff_user_create

    started = time.perf_counter()
    mandant = Mandant.objects.get(slug=definitions.MANDANT_SLUG)
    with transaction.atomic():
        services = _services(mandant)
        user = staff_user_create(
            username="bench-cockpit", password=uuid.uuid4().hex, first_name="Dora", last_name="Digital"
        )
        membership_grant(
            user=user, unit=OrganisationalUnit.objects.get(mandant=mandant, code="bench"), role=Role.DIGITAL_TEAM
        )
    orm_seconds = time.perf_counter() - started
    say(f"{len(services)} assistants, Vorgangsarten and catalogue entries: {orm_seconds:.1f} s")
    with transaction.atomic():
        generated = _generate(connection, mandant=mandant, services=services, user=user, count=count)
    vacuum_at = time.perf_counter()
    with connection.cursor() as cursor:
        for table in LOADED_TABLES:
            cursor.execute(f"VACUUM ANALYZE {table}")
    vacuum_seconds = time.perf_counter() - vacuum_at
    say(f"VACUUM ANALYZE: {vacuum_seconds:.1f} s")
    today = timezone.localdate()
    start = today - datetime.timedelta(days=365)
    rollup_at = time.perf_counter()
    rollup_rebuild(start=start, end=today)
    rollup_seconds = time.perf_counter() - rollup_at
    say(f"rollup_rebuild over {(today - start).days + 1} days: {rollup_seconds:.1f} s")
    with connection.cursor() as cursor:
        for table in ROLLUP_TABLES:
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("SELECT count(*) FROM cockpit_submissionday")
        day_rows = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM cockpit_closedcaseday")
        histogram_rows = cursor.fetchone()[0]
        cursor.execute("SELECT pg_total_relation_size('submissions_submission')")
        table_mb = round(cursor.fetchone()[0] / 1024 / 1024)
    period = {"start": (today - datetime.timedelta(days=364)).isoformat(), "end": today.isoformat()}
    (workdir / "cockpit.json").write_text(
        json.dumps({"session": _session(Client, user), "user": user.pk, "mandant": mandant.pk, "period": period})
    )
    return {
        "seconds": time.perf_counter() - started,
        "generated": generated,
        "orm_setup_seconds": orm_seconds,
        "vacuum_analyze_seconds": vacuum_seconds,
        "rollup_rebuild_seconds": rollup_seconds,
        "rollup_rows": {"submission_days": day_rows, "closed_case_days": histogram_rows},
        "submissions_table_mb": table_mb,
        "services": len(services),
    }


# --- measuring --------------------------------------------------------------------------------

# The dashboard's platform figures over the raw rows: what the page would cost without the daily rollup.
BASELINE = (
    # submissions per month and assistant
    "SELECT assistant_id, date_trunc('month', submitted_at AT TIME ZONE %(tz)s)::date, count(*)"
    " FROM submissions_submission WHERE submitted_at >= %(start)s AND submitted_at < %(end)s AND NOT is_test"
    " GROUP BY 1, 2",
    # digital intake, Rückfrage, fee and paid online
    "SELECT count(*),"
    " count(*) FILTER (WHERE EXISTS (SELECT 1 FROM cases_case c WHERE c.submission_id = s.id)"
    "   OR EXISTS (SELECT 1 FROM handoff_deliveryevent e JOIN handoff_delivery d ON d.id = e.delivery_id"
    "              WHERE d.submission_id = s.id AND e.kind = 'delivered')),"
    " count(*) FILTER (WHERE EXISTS (SELECT 1 FROM cases_inquiry i JOIN cases_case c ON c.id = i.case_id"
    "                               WHERE c.submission_id = s.id)),"
    " count(*) FILTER (WHERE EXISTS (SELECT 1 FROM payments_payment p WHERE p.submission_id = s.id)"
    "   OR s.awaiting_payment_since IS NOT NULL),"
    " count(*) FILTER (WHERE EXISTS (SELECT 1 FROM payments_payment p WHERE p.submission_id = s.id"
    "                               AND p.status = 'BOOKED'))"
    " FROM submissions_submission s WHERE s.submitted_at >= %(start)s AND s.submitted_at < %(end)s AND NOT s.is_test",
    # processing time per Vorgangsart (nearest rank, as the dashboard shows it)
    "SELECT case_type_id, count(*),"
    " percentile_disc(0.5) WITHIN GROUP (ORDER BY d), percentile_disc(0.9) WITHIN GROUP (ORDER BY d)"
    " FROM (SELECT case_type_id, greatest((closed_at AT TIME ZONE %(tz)s)::date"
    "       - (received_at AT TIME ZONE %(tz)s)::date, 0) AS d"
    "       FROM cases_case WHERE closed_at >= %(start)s AND closed_at < %(end)s) t GROUP BY 1",
    # drop-off per step
    "SELECT assistant_id, step, sum(count) FROM runner_stepcount WHERE day >= %(first)s AND day <= %(last)s"
    " GROUP BY 1, 2",
    # services per maturity level
    "SELECT maturity_level, count(*) FROM cockpit_service GROUP BY 1",
)


def _baseline_items(period, tz: str) -> dict:
    from kreiswerk.cockpit.rollup import day_bounds

    params = {
        "tz": tz,
        "start": day_bounds(period.start)[0],
        "end": day_bounds(period.end)[1],
        "first": period.start,
        "last": period.end,
    }
    return {"connection": "plain", "sql": [(statement, params) for statement in BASELINE]}


def _check(figures, results: list[list]) -> dict:
    """The dashboard's figures are the bare SQL's, to the row."""
    monthly, totals, durations, steps, levels = results
    problems = []
    shown = Counter()
    for row in figures.per_service:
        for month, value in row.by_month.items():
            if value:
                shown[row.assistant.pk, month] = value
    if shown != Counter({(assistant, month): value for assistant, month, value in monthly}):
        problems.append("submissions per month and service differ")
    total, digital, inquiry, fee, paid = totals[0]
    mine = (figures.submissions, figures.digital_intake, figures.with_inquiry, figures.with_fee, figures.paid_online)
    if mine != (total, digital, inquiry, fee, paid):
        problems.append(f"totals {mine} differ from the bare SQL's {(total, digital, inquiry, fee, paid)}")
    shown_durations = {row.case_type.pk: (row.cases, row.median, row.p90) for row in figures.durations}
    if shown_durations != {row[0]: (row[1], row[2], row[3]) for row in durations}:
        problems.append("processing times per Vorgangsart differ")
    started = sum(value for _assistant, step, value in steps if step == "")
    if sum(funnel.started for funnel in figures.funnels) != started:
        problems.append("applications begun differ")
    if {level: count for level, count in figures.by_level.items() if count} != dict(levels):
        problems.append("services per maturity level differ")
    if problems:
        raise RuntimeError("; ".join(problems))
    return {"submissions": total, "digital_intake": digital, "with_inquiry": inquiry, "paid_online": paid}


def cockpit_measure(workdir: Path, count: int) -> dict:
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection

    from bench.cases import Requests, _summary
    from kreiswerk.cockpit.models import Report
    from kreiswerk.cockpit.selectors import Period, figures_compute
    from kreiswerk.tenancy.models import Mandant

    data = json.loads((workdir / "cockpit.json").read_text())
    mandant = Mandant.objects.get(pk=data["mandant"])
    period = Period(
        datetime.date.fromisoformat(data["period"]["start"]), datetime.date.fromisoformat(data["period"]["end"])
    )
    query = f"von={period.start:%Y-%m-%d}&bis={period.end:%Y-%m-%d}"
    item = _baseline_items(period, settings.TIME_ZONE)
    requests = Requests(WSGIHandler(), settings.SESSION_COOKIE_NAME)
    try:
        base_ms, results = requests.sql(item)
        checked = _check(figures_compute(mandant=mandant, period=period), results)
        say(f"figures checked against bare SQL ({base_ms:.0f} ms): {checked}")
        _ms, body = requests.get(DASHBOARD_PATH, query, data["session"])
        if "<svg" not in body:
            raise RuntimeError("the dashboard shows no chart")
        queries = []

        def counted(execute, sql, params, many, context):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counted):
            requests.get(DASHBOARD_PATH, query, data["session"])
        # The selector alone: what of the page's time is figures, what is charts and template.
        selector_ms = []
        for _index in range(5):
            started = time.perf_counter()
            figures_compute(mandant=mandant, period=period)
            selector_ms.append((time.perf_counter() - started) * 1000)
        for _index in range(5):  # warm-up
            requests.get(DASHBOARD_PATH, query, data["session"])
        page_ms, sql_ms = [], []
        started = time.perf_counter()
        for index in range(count):
            page_ms.append(requests.get(DASHBOARD_PATH, query, data["session"])[0])
            if index % BASELINE_EVERY == 0:
                sql_ms.append(requests.sql(item)[0])
        seconds = time.perf_counter() - started
    finally:
        requests.close()
    page, base = _summary(page_ms), _summary(sql_ms)
    say(f"dashboard p50 {page['p50_ms']:.0f} / p95 {page['p95_ms']:.0f} ms, bare SQL p50 {base['p50_ms']:.0f} ms")
    return {
        "dashboard": {
            "page": page,
            "baseline": base,
            "checked": checked,
            "queries": len(queries),
            "figures_compute_p50_ms": statistics.median(selector_ms),
            "seconds": seconds,
        },
        "report_pdf": _report_pdf(mandant, data["user"], period, Report),
    }


def _report_pdf(mandant, user_id: int, period, report_model) -> dict:
    """The yearly report: three renderings, against computing its figures alone (``report_context``)."""
    from django.contrib.auth import get_user_model

    from kreiswerk.cockpit.report import report_context, report_pdf_bytes
    from kreiswerk.cockpit.services import report_save

    report = report_save(
        mandant=mandant,
        actor=get_user_model().objects.get(pk=user_id),
        kind=report_model.Kind.YEARLY,
        period_start=period.start,
        period_end=period.end,
        title="",
        introduction="Sachstandsbericht für den Kreistag (Benchmark).",
    )
    pdf_s, context_s, size = [], [], 0
    for _index in range(3):
        started = time.perf_counter()
        size = len(report_pdf_bytes(report))
        pdf_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        report_context(report)
        context_s.append(time.perf_counter() - started)
    say(
        f"report PDF: {', '.join(f'{s:.1f}' for s in pdf_s)} s ({size // 1024} KB),"
        f" figures alone {min(context_s):.1f} s"
    )
    return {
        "seconds": pdf_s,
        "max_seconds": max(pdf_s),
        "median_seconds": statistics.median(pdf_s),
        "context_seconds": context_s,
        "pdf_kb": size // 1024,
        "peak_mb": common.peak_rss_mb(),
    }
