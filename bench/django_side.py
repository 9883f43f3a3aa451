"""The bench steps that run inside Django: ``python -m bench.django_side COMMAND WORKDIR [N]``.

Started by ``bench/run.py`` with ``DJANGO_SETTINGS_MODULE=bench.settings`` and the
run's environment; each command reports one JSON object (``common.report``).

setup          Mandant, unit, the three assistants; N drafts of the submit assistant,
               each bound to its own database session, written to WORKDIR/drafts.json
verify-submit  rows written by the submit and baseline load (for run.py's checks)
render         N GETs of the 40-field step and of a trivial page, in process, interleaved
export-data    N submissions of the 30-field assistant, bulk-inserted (payload encrypted)
export-run     the product's XLSX export of those submissions (time, peak memory)
cases-data     N cases in 50 units and the pages to measure (see bench/cases.py)
cases-measure  the inbox and the case view against bare SQL, N times each (see bench/cases.py)
cockpit-data   150 services and N submissions of a year with their cases, then the cockpit's rollup
               (see bench/cockpit.py)
cockpit-measure the dashboard against the same aggregates by bare SQL, N times; the yearly report PDF
handoff-data   the hand-off assistant and N submissions with a 100 KB attachment and their receipts
               rendered; writes the submission schema for the receiver to WORKDIR/handoff-schemas.json
handoff-run    a FIT-Connect destination for the receiver named in WORKDIR/handoff-receiver.json, one
               delivery per submission; times envelope_build alone (the baseline), then
               delivery_attempt for all N by two threads, and checks every delivery
"""

from __future__ import annotations

import hashlib
import io
import json
import queue
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import django

from bench import cases, cockpit, common, definitions

MB = 1024 * 1024


def _setup_django() -> None:
    django.setup()


def _mandant_and_unit():
    from kreiswerk.tenancy.models import Mandant, OrganisationalUnit

    mandant = Mandant.objects.get(slug=definitions.MANDANT_SLUG)
    return mandant, OrganisationalUnit.objects.get(mandant=mandant, code="bench")


def _session_rows(payloads: list[dict]):
    """Database sessions holding ``payloads``; returns (Session objects, keys)."""
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    store = SessionStore()
    expires = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    rows, keys = [], []
    for payload in payloads:
        key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
        rows.append(Session(session_key=key, session_data=store.encode(payload), expire_date=expires))
        keys.append(key)
    return rows, keys


def setup(workdir: Path, drafts: int) -> dict:
    from django.conf import settings
    from django.contrib.sessions.models import Session
    from django.db import transaction
    from django.middleware.csrf import _get_new_csrf_string
    from django.utils import timezone

    from kreiswerk.assistants.services import assistant_import
    from kreiswerk.runner.models import Draft
    from kreiswerk.runner.services import SESSION_DRAFTS
    from kreiswerk.tenancy.services import mandant_create, unit_create

    started = time.perf_counter()
    with transaction.atomic():
        mandant = mandant_create(
            slug=definitions.MANDANT_SLUG,
            name="Landkreis Benchkreis",
            kind="landkreis",
            reference_prefix=definitions.REFERENCE_PREFIX,
        )
        unit = unit_create(mandant=mandant, code="bench", name="Sachgebiet Bench", kind="sachgebiet")
        versions = {
            name: assistant_import(data=make(), mandant=mandant, unit=unit, publish=True)
            for name, make in (
                ("submit", definitions.submit_definition),
                ("render", definitions.render_definition),
                ("export", definitions.export_definition),
            )
        }
    expires = timezone.now() + timedelta(days=30)
    # Drafts as draft_start() makes them, many at once; each session holds one draft id,
    # as session_bind_draft() leaves it.
    objects = [Draft(version=versions["submit"], language="de", expires_at=expires) for _ in range(drafts)]
    render_draft = Draft(
        version=versions["render"], language="de", expires_at=expires, answers=definitions.render_answers()
    )
    with transaction.atomic():
        Draft.objects.bulk_create([*objects, render_draft], batch_size=1000)
        rows, keys = _session_rows([{SESSION_DRAFTS: [str(d.pk)]} for d in [*objects, render_draft]])
        Session.objects.bulk_create(rows, batch_size=1000)
    csrf = _get_new_csrf_string()
    data = {
        "csrf": csrf,
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "drafts": [[str(d.pk), key, str(d.submit_key)] for d, key in zip(objects, keys, strict=False)],
        "render": {"draft": str(render_draft.pk), "session": keys[-1]},
    }
    (workdir / "drafts.json").write_text(json.dumps(data))
    return {"seconds": time.perf_counter() - started, "drafts": drafts}


def verify_submit(workdir: Path, _n: int) -> dict:
    from django_tasks_db.models import DBTaskResult

    from bench.baselineapp.models import BenchRow
    from kreiswerk.runner.models import Draft
    from kreiswerk.submissions.models import Attachment, Submission

    submissions = Submission.objects.filter(assistant__slug=definitions.SUBMIT_SLUG)
    return {
        "submissions": submissions.count(),
        "attachments": Attachment.objects.filter(submission__in=submissions).count(),
        "stray_attachments": Attachment.objects.filter(submission__isnull=True).count(),
        "drafts_submitted": Draft.objects.filter(submitted__isnull=False).count(),
        "jobs_enqueued": DBTaskResult.objects.count(),
        "baseline_rows": BenchRow.objects.count(),
    }


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def render(workdir: Path, count: int, profile_to: Path | None = None) -> dict:
    """Server time of GET requests through the WSGI handler gunicorn calls (middleware included).

    With ``profile_to``, the step GETs run under cProfile and the top functions are written there.
    """
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler

    data = json.loads((workdir / "drafts.json").read_text())["render"]
    step_path = f"/entwurf/{data['draft']}/schritt/{definitions.RENDER_STEP}/"
    handler = WSGIHandler()

    pages = {
        "step": _wsgi_environ("GET", step_path, f"{settings.SESSION_COOKIE_NAME}={data['session']}"),
        "baseline": _wsgi_environ("GET", "/bench/baseline/render", ""),
    }

    def get(name: str) -> tuple[float, bytes]:
        env = dict(pages[name], **{"wsgi.input": io.BytesIO(b"")})
        status = []
        start = time.perf_counter()
        response = handler(env, lambda code, headers, exc_info=None: status.append(code))
        body = b"".join(response)
        response.close()
        elapsed = time.perf_counter() - start
        if not status or not status[0].startswith("200"):
            raise RuntimeError(f"GET {env['PATH_INFO']} answered {status}: {body[:500]!r}")
        return elapsed * 1000, body

    _ms, page = get("step")
    fields = sum(page.count(f'data-field="{key}"'.encode()) for key in _render_keys())
    if fields != 40:
        raise RuntimeError(f"the step page shows {fields} of 40 fields")
    warmup = max(50, count // 20)
    for _ in range(warmup):
        get("step")
        get("baseline")
    if profile_to is not None:
        import cProfile
        import pstats

        from bench.breakdown import RENDER_TARGETS, Breakdown

        breakdown = Breakdown()
        with breakdown.patched(RENDER_TARGETS):
            for _ in range(count):
                get("step")
        profile_to.with_name("profile-breakdown-render.txt").write_text(
            "One unit = one GET of the 40-field step.\n" + "\n".join(breakdown.lines(count)) + "\n"
        )

        profile = cProfile.Profile()
        profile.enable()
        for _ in range(count):
            get("step")
        profile.disable()
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats("tottime").print_stats(40)
        stats.sort_stats("cumulative").print_stats(80)
        profile_to.write_text(out.getvalue())
        profile.dump_stats(profile_to.with_suffix(".pstats"))
    times: dict[str, list[float]] = {"step": [], "baseline": []}
    started = time.perf_counter()
    for _ in range(count):
        # Interleaved, so load from other processes hits both sides alike.
        times["step"].append(get("step")[0])
        times["baseline"].append(get("baseline")[0])
    result = {"count": count, "seconds": time.perf_counter() - started, "page_bytes": len(page)}
    if profile_to is not None:
        result["breakdown_ms_per_request"] = breakdown.top(count, 10)
    for name, values in times.items():
        result[name] = {
            "p50_ms": statistics.median(values),
            "p95_ms": _percentile(values, 0.95),
            "mean_ms": statistics.fmean(values),
            "max_ms": max(values),
        }
    return result


def _render_keys() -> list[str]:
    step = definitions.render_definition()["steps"][0]
    return [element["key"] for element in step["elements"]]


def export_data(workdir: Path, count: int) -> dict:
    from django.db import connection, transaction

    from kreiswerk.assistants.models import AssistantVersion
    from kreiswerk.submissions.models import Submission

    mandant, unit = _mandant_and_unit()
    version = AssistantVersion.objects.select_related("assistant").get(assistant__slug=definitions.EXPORT_SLUG)
    # Deterministic receipt times, so the XLSX baseline writes the very same cells.
    Submission._meta.get_field("submitted_at").auto_now_add = False
    sql_seconds = 0.0

    def timed_sql(execute, sql, params, many, context):
        nonlocal sql_seconds
        begin = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sql_seconds += time.perf_counter() - begin

    started = time.perf_counter()
    batch_size = 2000
    for start in range(0, count, batch_size):
        batch = [
            Submission(
                reference=definitions.export_reference(i),
                mandant=mandant,
                unit=unit,
                assistant=version.assistant,
                version=version,
                payload={"answers": definitions.export_answers(i), "computed": {}},
                language="de",
                is_test=False,
                idempotency_key=uuid.uuid4(),
                submitted_at=definitions.export_submitted_at(i),
            )
            for i in range(start, min(count, start + batch_size))
        ]
        with transaction.atomic(), connection.execute_wrapper(timed_sql):
            Submission.objects.bulk_create(batch)
    inserted = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {Submission._meta.db_table}")
    return {
        "count": count,
        "seconds": inserted,
        "sql_seconds": sql_seconds,
        "with_vacuum_seconds": time.perf_counter() - started,
    }


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def export_run(workdir: Path, _n: int) -> dict:
    from kreiswerk.assistants.models import Assistant
    from kreiswerk.submissions.export import build_export
    from kreiswerk.submissions.models import Submission

    assistant = Assistant.objects.get(slug=definitions.EXPORT_SLUG)
    before = _rss_mb()
    with tempfile.TemporaryDirectory(prefix="kreiswerk-bench-export-") as directory:
        started = time.perf_counter()
        result = build_export(
            submissions=Submission.objects.all(), assistant=assistant, fmt="xlsx", directory=Path(directory)
        )
        seconds = time.perf_counter() - started
        size = result.path.stat().st_size
    return {
        "seconds": seconds,
        "rows": result.row_count,
        "file_mb": size / MB,
        "peak_mb": common.peak_rss_mb(),
        "rss_before_mb": before,
    }


def _wsgi_environ(method: str, path: str, cookie: str, **extra) -> dict:
    """A WSGI request as gunicorn would pass it, for in-process measurements."""
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9",
        "HTTP_USER_AGENT": "kreiswerk-bench",
        "HTTP_COOKIE": cookie,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        **extra,
    }


def _wsgi_post(handler, path: str, cookie: str, content_type: str, body: bytes) -> tuple[str, dict]:
    environ = _wsgi_environ(
        "POST",
        path,
        cookie,
        CONTENT_TYPE=content_type,
        CONTENT_LENGTH=str(len(body)),
        **{"wsgi.input": io.BytesIO(body)},
    )
    status, headers = [], {}

    def start_response(code, response_headers, exc_info=None):
        status.append(code)
        headers.update({name.lower(): value for name, value in response_headers})

    response = handler(environ, start_response)
    b"".join(response)
    response.close()
    return status[0], headers


def profile_submit(workdir: Path, count: int) -> dict:
    """The two submit requests in process through the WSGI handler: plain timings, then cProfile.

    Writes WORKDIR/profile-step.txt and WORKDIR/profile-check.txt (top functions by own
    and by cumulative time) and the raw .pstats next to them.
    """
    import cProfile
    import pstats
    from urllib.parse import urlencode

    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler

    from bench import loadgen

    data = json.loads((workdir / "drafts.json").read_text())
    csrf, drafts = data["csrf"], iter(data["drafts"])
    content_type, body = loadgen.multipart(
        [("csrfmiddlewaretoken", csrf), ("_step", definitions.SUBMIT_STEP), ("_action", "weiter")]
        + definitions.submit_post_fields(),
        [("nachweis", "nachweis.pdf", "application/pdf", definitions.pdf_bytes())],
    )
    handler = WSGIHandler()
    profiles = {"step": cProfile.Profile(), "check": cProfile.Profile()}
    times: dict[str, list[float]] = {"step": [], "check": [], "baseline": []}

    def one(profiled: bool, record: bool) -> None:
        draft_id, session_key, submit_key = next(drafts)
        cookie = f"csrftoken={csrf}; {settings.SESSION_COOKIE_NAME}={session_key}"
        form = urlencode({"csrfmiddlewaretoken": csrf, "submit_key": submit_key}).encode()
        requests = {
            "step": (f"/entwurf/{draft_id}/schritt/{definitions.SUBMIT_STEP}/", content_type, body, "/pruefen/"),
            "check": (f"/entwurf/{draft_id}/pruefen/", "application/x-www-form-urlencoded", form, "/eingang/"),
        }
        for name, (path, kind, payload, expect) in requests.items():
            start = time.perf_counter()
            if profiled:
                profiles[name].enable()
            status, headers = _wsgi_post(handler, path, cookie, kind, payload)
            if profiled:
                profiles[name].disable()
            if record:
                times[name].append((time.perf_counter() - start) * 1000)
            if not status.startswith("302") or expect not in headers.get("location", ""):
                raise RuntimeError(f"{name}: {status} {headers.get('location')}")
        baseline = urlencode({"csrfmiddlewaretoken": csrf, "name": "A", "email": "a@example.org", "amount": 1})
        start = time.perf_counter()
        _wsgi_post(
            handler,
            "/bench/baseline/insert",
            f"csrftoken={csrf}",
            "application/x-www-form-urlencoded",
            baseline.encode(),
        )
        if record:
            times["baseline"].append((time.perf_counter() - start) * 1000)

    from bench.breakdown import SUBMIT_TARGETS, Breakdown

    for _ in range(10):
        one(False, False)
    breakdown = Breakdown()
    with breakdown.patched(SUBMIT_TARGETS):
        for _ in range(count):
            one(False, True)
    for _ in range(count):
        one(True, False)
    result: dict = {
        name: {"mean_ms": statistics.fmean(values), "p50_ms": statistics.median(values)}
        for name, values in times.items()
    }
    (workdir / "profile-breakdown-submit.txt").write_text(
        "One unit = one submission (step POST + check POST) plus one baseline insert.\n"
        + "\n".join(breakdown.lines(count))
        + "\n"
    )
    result["breakdown_ms_per_submission"] = breakdown.top(count, 16)
    for name, profile in profiles.items():
        profile.dump_stats(workdir / f"profile-{name}.pstats")
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats("tottime").print_stats(30)
        stats.sort_stats("cumulative").print_stats(60)
        (workdir / f"profile-{name}.txt").write_text(out.getvalue())
    result["files"] = str(workdir)
    return result


def profile_render(workdir: Path, count: int) -> dict:
    return render(workdir, count, profile_to=workdir / "profile-render.txt")


HANDOFF_WORKERS = 2


def handoff_data(workdir: Path, count: int) -> dict:
    from django.conf import settings
    from django.db import transaction

    from kreiswerk.api.representation import schema_path
    from kreiswerk.assistants.services import assistant_import
    from kreiswerk.assistants.submission_schema import submission_schema
    from kreiswerk.crypto.files import store_encrypted
    from kreiswerk.submissions.models import Attachment, Submission
    from kreiswerk.submissions.receipt import receipt_ensure

    mandant, unit = _mandant_and_unit()
    started = time.perf_counter()
    version = assistant_import(data=definitions.handoff_definition(), mandant=mandant, unit=unit, publish=True)
    content = definitions.pdf_bytes(definitions.HANDOFF_FILE_BYTES)
    submissions = []
    # As tests/conftest.py's attach_file: the file stored encrypted, its id in the answers.
    for i in range(count):
        stored = store_encrypted([content], namespace="attachments")
        with transaction.atomic():
            submission = Submission.objects.create(
                reference=definitions.handoff_reference(i),
                mandant=mandant,
                unit=unit,
                assistant=version.assistant,
                version=version,
                payload={"answers": definitions.handoff_answers(i), "computed": {}},
                language="de",
                idempotency_key=uuid.uuid4(),
            )
            attachment = Attachment.objects.create(
                submission=submission,
                field_key=definitions.HANDOFF_FILE_FIELD,
                filename=f"Nachweis-{i + 1}.pdf",
                content_type="application/pdf",
                size=stored.size,
                sha256=stored.sha256,
                path=stored.path,
                key=stored.key_header,
            )
            answers = {**submission.answers, definitions.HANDOFF_FILE_FIELD: [str(attachment.pk)]}
            submission.payload = {**submission.payload, "answers": answers}
            submission.save(update_fields=["payload"])
        submissions.append(submission)
    created = time.perf_counter() - started
    # In production the receipt job has run before the hand-off starts: rendering is not measured.
    for submission in submissions:
        receipt_ensure(submission=submission)
    rendered = time.perf_counter() - started - created
    schema_uri = settings.KREISWERK_BASE_URL + schema_path(version)
    schemas = {schema_uri: submission_schema(version.parsed, schema_id=schema_uri)}
    (workdir / "handoff-schemas.json").write_text(json.dumps(schemas))
    return {"count": count, "create_seconds": created, "receipt_seconds": rendered, "schema_uri": schema_uri}


def _latencies(values: list[float]) -> dict:
    return {
        "p50_ms": statistics.median(values),
        "p95_ms": _percentile(values, 0.95),
        "mean_ms": statistics.fmean(values),
        "max_ms": max(values),
    }


def handoff_run(workdir: Path, count: int) -> dict:
    from django.db import connections

    from kreiswerk.handoff import services
    from kreiswerk.handoff.contrib.fitconnect import envelope_build, public_key_load
    from kreiswerk.handoff.models import Delivery, DeliveryEvent
    from kreiswerk.handoff.package import package_build
    from kreiswerk.submissions.models import Submission

    receiver = json.loads((workdir / "handoff-receiver.json").read_text())
    public_key = Path(receiver["public_key_file"]).read_text()
    submissions = list(Submission.objects.filter(assistant__slug=definitions.HANDOFF_SLUG).order_by("reference"))
    if len(submissions) != count:
        raise RuntimeError(f"{len(submissions)} submissions of the hand-off assistant, expected {count}")
    destination = services.destination_create(
        assistant=submissions[0].assistant,
        name="Bench-Fachverfahren",
        kind="fitconnect",
        url=receiver["url"] + "/fitconnect",
        public_key=public_key,
        destination_id=uuid.uuid4(),
    )
    deliveries = [delivery for s in submissions for delivery in services.deliveries_create(submission=s)]
    if len(deliveries) != count:
        raise RuntimeError(f"{len(deliveries)} deliveries for {count} submissions")

    # Baseline: the encryption alone, single thread, in process, packages built beforehand.
    packages, package_ms = [], []
    for delivery in deliveries:  # timed for the record only: it is part of an attempt, not of the baseline
        begin = time.perf_counter()
        packages.append(package_build(submission=delivery.submission))
        package_ms.append((time.perf_counter() - begin) * 1000)
    envelope_build(delivery=deliveries[0], package=packages[0], key=public_key_load(public_key))  # warm-up
    encrypt_ms = []
    started = time.perf_counter()
    for delivery, package in zip(deliveries, packages, strict=True):
        begin = time.perf_counter()
        envelope_build(delivery=delivery, package=package, key=public_key_load(destination.public_key))
        encrypt_ms.append((time.perf_counter() - begin) * 1000)
    encrypt_seconds = time.perf_counter() - started
    package_bytes = sum(len(package.data) + sum(len(f.content) for f in package.files) for package in packages)
    del packages

    # The figure: two workers attempt every delivery, each thread with its own connection.
    todo: queue.SimpleQueue = queue.SimpleQueue()
    for delivery in deliveries:
        todo.put(str(delivery.pk))
    attempt_ms: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            while True:
                try:
                    delivery_id = todo.get_nowait()
                except queue.Empty:
                    return
                begin = time.perf_counter()
                result = services.delivery_attempt(delivery_id=delivery_id)
                elapsed = (time.perf_counter() - begin) * 1000
                with lock:
                    attempt_ms.append(elapsed)
                    if result.status != Delivery.Status.DELIVERED:
                        errors.append(f"{result.status}: {result.last_error}")
        except Exception as exc:  # reported, and the figure fails
            with lock:
                errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, name=f"handoff-{n}") for n in range(HANDOFF_WORKERS)]
    started, cpu = time.perf_counter(), time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    handoff_seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu

    rows = Delivery.objects.filter(destination=destination)
    ids = sorted(str(pk) for pk in rows.values_list("pk", flat=True))
    return {
        "count": count,
        "workers": HANDOFF_WORKERS,
        "handoff": {
            "seconds": handoff_seconds,
            "per_second": count / handoff_seconds,
            "attempts": len(attempt_ms),
            "sender_cpu_seconds": cpu_seconds,
            **_latencies(attempt_ms),
        },
        "encryption": {"seconds": encrypt_seconds, "per_second": count / encrypt_seconds, **_latencies(encrypt_ms)},
        "package_build": _latencies(package_ms),
        "package_mb": package_bytes / MB,
        "errors": errors[:5],
        "error_count": len(errors),
        "verified": {
            "deliveries": len(ids),
            "delivered": rows.filter(status=Delivery.Status.DELIVERED).count(),
            "confirmed": rows.filter(confirmed_at__isnull=False).count(),
            "attempts_total": sum(rows.values_list("attempts", flat=True)),
            "delivered_events": DeliveryEvent.objects.filter(
                delivery__destination=destination, kind=DeliveryEvent.Kind.DELIVERED
            ).count(),
            "keys_sha256": hashlib.sha256("\n".join(ids).encode()).hexdigest(),
        },
    }


COMMANDS = {
    "profile-submit": profile_submit,
    "profile-render": profile_render,
    "setup": setup,
    "verify-submit": verify_submit,
    "render": render,
    "export-data": export_data,
    "export-run": export_run,
    "cases-data": cases.cases_data,
    "cases-measure": cases.cases_measure,
    "cockpit-data": cockpit.cockpit_data,
    "cockpit-measure": cockpit.cockpit_measure,
    "handoff-data": handoff_data,
    "handoff-run": handoff_run,
}


def main(argv: list[str]) -> None:
    command, workdir = argv[0], Path(argv[1])
    n = int(argv[2]) if len(argv) > 2 else 0
    _setup_django()
    common.report(COMMANDS[command](workdir, n))


if __name__ == "__main__":
    main(sys.argv[1:])
