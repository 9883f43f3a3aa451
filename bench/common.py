"""What every bench process shares: paths, the environment, the throw-away database."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import platform
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DB_NAME = os.environ.get("BENCH_DATABASE", "kreiswerk_bench")
DB_SERVER = os.environ.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
JSON_MARK = "BENCH-JSON "


def database_url() -> str:
    return f"{DB_SERVER}/{DB_NAME}"


def _admin() -> psycopg.Connection:
    return psycopg.connect(f"{DB_SERVER}/postgres", autocommit=True)


def database_recreate() -> None:
    with _admin() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB_NAME)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))


def database_drop() -> None:
    with _admin() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB_NAME)))


def bench_env(data_dir: Path) -> dict[str, str]:
    """The environment of every Django process of one run: fresh keys, fresh data directory."""
    env = dict(os.environ)
    for name in list(env):
        if name.startswith("KREISWERK_") or name in {"DATABASE_URL", "REDIS_URL"}:
            del env[name]
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
            "DATABASE_URL": database_url(),
            "KREISWERK_DATA_DIR": str(data_dir),
            "KREISWERK_SECRET_KEY": secrets.token_urlsafe(50),
            "KREISWERK_KEYS": "bench1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
            "KREISWERK_INDEX_KEY": secrets.token_urlsafe(32),
            "PYTHONHASHSEED": "0",
        }
    )
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_json(args: list[str], env: dict, *, timeout: float, log: Path) -> dict:
    """Run a bench child process; it reports one JSON object on a line starting with JSON_MARK."""
    with log.open("a") as handle:
        handle.write(f"\n$ {' '.join(args)}\n")
        handle.flush()
        proc = subprocess.run(
            args, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=handle, text=True, timeout=timeout
        )
    result = None
    for line in proc.stdout.splitlines():
        if line.startswith(JSON_MARK):
            result = json.loads(line[len(JSON_MARK) :])
    if proc.returncode != 0 or result is None:
        tail = log.read_text(errors="replace").splitlines()[-25:]
        raise RuntimeError(f"{' '.join(args[1:4])} failed (exit {proc.returncode}):\n" + "\n".join(tail))
    return result


def report(result: dict) -> None:
    """Child side of ``run_json``."""
    print(JSON_MARK + json.dumps(result), flush=True)


def peak_rss_mb() -> float:
    """Peak resident memory of this process (VmHWM) in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    try:
        with psycopg.connect(f"{DB_SERVER}/postgres") as conn:
            pg = conn.execute("SHOW server_version").fetchone()[0]
    except psycopg.Error:
        pg = "?"
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        nproc = os.cpu_count()
    return {
        "nproc": nproc,
        "cpu": cpu or "?",
        "memory": mem,
        "python": platform.python_version(),
        "postgresql": pg,
        "os": platform.platform(),
        "load_before": load,
    }


@contextlib.contextmanager
def bulk_load(cursor, tables: list[str], say=print):
    """A bulk load into PostgreSQL: plain indexes dropped and built once afterwards, foreign keys
    not checked per row (the generated rows are consistent by construction)."""
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes i WHERE schemaname = 'public' AND tablename = ANY(%s)"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
        [tables],
    )
    indexes = cursor.fetchall()
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    if cursor.fetchone()[0]:
        cursor.execute("SET session_replication_role = replica")
    yield
    cursor.execute("RESET session_replication_role")
    started = time.perf_counter()
    for _name, definition in indexes:
        cursor.execute(definition)
    say(f"{len(indexes)} indexes built in {time.perf_counter() - started:.1f} s")
