"""``kreiswerk assistant import|export|validate`` through call_command and as a real process."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from kreiswerk.assistants.models import Assistant, AssistantVersion
from kreiswerk.tenancy.services import mandant_create, unit_create

from ..conftest import simple_definition

DEMO = Path(__file__).resolve().parents[2] / "src/kreiswerk/assistants/demo"


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("assistant", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write(tmp_path: Path, name: str, data, fmt: str = "yaml") -> Path:
    path = tmp_path / name
    if fmt == "json":
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_validate_accepts_a_demo_file():
    out, _ = run("validate", str(DEMO / "gewerbeanmeldung.yaml"))
    assert "gültig" in out
    assert "Gewerbeanmeldung" in out


def test_validate_reports_german_problems(tmp_path):
    data = simple_definition()
    data["steps"][0]["elements"].append({"key": "name", "type": "text", "label": "Noch ein Name"})
    data["steps"][0]["elements"].append({"key": "staat", "type": "select", "label": "Staat", "codelist": "staaten"})
    path = write(tmp_path, "kaputt.yaml", data)
    with pytest.raises(CommandError) as error:
        run("validate", str(path))
    message = str(error.value)
    assert "ist ungültig" in message
    assert "„name“ ist mehrfach vergeben" in message
    assert "Die Codeliste „staaten“ fehlt" in message


@pytest.mark.parametrize(
    "content",
    [b"steps: [unclosed", b"- just\n- a list\n", b"\xff\xfe not utf-8", b""],
    ids=["yaml-syntax", "not-a-mapping", "not-utf8", "empty"],
)
def test_validate_rejects_unreadable_content_with_command_error(tmp_path, content):
    path = tmp_path / "datei.yaml"
    path.write_bytes(content)
    with pytest.raises(CommandError) as error:
        run("validate", str(path))
    assert "ist ungültig" in str(error.value)


def test_missing_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="kann nicht gelesen werden"):
        run("validate", str(tmp_path / "gibt-es-nicht.yaml"))


@pytest.mark.django_db
def test_import_creates_a_draft_and_then_a_published_version(tmp_path, mandant, unit):
    path = write(tmp_path, "test.json", simple_definition(), fmt="json")
    out, _ = run(
        "import",
        str(path),
        "--mandant",
        "musterkreis",
        "--unit",
        "gewerbe",
        "--note",
        "erste Fassung",
    )
    assert "Version 1" in out
    version = AssistantVersion.objects.get()
    assert version.state == AssistantVersion.State.DRAFT
    assert version.note == "erste Fassung"
    assert version.assistant.unit == unit

    # The second import needs neither --mandant (only one) nor --unit (the assistant exists).
    out, _ = run("import", str(path), "--publish")
    assert "Version 2" in out
    assert "veröffentlicht" in out
    states = dict(Assistant.objects.get().versions.values_list("number", "state"))
    assert states == {1: AssistantVersion.State.DRAFT, 2: AssistantVersion.State.PUBLISHED}


@pytest.mark.django_db
def test_import_of_an_invalid_file_stores_nothing(tmp_path, mandant, unit):
    data = simple_definition(fee="gebuehr")
    path = write(tmp_path, "test.yaml", data)
    with pytest.raises(CommandError) as error:
        run("import", str(path), "--unit", "gewerbe")
    assert "Gebühr: Der berechnete Wert „gebuehr“ fehlt." in str(error.value)
    assert not Assistant.objects.exists()


@pytest.mark.django_db
def test_import_names_unknown_mandant_and_unit(tmp_path, mandant, unit):
    path = write(tmp_path, "test.yaml", simple_definition())
    with pytest.raises(CommandError, match="Den Mandanten „nirgendwo“ gibt es nicht"):
        run("import", str(path), "--mandant", "nirgendwo")
    with pytest.raises(CommandError, match="Organisationseinheit „nirgendwo“"):
        run("import", str(path), "--unit", "nirgendwo")
    with pytest.raises(CommandError, match="--unit"):
        run("import", str(path))  # a new assistant and three units to choose from
    other = mandant_create(slug="musterstadt", name="Stadt Musterstadt", kind="gemeinde", reference_prefix="MS")
    unit_create(mandant=other, code="steueramt", name="Steueramt", kind="amt")
    with pytest.raises(CommandError, match="mehrere Mandanten"):
        run("import", str(path), "--unit", "gewerbe")


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_export_gives_back_the_imported_definition(tmp_path, mandant, unit, fmt):
    source = DEMO / "schuelerbefoerderung.yaml"
    run("import", str(source), "--unit", "gewerbe", "--publish")
    out, _ = run("export", "schuelerbefoerderung", "--format", fmt)
    loaded = json.loads(out) if fmt == "json" else yaml.safe_load(out)
    assert loaded == yaml.safe_load(source.read_text(encoding="utf-8"))

    target = tmp_path / f"export.{fmt}"
    out, err = run(
        "export",
        "schuelerbefoerderung",
        "--mandant",
        "musterkreis",
        "--format",
        fmt,
        "-o",
        str(target),
    )
    assert out == ""
    assert str(target) in err
    assert yaml.safe_load(target.read_text(encoding="utf-8")) == loaded


@pytest.mark.django_db
def test_export_chooses_published_version_or_the_one_asked_for(tmp_path, mandant, unit):
    first = simple_definition()
    second = simple_definition(keywords=["zweite Fassung"])
    run("import", str(write(tmp_path, "v1.yaml", first)), "--unit", "gewerbe", "--publish")
    run("import", str(write(tmp_path, "v2.yaml", second)))  # a draft
    assert yaml.safe_load(run("export", "testantrag")[0]) == first
    assert yaml.safe_load(run("export", "testantrag", "--version", "2")[0]) == second
    with pytest.raises(CommandError, match="Die Version 7"):
        run("export", "testantrag", "--version", "7")
    with pytest.raises(CommandError, match="Den Assistenten „unbekannt“"):
        run("export", "unbekannt")


def test_command_line_prints_problems_without_traceback(tmp_path):
    data = simple_definition()
    data["steps"][0]["elements"][0]["type"] = "zauberfeld"
    path = write(tmp_path, "kaputt.yaml", data)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    result = subprocess.run(
        [sys.executable, "-m", "kreiswerk", "assistant", "validate", str(path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        timeout=120,
    )
    assert result.returncode != 0
    assert "ist ungültig" in result.stderr
    assert "steps/0/elements/0" in result.stderr
    assert "Traceback" not in result.stderr
