"""Vorgangsart definitions and Aktenzeichen patterns: checked before use, problems in German."""

import io

import pytest
import yaml
from django.core.management import CommandError, call_command
from hypothesis import given
from hypothesis import strategies as st

from kreiswerk.cases import services
from kreiswerk.cases.casetype import DefinitionError, casetype_build
from kreiswerk.cases.demo import CASE_TYPES, demo_definition
from kreiswerk.cases.models import CaseTypeVersion
from kreiswerk.cases.references import reference_format, reference_pattern_problems

from .conftest import casetype_definition


@pytest.mark.parametrize("key", [row[0] for row in CASE_TYPES])
def test_every_demo_vorgangsart_is_valid(key):
    assert casetype_build(demo_definition(key)).statuses


def test_all_problems_are_listed_at_once_in_german():
    broken = casetype_definition(
        format="x",
        key="Bad Key",
        statuses=[{"key": "a", "title": "A", "public": "A"}, {"key": "a", "title": "B", "public": "B"}],
        transitions={"a": ["nirgends"]},
        results=[{"key": "ok", "title": "ok", "public": "ok", "retention": "P0Y", "disposal": "verbrennen"}],
        processing_deadline="einen Monat",
    )
    with pytest.raises(DefinitionError) as error:
        casetype_build(broken)
    text = "\n".join(error.value.problems)
    for fragment in ("format", "Kleinbuchstaben", "mehrfach", "Unbekannter Status „nirgends“", "disposal"):
        assert fragment in text
    assert len(error.value.problems) >= 6


def test_the_last_status_closes_when_none_is_marked_final():
    definition = casetype_definition()
    for status in definition["statuses"]:
        status.pop("final", None)
    assert [status.final for status in casetype_build(definition).statuses] == [False, False, True]


@pytest.mark.django_db
def test_import_needs_a_known_filing_position_and_publishing_supersedes(mandant, unit, assistant_version):
    with pytest.raises(DefinitionError, match="Aktenplanposition"):
        services.casetype_import(data=casetype_definition(), mandant=mandant, unit=unit)
    services.filing_position_ensure(mandant=mandant, number="82.10", title="Gewerbeanzeigen")
    first = services.casetype_import(data=casetype_definition(), mandant=mandant, unit=unit, publish=True)
    second = services.casetype_import(data=casetype_definition(title="Neu"), mandant=mandant, unit=unit, publish=True)
    first.refresh_from_db()
    assert first.state == CaseTypeVersion.State.SUPERSEDED and second.number == 2
    assert second.case_type.title == "Neu" and second.case_type.assistant == assistant_version.assistant


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("{praefix}-{jahr}", "{nummer}"),
        ("{praefix}-{nummer}", "{jahr}"),
        ("{jahr}-{nummer.__class__}", "Unbekannter Platzhalter"),
        ("{jahr}-{nummer!r}", "Formatangabe"),
        ("{jahr:>99}-{nummer}", "Formatangabe"),
        ("{jahr}-{nummer", "geschweifte Klammer"),
        ("{jahr}<script>{nummer}", "nur Buchstaben"),
    ],
)
def test_bad_reference_patterns_are_refused(pattern, problem):
    assert any(problem in text for text in reference_pattern_problems(pattern))


@given(st.text(alphabet="{}:ab/-.0123456789 praefixjhnummeo", max_size=30))
def test_any_pattern_is_either_refused_or_formats_safely(pattern):
    if reference_pattern_problems(pattern):
        with pytest.raises(ValueError):
            reference_format(pattern, prefix="MK", unit="gewerbe", filing="82.10", year=2026, number=7)
    else:
        reference = reference_format(pattern, prefix="MK", unit="gewerbe", filing="82.10", year=2026, number=7)
        assert "2026" in reference and "7" in reference


def test_the_command_line_validates_imports_and_exports_a_vorgangsart(mandant, unit, assistant_version, tmp_path):
    services.filing_position_ensure(mandant=mandant, number="82.10", title="Gewerbeanzeigen")
    path = tmp_path / "vorgangsart.yaml"
    path.write_text(yaml.safe_dump(casetype_definition(), allow_unicode=True), encoding="utf-8")
    out = io.StringIO()
    call_command("cases", "validate", str(path), stdout=out)
    assert "Die Vorgangsart ist gültig: „Testvorgang“" in out.getvalue()
    with pytest.raises(CommandError, match="--unit"):
        call_command("cases", "import", str(path), stdout=io.StringIO())
    call_command("cases", "import", str(path), "--unit", unit.code, stdout=io.StringIO())
    call_command("cases", "import", str(path), "--publish", stdout=io.StringIO())
    states = dict(CaseTypeVersion.objects.values_list("number", "state"))
    assert states == {1: "draft", 2: "published"}

    exported = tmp_path / "export.yaml"
    call_command("cases", "export", "testvorgang", "-o", str(exported), stderr=io.StringIO())
    assert yaml.safe_load(exported.read_text(encoding="utf-8")) == casetype_definition()

    broken = tmp_path / "kaputt.yaml"
    broken.write_text("format: kreiswerk-casetype/1\nkey: Falsch\n", encoding="utf-8")
    with pytest.raises(CommandError, match="ist ungültig"):
        call_command("cases", "validate", str(broken))
