"""``make bench``: three figures of kreiswerk, each with a baseline measured in the same run.

submit  the citizen submit path over HTTP (gunicorn, PostgreSQL), against a minimal insert view
render  server time of a 40-field step page, against a trivial template page
export  100,000 submissions to XLSX, against writing the same cells with XlsxWriter directly

Writes bench/results.json, updates the table in docs/benchmarks.md, prints a table,
and exits 1 when a target is missed (2 when a phase failed). Every run uses a
fresh PostgreSQL database and a fresh data directory and removes both afterwards.
Knobs (environment): BENCH_DURATION, BENCH_CLIENTS, BENCH_DRAFTS, BENCH_RENDER_N,
BENCH_EXPORT_N, BENCH_WORKER_CLASS, BENCH_PHASES (e.g. "submit,render"), BENCH_KEEP=1.
BENCH_PHASES=profile (with BENCH_KEEP=1) runs the two submit requests in process under
cProfile and leaves profile-step.txt / profile-check.txt in the kept directory.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import common, definitions, loadgen  # noqa: E402

DURATION = float(os.environ.get("BENCH_DURATION", 30))
WARMUP = float(os.environ.get("BENCH_WARMUP", 4))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", 16))
DRAFTS = int(os.environ.get("BENCH_DRAFTS", 10000))
RENDER_N = int(os.environ.get("BENCH_RENDER_N", 2000))
EXPORT_N = int(os.environ.get("BENCH_EXPORT_N", 100_000))
WORKERS = 2
WORKER_CLASS = os.environ.get("BENCH_WORKER_CLASS", "sync")
THREADS = int(os.environ.get("BENCH_THREADS", 4))
PHASES = [p for p in os.environ.get("BENCH_PHASES", "submit,render,export").split(",") if p]

TARGETS = {
    "submit": {"ratio_min": 0.35, "p95_ms_max": 250.0},
    "render": {"p95_ms_max": 30.0},
    "export": {"seconds_max": 60.0, "peak_mb_max": 300.0},
}
RESULTS = ROOT / "bench" / "results.json"
DOCS = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def command() -> str:
    """The command that reproduces this run: ``make bench`` plus any BENCH_* overrides."""
    overrides = [f"{name}={value}" for name, value in sorted(os.environ.items()) if name.startswith("BENCH_")]
    return " ".join([*overrides, "make bench"])


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


class Run:
    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="kreiswerk-bench-"))
        self.data_dir = self.tmp / "data"
        self.log = self.tmp / "bench.log"
        self.env = common.bench_env(self.data_dir)
        self.gunicorn: subprocess.Popen | None = None
        self.port = 0

    # --- plumbing ---------------------------------------------------------------------------

    def django(self, command: str, n: int = 0, timeout: float = 600) -> dict:
        args = [common.PYTHON, "-m", "bench.django_side", command, str(self.tmp), str(n)]
        return common.run_json(args, self.env, timeout=timeout, log=self.log)

    def manage(self, *args: str) -> None:
        with self.log.open("a") as handle:
            subprocess.run(
                [common.PYTHON, "-m", "kreiswerk.cli", *args],
                env=self.env,
                cwd=ROOT,
                stdout=handle,
                stderr=handle,
                check=True,
                timeout=600,
            )

    def prepare(self) -> None:
        say(f"fresh database {common.DB_NAME}, data directory {self.data_dir}")
        common.database_recreate()
        started = time.perf_counter()
        self.manage("migrate", "--noinput", "-v", "0")
        self.manage("createcachetable")
        say(f"migrated in {time.perf_counter() - started:.1f} s")
        drafts = DRAFTS if "submit" in PHASES else 0
        if "profile" in PHASES:
            drafts += 2 * int(os.environ.get("BENCH_PROFILE_N", 100)) + 10
        result = self.django("setup", drafts)
        say(f"assistants, {drafts} drafts and sessions created in {result['seconds']:.1f} s")

    def start_gunicorn(self) -> None:
        self.port = common.free_port()
        args = [
            common.PYTHON,
            "-m",
            "gunicorn",
            "kreiswerk.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(WORKERS),
            "--worker-class",
            WORKER_CLASS,
            "--timeout",
            "60",
            "--graceful-timeout",
            "30",
            "--access-logfile",
            str(self.tmp / "access.log"),
            "--error-logfile",
            str(self.tmp / "gunicorn.log"),
        ]
        if WORKER_CLASS == "gthread":
            args += ["--threads", str(THREADS)]
        with (self.tmp / "gunicorn.out").open("ab") as output:
            self.gunicorn = subprocess.Popen(
                args, env=self.env, cwd=ROOT, stdout=output, stderr=output, start_new_session=True
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.gunicorn.poll() is not None:
                raise RuntimeError("gunicorn exited; see " + str(self.tmp / "gunicorn.log"))
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as response:
                    if response.status == 200:
                        say(f"gunicorn ({WORKERS} {WORKER_CLASS} workers) on port {self.port}")
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer /healthz within 60 s")

    def stop_gunicorn(self) -> None:
        if self.gunicorn is None or self.gunicorn.poll() is not None:
            return
        self.gunicorn.send_signal(signal.SIGTERM)
        try:
            self.gunicorn.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.gunicorn.kill()
            self.gunicorn.wait()

    def cleanup(self, keep: bool) -> None:
        self.stop_gunicorn()
        try:
            common.database_drop()
        except Exception as exc:  # the report matters more than the cleanup
            say(f"could not drop {common.DB_NAME}: {exc}")
        if keep:
            say(f"kept {self.tmp} (logs: bench.log, gunicorn.log, access.log)")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # --- figures ----------------------------------------------------------------------------

    def submit(self) -> dict:
        data = json.loads((self.tmp / "drafts.json").read_text())
        drafts = iter(data["drafts"])
        csrf = data["csrf"]
        submit = loadgen.submit_iterations(
            drafts,
            csrf=csrf,
            session_cookie=data["session_cookie"],
            step_key=definitions.SUBMIT_STEP,
            fields=definitions.submit_post_fields(),
            file=("nachweis", "nachweis.pdf", "application/pdf", definitions.pdf_bytes()),
        )
        baseline = loadgen.baseline_iterations(csrf=csrf)
        self.start_gunicorn()
        try:
            say(f"warm-up {WARMUP:.0f} s each")
            warm_submit = loadgen.run("127.0.0.1", self.port, CLIENTS, WARMUP, submit)
            warm_base = loadgen.run("127.0.0.1", self.port, CLIENTS, WARMUP, baseline)
            say(f"submit: {CLIENTS} clients for {DURATION:.0f} s")
            measured = loadgen.run("127.0.0.1", self.port, CLIENTS, DURATION, submit)
            say(f"  {measured.rate:.1f} submissions/s, p95 {measured.percentile(0.95):.0f} ms")
            say(f"baseline insert: {CLIENTS} clients for {DURATION:.0f} s")
            base = loadgen.run("127.0.0.1", self.port, CLIENTS, DURATION, baseline)
            say(f"  {base.rate:.1f} requests/s, p95 {base.percentile(0.95):.0f} ms")
        finally:
            self.stop_gunicorn()
        check = self.django("verify-submit")
        problems = []
        expected = warm_submit.ok_total + measured.ok_total
        if check["submissions"] != expected:
            problems.append(f"{check['submissions']} Submission rows, but {expected} submits answered with success")
        if check["attachments"] != check["submissions"]:
            problems.append(f"{check['attachments']} attachments for {check['submissions']} submissions")
        base_expected = warm_base.ok_total + base.ok_total
        if check["baseline_rows"] != base_expected:
            problems.append(f"{check['baseline_rows']} baseline rows, but {base_expected} inserts succeeded")
        outcomes = (("submit", measured), ("baseline", base), ("warm-up", warm_submit), ("baseline warm-up", warm_base))
        for name, outcome in outcomes:
            if outcome.server_errors:
                problems.append(f"{name}: {outcome.server_errors} responses with 5xx")
            if outcome.failed:
                problems.append(f"{name}: {outcome.failed} failed iterations, e.g. {outcome.failures[:2]}")
            if outcome.exhausted:
                problems.append(f"{name}: ran out of prepared drafts (raise BENCH_DRAFTS)")
        target = TARGETS["submit"]
        ratio = measured.rate / base.rate if base.rate else float("nan")
        p95 = measured.percentile(0.95)
        return {
            "name": "submit",
            "value": round(measured.rate, 2),
            "unit": "submissions/s",
            "p50_ms": round(measured.percentile(0.5), 1),
            "p95_ms": round(p95, 1),
            "baseline": {
                "what": "minimal Django view: form with three fields, one INSERT (same gunicorn, same clients)",
                "value": round(base.rate, 1),
                "unit": "requests/s",
                "p50_ms": round(base.percentile(0.5), 1),
                "p95_ms": round(base.percentile(0.95), 1),
            },
            "ratio": round(ratio, 3),
            "ratio_means": "submissions/s ÷ baseline requests/s (higher is better)",
            "target": target,
            "ok": not problems and ratio >= target["ratio_min"] and p95 <= target["p95_ms_max"],
            "problems": problems,
            "setup": {
                "server": f"gunicorn, {WORKERS} {WORKER_CLASS} workers"
                + (f" × {THREADS} threads" if WORKER_CLASS == "gthread" else ""),
                "clients": CLIENTS,
                "duration_s": DURATION,
                "warmup_s": WARMUP,
                "submission": "POST step (19 fields + 200 KB PDF, multipart) → 302, POST check page → 302",
            },
            "measured": measured.summary(),
            "baseline_measured": base.summary(),
            "verified": check,
        }

    def render(self) -> dict:
        say(f"render: {RENDER_N} GETs of the 40-field step and of the trivial page, interleaved")
        result = self.django("render", RENDER_N)
        step, base = result["step"], result["baseline"]
        target = TARGETS["render"]
        return {
            "name": "render",
            "value": round(step["p50_ms"], 2),
            "unit": "ms (p50 server time)",
            "p95_ms": round(step["p95_ms"], 2),
            "baseline": {
                "what": "trivial template rendered by a minimal view through the same middleware",
                "value": round(base["p50_ms"], 2),
                "unit": "ms (p50 server time)",
                "p95_ms": round(base["p95_ms"], 2),
            },
            "ratio": round(step["p95_ms"] / base["p95_ms"], 2),
            "ratio_means": "p95 of the step ÷ p95 of the baseline (lower is better)",
            "target": target,
            "ok": step["p95_ms"] <= target["p95_ms_max"],
            "measured": result,
        }

    def export(self) -> dict:
        say(f"export: creating {EXPORT_N} submissions")
        data = self.django("export-data", EXPORT_N, timeout=900)
        say(f"  inserted in {data['seconds']:.1f} s")
        say("export: product XLSX export")
        run = self.django("export-run", timeout=900)
        say(f"  {run['seconds']:.1f} s, peak {run['peak_mb']:.0f} MB")
        say("export: baseline XlsxWriter")
        args = [common.PYTHON, "-m", "bench.export_baseline", str(EXPORT_N)]
        base = common.run_json(args, self.env, timeout=900, log=self.log)
        say(f"  {base['seconds']:.1f} s")
        target = TARGETS["export"]
        problems = []
        if run["rows"] != EXPORT_N:
            problems.append(f"the export has {run['rows']} rows, expected {EXPORT_N}")
        return {
            "name": "export",
            "value": round(run["seconds"], 2),
            "unit": "s",
            "rows": run["rows"],
            "peak_mb": round(run["peak_mb"], 1),
            "baseline": {
                "what": "the same cells written directly with XlsxWriter (constant_memory), values already plain",
                "value": round(base["seconds"], 2),
                "unit": "s",
                "peak_mb": round(base["peak_mb"], 1),
            },
            "ratio": round(run["seconds"] / base["seconds"], 2),
            "ratio_means": "export seconds ÷ baseline seconds (lower is better)",
            "target": target,
            "ok": not problems and run["seconds"] <= target["seconds_max"] and run["peak_mb"] <= target["peak_mb_max"],
            "problems": problems,
            "measured": {"insert": data, "export": run, "baseline": base},
        }


# --- reporting ---------------------------------------------------------------------------------


def _fmt(value, digits=1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}"


def table(entries: list[dict]) -> list[list[str]]:
    rows = [["Figure", "Value", "p50 ms", "p95 ms", "Peak MB", "Baseline", "Ratio", "Target", "Met"]]
    for entry in entries:
        if "error" in entry:
            rows.append([entry["name"], "failed", "", "", "", "", "", _target_text(entry["name"]), "no"])
            continue
        base = entry["baseline"]
        base_text = f"{_fmt(base['value'])} {base['unit'].split(' ')[0]}"
        if "p95_ms" in base and entry["name"] != "export":
            base_text += f" (p95 {_fmt(base['p95_ms'])} ms)"
        rows.append(
            [
                entry["name"],
                f"{_fmt(entry['value'], 2)} {entry['unit'].split(' ')[0]}",
                _fmt(entry.get("p50_ms", entry["value"] if entry["name"] == "render" else None)),
                _fmt(entry.get("p95_ms"), 1),
                _fmt(entry.get("peak_mb"), 0),
                base_text,
                _fmt(entry["ratio"], 2),
                _target_text(entry["name"]),
                "yes" if entry["ok"] else "**no**",
            ]
        )
    return rows


def _target_text(name: str) -> str:
    t = TARGETS[name]
    if name == "submit":
        return f"ratio ≥ {t['ratio_min']}, p95 ≤ {t['p95_ms_max']:.0f} ms"
    if name == "render":
        return f"p95 ≤ {t['p95_ms_max']:.0f} ms"
    return f"≤ {t['seconds_max']:.0f} s, ≤ {t['peak_mb_max']:.0f} MB"


def markdown(entries: list[dict], machine: dict, when: str) -> str:
    rows = table(entries)
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
    submit = next((e for e in entries if e["name"] == "submit" and "setup" in e), None)
    notes = [
        "",
        f"Latest run: {when}, reproduced with `{command()}`.",
        f"Machine: {machine['nproc']} CPUs ({machine['cpu']}), {machine['memory']} RAM, "
        f"Python {machine['python']}, PostgreSQL {machine['postgresql']}, {machine['os']}; "
        f"load average before the run {machine['load_before']}.",
    ]
    if submit:
        notes.append(
            f"Submit: {submit['setup']['server']}, {submit['setup']['clients']} clients, "
            f"{submit['setup']['duration_s']:.0f} s per side."
        )
    for entry in entries:
        for problem in entry.get("problems", []) + ([entry["error"]] if "error" in entry else []):
            notes.append(f"Problem ({entry['name']}): {problem.splitlines()[0]}")
    return "\n".join(lines + notes)


def update_docs(text: str) -> None:
    if not DOCS.exists():
        say(f"{DOCS} is missing; table not written there")
        return
    content = DOCS.read_text()
    if START not in content or END not in content:
        say(f"{DOCS} has no {START} … {END} markers; table not written there")
        return
    head, rest = content.split(START, 1)
    _old, tail = rest.split(END, 1)
    DOCS.write_text(f"{head}{START}\n{text}\n{END}{tail}")


def print_table(entries: list[dict]) -> None:
    rows = [[cell.replace("**", "") for cell in row] for row in table(entries)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for index, row in enumerate(rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if index == 0:
            print("  ".join("-" * width for width in widths))


def main() -> int:
    machine = common.machine()
    when = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    run = Run()
    entries: list[dict] = []
    failed = False
    try:
        run.prepare()
        if "profile" in PHASES:
            result = run.django("profile-submit", int(os.environ.get("BENCH_PROFILE_N", 100)))
            say(f"profile (ms per request, unprofiled): {json.dumps(result)}")
            result = run.django("profile-render", int(os.environ.get("BENCH_PROFILE_N", 100)))
            say(f"profile render (unprofiled): step {result['step']}, baseline {result['baseline']}")
        for phase in ("submit", "render", "export"):
            if phase not in PHASES:
                continue
            try:
                entries.append(getattr(run, phase)())
            except Exception as exc:
                failed = True
                say(f"{phase} failed: {exc}")
                entries.append({"name": phase, "error": str(exc), "ok": False})
    except Exception as exc:
        failed = True
        say(f"setup failed: {exc}")
    finally:
        run.cleanup(keep=failed or os.environ.get("BENCH_KEEP") == "1")
    if entries or failed:
        for entry in entries:
            entry["run"] = {"when": when, "command": command(), "machine": machine}
        RESULTS.write_text(json.dumps(entries, indent=2, ensure_ascii=False) + "\n")
    if entries:
        update_docs(markdown(entries, machine, when))
        print()
        print_table(entries)
        print(f"\nresults: {RESULTS.relative_to(ROOT)}, table: {DOCS.relative_to(ROOT)}")
    if failed:
        return 2
    measured = [phase for phase in PHASES if phase != "profile"]
    return 0 if all(entry["ok"] for entry in entries) and len(entries) == len(measured) else 1


if __name__ == "__main__":
    sys.exit(main())
