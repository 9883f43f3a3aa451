"""Shared fixtures: a county with units, staff with roles, and a logged-in staff client."""

import os
import shutil
import subprocess
import threading
import types

import pytest
from django.db import connections
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from kreiswerk.assistants.services import assistant_import
from kreiswerk.tenancy.models import Mandant, OrganisationalUnit, Role
from kreiswerk.tenancy.services import (
    mandant_create,
    membership_grant,
    staff_user_create,
    unit_create,
)

PASSWORD = "Sicheres-Passwort-2026"


@pytest.fixture(autouse=True)
def _isolated_files(settings, tmp_path):
    settings.KREISWERK_FILES_DIR = tmp_path / "files"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"


def run_together(work, *, threads: int) -> list[Exception]:
    """Run ``work`` in ``threads`` threads at once, each on its own database connection; returns their errors."""
    errors: list[Exception] = []

    def run():
        try:
            work()
        except Exception as exc:  # handed to the test, which asserts on them
            errors.append(exc)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=run) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=60)
    hung = [thread for thread in pool if thread.is_alive()]
    return [*errors, *(TimeoutError(f"{thread.name} still running after 60 s") for thread in hung)]


@pytest.fixture
def database_queue(settings):
    """Jobs go to the database queue, as in production, instead of running at once."""
    from django_tasks import task_backends

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    task_backends._settings = None  # rebuilt from the overridden setting
    yield
    task_backends._settings = None


@pytest.fixture
def limit_clock(monkeypatch):
    """The rate limits' clock, held still (and moved on by hand) so no window turns mid-test."""
    clock = types.SimpleNamespace(now=1_800_000_000.0)
    monkeypatch.setattr("kreiswerk.operations.services.time", types.SimpleNamespace(time=lambda: clock.now))
    return clock


@pytest.fixture
def mandant(db) -> Mandant:
    return mandant_create(slug="musterkreis", name="Landkreis Musterkreis", kind="landkreis", reference_prefix="MK")


@pytest.fixture
def unit(mandant) -> OrganisationalUnit:
    """Sachgebiet Gewerbe inside Amt für öffentliche Ordnung inside Dezernat 2."""
    dezernat = unit_create(mandant=mandant, code="dez2", name="Dezernat 2", kind="dezernat")
    amt = unit_create(
        mandant=mandant,
        code="ordnungsamt",
        name="Amt für öffentliche Ordnung",
        kind="amt",
        parent=dezernat,
    )
    return unit_create(mandant=mandant, code="gewerbe", name="Sachgebiet Gewerbe", kind="sachgebiet", parent=amt)


@pytest.fixture
def other_unit(mandant) -> OrganisationalUnit:
    return unit_create(mandant=mandant, code="jugendamt", name="Jugendamt", kind="amt")


def make_staff(username: str, *, unit: OrganisationalUnit | None = None, role: str | None = None):
    user = staff_user_create(username=username, password=PASSWORD, first_name=username.title())
    if unit is not None and role is not None:
        membership_grant(user=user, unit=unit, role=role)
    TOTPDevice.objects.create(user=user, name="Test", confirmed=True)
    return user


@pytest.fixture
def caseworker(unit):
    return make_staff("sachbearbeitung", unit=unit, role=Role.CASEWORKER)


@pytest.fixture
def form_admin(unit):
    return make_staff("formulare", unit=unit, role=Role.FORM_ADMIN)


@pytest.fixture
def administrator(mandant, unit):
    return make_staff("administration", unit=OrganisationalUnit.objects.get(code="dez2"), role=Role.ADMIN)


def login_verified(client: Client, user) -> Client:
    """A staff session that passed both factors (what the OTP view leaves behind)."""
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def staff_client():
    def make(user) -> Client:
        return login_verified(Client(), user)

    return make


@pytest.fixture
def publish_assistant(mandant, unit):
    """Import and publish a definition dict; returns the published version."""

    def make(definition: dict, *, target_unit=None):
        return assistant_import(data=definition, mandant=mandant, unit=target_unit or unit, publish=True)

    return make


def simple_definition(**overrides) -> dict:
    """A small valid assistant used where the content does not matter."""
    definition = {
        "format": "kreiswerk-assistant/1",
        "slug": "testantrag",
        "title": {"de": "Testantrag", "en": "Test application"},
        "confirmation_email_field": "email",
        "steps": [
            {
                "key": "person",
                "title": "Angaben zur Person",
                "elements": [
                    {"key": "name", "type": "text", "label": "Name", "required": True},
                    {"key": "email", "type": "email", "label": "E-Mail-Adresse", "required": True},
                    {
                        "key": "anzahl",
                        "type": "integer",
                        "label": "Anzahl",
                        "validation": {"min": 1, "max": 5},
                    },
                ],
            }
        ],
    }
    definition.update(overrides)
    return definition


def attach_file(submission, *, field_key: str, filename: str, content: bytes, content_type: str = "application/pdf"):
    """Store an encrypted file as an attachment of ``submission`` and reference it in the answers."""
    from kreiswerk.crypto.files import store_encrypted
    from kreiswerk.submissions.models import Attachment

    stored = store_encrypted([content], namespace="attachments")
    attachment = Attachment.objects.create(
        submission=submission,
        field_key=field_key,
        filename=filename,
        content_type=content_type,
        size=stored.size,
        sha256=stored.sha256,
        path=stored.path,
        key=stored.key_header,
    )
    answers = {**submission.payload.get("answers", {}), field_key: [str(attachment.pk)]}
    submission.payload = {**submission.payload, "answers": answers}
    submission.save()
    return attachment


def require_tool(available: bool, reason: str) -> None:
    """Skip a test whose system tool is missing on a developer machine; on CI (CI=true) fail instead."""
    if available:
        return
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"{reason} (CI=true: not skipping)")
    pytest.skip(reason)


def pdf_text(pdf: bytes, tmp_path) -> str:
    """The text of a PDF, whitespace collapsed (poppler's pdftotext)."""
    require_tool(shutil.which("pdftotext") is not None, "pdftotext not installed (Debian: poppler-utils)")
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)  # nosec B603 B607
    return " ".join(result.stdout.decode().split())
