"""``kreiswerk serve``: the web server (gunicorn) and the job worker side by side.

One command for one machine; larger installations run the same two processes
separately (see docs/configuration.md). It starts only our own programs with
fixed arguments (hence the bandit exemptions for subprocess).
"""

import os
import signal
import subprocess  # nosec B404
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

HOUSEKEEPING_SECONDS = 3600


class Command(BaseCommand):
    help = "Startet Webserver und Hintergrund-Worker."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("KREISWERK_BIND", "127.0.0.1:8000"))
        parser.add_argument("--web-workers", type=int, default=int(os.environ.get("KREISWERK_WEB_WORKERS", 2)))
        parser.add_argument("--no-worker", action="store_true", help="Nur den Webserver starten.")

    def handle(self, *args, bind, web_workers, no_worker, **options):
        executable = [sys.executable, "-m"]
        web = executable + [
            "gunicorn",
            "kreiswerk.wsgi:application",
            "--bind",
            bind,
            "--workers",
            str(web_workers),
            "--access-logfile",
            "-",
            "--timeout",
            "60",
            "--graceful-timeout",
            "30",
        ]
        processes = [_start(web)]
        if not no_worker:
            worker = executable + ["kreiswerk.cli", *worker_command()]
            processes.append(_start(worker))
        self.stdout.write(f"kreiswerk läuft auf http://{bind}/ (Beenden mit Strg+C)")
        stop = {"now": False}

        def request_stop(signum, frame):
            stop["now"] = True

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        last_housekeeping = 0.0
        try:
            while not stop["now"]:
                if any(process.poll() is not None for process in processes):
                    self.stderr.write("Ein Prozess hat sich beendet; kreiswerk wird gestoppt.")
                    break
                if time.monotonic() - last_housekeeping > HOUSEKEEPING_SECONDS:
                    call_command("housekeeping")
                    last_housekeeping = time.monotonic()
                time.sleep(1)
        finally:
            for process in processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()


def _start(command: list[str]) -> subprocess.Popen:
    return subprocess.Popen(command)  # nosec B603


def worker_command() -> list[str]:
    if settings.REDIS_URL:
        return ["rqworker", "default", "--with-scheduler", "--job-class", "django_tasks_rq.Job"]
    return ["db_worker", "--interval", "1"]
