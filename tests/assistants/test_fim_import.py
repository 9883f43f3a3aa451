"""FIM import (XDatenfelder 2.0/3.0 → draft assistant): shared samples, generated documents, bad input."""

from io import StringIO
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kreiswerk.assistants import definition as definition_module
from kreiswerk.assistants.fim import FimError, build_definition, read_codelist, read_message
from kreiswerk.assistants.models import AssistantVersion

SAMPLES = Path(__file__).resolve().parent / "fim_samples"
S94 = SAMPLES / "S00000094V1.0_xdf2.xml"
S94_CODELISTS = sorted(SAMPLES.glob("C0*_genericode.xml")) + sorted(SAMPLES.glob("C6*_genericode.xml"))


def load(name: str, codelists=(), **options):
    path = SAMPLES / name
    message = read_message(path.read_bytes(), path.name)
    lists = [read_codelist(Path(c).read_bytes(), Path(c).name) for c in codelists]
    data, report = build_definition(message, lists, **options)
    return data, report, definition_module.parse(data)


def walk(elements):
    for element in elements:
        yield element
        yield from walk(element.get("elements", ()))


def all_elements(data):
    for step in data["steps"]:
        yield from walk(step["elements"])


def by_fim(data, fim_id):
    return [e for e in all_elements(data) if e.get("fim", {}).get("id") == fim_id]


def run(*args) -> str:
    out = StringIO()
    call_command("assistant", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


# -- the real schema S00000094 (XDatenfelder 2.0) --------------------------------------------


def test_it_imports_the_real_schema_s00000094_with_its_code_lists():
    data, report, parsed = load(S94.name, S94_CODELISTS)
    assert data["slug"] == "fim-s00000094"
    assert data["fim"] == {
        "id": "S00000094",
        "version": "1.0",
        "name": "Benachrichtigung über die Beschäftigung einer schwangeren oder stillenden Frau",
        "legal_basis": data["start"]["legal_basis"],
        "standard": "xdatenfelder-2.0",
        "notes": data["fim"]["notes"],
    }
    assert "MuSchG" in data["start"]["legal_basis"]
    # Three top-level groups become steps; the two loose top-level fields share one step.
    assert [step.title for step in parsed.steps] == [
        "Informationen zum Arbeitgeber / zur Arbeitgeberin",
        "Persönliche Informationen zur schwangeren oder stillenden Frau",
        "Weitere Angaben",
        "Informationen zur beabsichtigten Beschäftigung der schwangeren oder stillenden Frau",
    ]
    fields = [e for e in all_elements(data) if e.get("fim", {}).get("id", "").startswith("F")]
    assert len(fields) == 44
    assert (report.fields_found, report.fields_imported) == (44, 44)
    assert (report.groups_found, report.groups_as_steps, report.groups_as_groups) == (16, 3, 13)
    assert (report.codelists_found, report.codelists_imported) == (4, 4)
    assert (report.rules_found, report.rules_translated) == (13, 10)
    assert len(report.review("Regel")) == 3


def test_it_keeps_labels_help_fim_ids_and_legal_references():
    data, _, _ = load(S94.name, S94_CODELISTS)
    [strasse, *_] = by_fim(data, "F60000243")
    assert strasse["label"] == "Straße"
    assert strasse["help"] == "Geben Sie an, wie die Straße heißt."
    assert strasse["fim"]["version"] == "1.1"
    assert strasse["fim"]["legal_basis"].startswith("XInneres.Meldeanschrift.strasse")
    # Labels come from bezeichnungEingabe, the internal name is kept beside it.
    [name] = by_fim(data, "F60000319")
    assert name["label"] == "Eingetragener Name"
    assert name["fim"]["name"] == "Eingetragener Name / Organisationsname"


def test_it_turns_multiplicities_into_required_optional_and_repeats():
    data, _, parsed = load(S94.name, S94_CODELISTS)
    familienname = by_fim(data, "F60000227")
    # In the woman's details (1:1 in a 1:1 group) the surname is required ...
    assert any(e.get("required") is True for e in familienname)
    vornamen = [parsed.element(e["key"]) for e in by_fim(data, "F60000228")]
    # ... the contact person's first names (0:1) are optional.
    assert sorted(e.required for e in vornamen) == [False, True]
    # 2:5 address lines become a repeat with the field inside (in an optional group: at least 0).
    [zeile] = by_fim(data, "F60000262")
    [repeat] = [e for e in all_elements(data) if e["type"] == "repeat"]
    assert repeat["elements"] == [zeile]
    assert (repeat["min_items"], repeat["max_items"]) == (0, 5)
    assert zeile["required"] is True
    # Required fields of an optional group (0:1) are required once the group is started.
    [strasse, *_] = by_fim(data, "F60000243")
    assert strasse["required_if"] == {
        "!": [{"missing_some": [1, ["strasse", "hausnummer", "postleitzahl", "ort", "anschrift_zusatzangaben"]]}]
    }


def test_it_turns_praezisierung_into_checks():
    data, _, _ = load(S94.name, S94_CODELISTS)
    [plz, *_] = by_fim(data, "F60000246")
    assert plz["validation"] == {
        "min_length": 5,
        "max_length": 5,
        "pattern": "([0]{1}[1-9]{1}|[1-9]{1}[0-9]{1})[0-9]{3}",
    }
    [tag] = by_fim(data, "F60000231")
    assert tag["type"] == "integer"
    assert tag["validation"] == {"min": 1, "max": 31}


def test_it_gives_select_fields_their_genericode_code_lists():
    data, _, parsed = load(S94.name, S94_CODELISTS)
    [art] = by_fim(data, "F00000463")
    assert art["type"] == "select"  # nine options: a drop-down
    assert art["codelist"] == "c00000021"
    assert data["codelists"]["c00000021"]["source"] == "urn:de:fim:codeliste:artbeschäftigungsverhältnis_2018-05-09"
    values = [option.value for option in parsed.element(art["key"]).options]
    assert values[:2] == ["001", "002"] and values[-1] == "999"
    [wo] = by_fim(data, "F60000263")
    assert wo["type"] == "radio"  # two options: radio buttons
    assert [item["label"] for item in data["codelists"][wo["codelist"]]["items"]] == [
        "in Deutschland",
        "außerhalb von Deutschland",
    ]
    assert len(data["codelists"]["c60000020"]["items"]) == 197  # Staat: every row of the genericode file


def test_it_translates_standard_rules_and_keeps_the_rest_as_notes():
    data, report, _ = load(S94.name, S94_CODELISTS)
    [person] = by_fim(data, "F00000462")
    [termin] = by_fim(data, "F00000467")
    assert termin["required_if"] == {"==": [{"var": person["key"]}, "001"]}
    assert termin["fim"]["rules"] == ["R00000042"]
    # "F00000463 has the value 009" names a code the code list lacks: not translated, kept as note.
    assert any("R00000849" in note for note in data["fim"]["notes"])
    [item] = [i for i in report.review("Regel") if i.fim_id == "R00000849"]
    assert "009" in item.reason
    text = report.text()
    assert "Regeln:     13 gefunden, 10 übersetzt, 3 zur Prüfung" in text
    assert "R60000020" in text and "R60000021" in text


# -- the other shared samples --------------------------------------------------------------


def test_it_imports_the_simple_xdf2_schema():
    data, report, parsed = load("xdf2_stammdatenschema_simple.xml")
    [step] = parsed.steps
    assert step.title == "Natürliche Person" and step.fim["id"] == "G00000082"
    [field] = step.elements
    assert (field.label, field.help, field.required) == ("Familienname", "Hilfe Eingabe", True)
    assert field.fim["id"] == "F60000227" and field.fim["legal_basis"] == "Ein Bezug"
    assert field.validation == {"min_length": 1, "max_length": 120}
    assert report.rules_found == 1 and report.rules_translated == 0
    assert "R60000037" in data["fim"]["notes"][0]


def test_it_imports_the_xdf2_select_sample_with_a_code_list():
    data, report, parsed = load("xdf2_stammdatenschema_select_codeliste.xml", [SAMPLES / "C123_example_genericode.xml"])
    [field] = parsed.inputs()
    assert field.type == "radio" and [o.value for o in field.options] == ["A", "B"]
    assert field.fim == {"id": "F123", "version": "1.0"}
    assert parsed.steps[0].title == "Angaben"  # only loose fields: one step
    assert (report.codelists_found, report.codelists_imported, report.items) == (1, 1, [])


def test_a_missing_code_list_is_an_error_or_on_request_a_reported_text_field():
    with pytest.raises(FimError) as error:
        load("xdf2_stammdatenschema_select_codeliste.xml")
    assert "Die Codeliste C123 (urn:de:example, Version 1) fehlt" in error.value.problems[0]
    _, report, parsed = load("xdf2_stammdatenschema_select_codeliste.xml", allow_missing_codelists=True)
    assert parsed.inputs()[0].type == "text"
    assert [(i.kind, i.fim_id, i.imported) for i in report.items] == [
        ("Codeliste", "C123", False),
        ("Feld", "F123", True),
    ]


def test_it_imports_the_xdf3_schema():
    data, report, parsed = load("xdf3_stammdatenschema_synthetic.xml")
    assert parsed.title == "Eine Bezeichnung"
    assert data["start"]["legal_basis"] == "Bezug (some link)"
    [field] = parsed.inputs()
    assert field.fim["id"] == "F00001" and field.fim["version"] == "1.1.0"
    assert field.validation == {"max_length": 1, "pattern": "test"}
    reasons = [i.reason for i in report.review("Feld")]
    assert any("minValue" in r for r in reasons) and any("Vorbelegung" in r for r in reasons)
    assert report.rules_found == 1 and len(report.review("Regel")) == 1


def test_it_imports_the_xdf3_field_group_message():
    data, report, parsed = load("xdf3_datenfeldgruppe_anschrift_inland.xml")
    assert data["slug"] == "fim-g60000000088"
    assert parsed.title == "Anschrift in Deutschland"
    [step] = parsed.steps
    assert step.title == "Straßenanschrift"
    assert step.intro.startswith("Geben Sie die Anschrift mit Straße")
    [strasse] = step.elements
    assert strasse.validation == {"min_length": 1, "max_length": 55}
    # The rule has a script: kept as a note on the field and on the group, both reported.
    assert any("R60000000019" in note for note in strasse.fim["notes"])
    assert report.rules_found == 2 and report.rules_translated == 0


# -- command line --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_command_stores_a_draft_with_the_report(unit):
    out = run("import-fim", str(S94), *map(str, S94_CODELISTS), "--unit", unit.code)
    assert "FIM-Importbericht: S00000094 Version 1.0" in out
    assert "Felder:     44 gefunden, 44 übernommen" in out
    version = AssistantVersion.objects.get(assistant__slug="fim-s00000094")
    assert version.state == AssistantVersion.State.DRAFT
    assert version.import_report["fields_found"] == 44
    assert version.import_report["counts"]["Regel"] == 3
    assert version.note.startswith("FIM-Import S00000094 V1.0")
    # A second import of an updated schema becomes the next draft version.
    run("import-fim", str(S94), *map(str, S94_CODELISTS))
    assert version.assistant.versions.count() == 2


@pytest.mark.django_db
def test_the_form_builder_sees_the_points_to_review(unit, staff_client, form_admin):
    run("import-fim", str(SAMPLES / "xdf3_stammdatenschema_synthetic.xml"), "--unit", unit.code)
    version = AssistantVersion.objects.get(assistant__slug="fim-s12345")
    page = staff_client(form_admin).get(reverse("assistants:detail", args=[version.assistant_id]))
    html = page.content.decode()
    assert "4 Punkte aus dem FIM-Import zur Prüfung" in html
    assert "Regel R00001 „MindestEineAngabe“" in html


@pytest.mark.django_db
def test_the_command_reports_a_missing_code_list_in_german(unit):
    with pytest.raises(CommandError) as error:
        run("import-fim", str(S94), str(SAMPLES / "C00000020_genericode.xml"), "--unit", unit.code)
    message = str(error.value)
    assert "Das FIM-Schema" in message and "ist ungültig (3 Problem(e))" in message
    assert "Die Codeliste C60000020" in message
    assert not AssistantVersion.objects.exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"<xdf:kaputt", "ist kein wohlgeformtes XML"),
        (b"", "ist kein wohlgeformtes XML"),
        (b"<html><body/></html>", "ist keine XDatenfelder-Nachricht"),
        (
            b'<x:xdatenfelder.datenfeld.0104 xmlns:x="urn:xoev-de:fim:standard:xdatenfelder_2"/>',
            "wird nicht unterstützt",
        ),
        (
            b'<x:xdatenfelder.stammdatenschema.0102 xmlns:x="urn:xoev-de:fim:standard:xdatenfelder_2"/>',
            "„xdf:stammdatenschema“ fehlt",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
            b'<x:xdatenfelder.stammdatenschema.0102 xmlns:x="urn:xoev-de:fim:standard:xdatenfelder_2">&b;'
            b"</x:xdatenfelder.stammdatenschema.0102>",
            "enthält eine DTD",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://example.invalid/x.dtd">'
            b'<x:xdatenfelder.stammdatenschema.0102 xmlns:x="urn:xoev-de:fim:standard:xdatenfelder_2"/>',
            "enthält eine DTD",
        ),
    ],
    ids=["broken", "empty", "wrong-root", "unsupported-message", "no-body", "entities", "external-dtd"],
)
def test_malformed_input_is_a_german_command_error(tmp_path, content, expected):
    path = tmp_path / "schema.xml"
    path.write_bytes(content)
    with pytest.raises(CommandError) as error:
        run("import-fim", str(path))
    assert expected in str(error.value)


def test_a_code_list_that_is_not_genericode_is_refused(tmp_path):
    path = tmp_path / "liste.xml"
    path.write_bytes(b"<liste/>")
    with pytest.raises(CommandError, match="ist keine genericode-Codeliste"):
        run("import-fim", str(S94), str(path))


def test_a_missing_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="kann nicht gelesen werden"):
        run("import-fim", str(tmp_path / "fehlt.xml"))


# -- generated XDatenfelder documents ------------------------------------------------------

DATATYPES = ["text", "text_latin", "date", "time", "datetime", "bool", "num", "num_int", "num_currency", "file", "obj"]
NS = {"2": "urn:xoev-de:fim:standard:xdatenfelder_2", "3": "urn:xoev-de:fim:standard:xdatenfelder_3.0.0"}
anzahl = st.sampled_from(["0:1", "1:1", "0:n", "1:5", "2:3", "0:*", "x"])
labels = st.text(alphabet=st.sampled_from("abcäöüß XYZ-/0123"), min_size=0, max_size=12)
praezisierung = st.dictionaries(
    st.sampled_from(["minLength", "maxLength", "minValue", "maxValue", "pattern"]),
    st.sampled_from(["0", "1", "5", "120", "2020-01-01", "[0-9]{5}", "\\p{L}+", "(", "x"]),
    max_size=3,
)


@st.composite
def fields(draw, counter):
    counter["f"] += 1
    select = draw(st.booleans())
    codelist = draw(st.sampled_from(["C1", "C2", "C3", "inline"])) if select else None
    return {
        "kind": "field",
        "id": f"F{counter['f']:05d}",
        "label": draw(labels),
        "help": draw(labels),
        "feldart": "select" if select else draw(st.sampled_from(["input", "input", "label", "hidden", "locked", "x"])),
        "datentyp": draw(st.sampled_from([*DATATYPES, "unbekannt"])),
        "praezisierung": draw(praezisierung),
        "inhalt": draw(st.sampled_from(["", "", "Vorgabe"])),
        "codelist": codelist,
        "rules": draw(st.lists(rules(counter), max_size=1)),
    }


@st.composite
def rules(draw, counter):
    counter["r"] += 1
    cond, target = (f"F{draw(st.integers(1, max(counter['f'], 1))):05d}" for _ in range(2))
    text = draw(
        st.sampled_from(
            [
                f'Wenn im Datenfeld {cond} der Wert "" angegeben wurde, dann soll {target} zum Pflichtfeld werden.',
                f"Wenn im Datenfeld {cond} der Wert 001 angegeben wurde, dann soll {target} zum Pflichtfeld werden.",
                "Mindestens eine Angabe ist nötig.",
            ]
        )
    )
    return {
        "id": f"R{counter['r']:05d}",
        "text": text,
        "script": draw(st.sampled_from(["", "function script() {}", "x()"])),
    }


def groups(counter, depth):
    children = fields(counter) if depth >= 3 else st.one_of(fields(counter), groups(counter, depth + 1))

    @st.composite
    def group(draw):
        counter["g"] += 1
        gid = f"G{counter['g']:05d}"
        return {
            "kind": "group",
            "id": gid,
            "label": draw(labels),
            "children": draw(st.lists(st.tuples(anzahl, children), max_size=4)),
            "rules": draw(st.lists(rules(counter), max_size=1)),
        }

    return group()


@st.composite
def documents(draw):
    counter = {"f": 0, "g": 0, "r": 0}
    version = draw(st.sampled_from(["2", "3"]))
    children = draw(st.lists(st.tuples(anzahl, st.one_of(fields(counter), groups(counter, 1))), min_size=1, max_size=4))
    missing = draw(st.sets(st.sampled_from(["C1", "C2", "C3"])))
    sizes = {name: draw(st.integers(0, 12)) for name in ["C1", "C2", "C3"]}
    return {"version": version, "children": children, "missing": missing, "sizes": sizes}


def _x(tag, content="", **attrs):
    attributes = "".join(f' {k}="{escape(v, {chr(34): "&quot;"})}"' for k, v in attrs.items())
    return f"<xdf:{tag}{attributes}>{content}</xdf:{tag}>"


def _rule_xml(rule, version):
    text_tag = "definition" if version == "2" else "freitextRegel"
    script_tag = "script" if version == "2" else "skript"
    ident = _x("identifikation", _x("id", rule["id"]) + _x("version", "1.0"))
    return _x(
        "regel", ident + _x("name", rule["id"]) + _x(text_tag, escape(rule["text"])) + _x(script_tag, rule["script"])
    )


def _element_xml(item, version):
    ident = _x("identifikation", _x("id", item["id"]) + _x("version", "1.0"))
    common = ident + _x("name", escape(item["label"])) + _x("bezeichnungEingabe", escape(item["label"]))
    rules_xml = "".join(_rule_xml(r, version) for r in item["rules"])
    if item["kind"] == "group":
        structure = "".join(
            _x("struktur", _x("anzahl", a) + _x("enthaelt", _element_xml(child, version)))
            for a, child in item["children"]
        )
        return _x("datenfeldgruppe", common + rules_xml + structure)
    body = common + _x("hilfetextEingabe", escape(item["help"]))
    body += _x("feldart", "<code>" + item["feldart"] + "</code>") + _x("datentyp", f"<code>{item['datentyp']}</code>")
    if version == "2":
        pairs = ",".join(f'"{k}": "{v}"' for k, v in item["praezisierung"].items()).replace("\\", "\\\\")
        body += _x("praezisierung", escape("{" + pairs + "}"))
    else:
        body += _x("praezisierung", **item["praezisierung"])
    body += _x("inhalt", item["inhalt"])
    if item["codelist"] == "inline" and version == "3":
        values = "".join(_x("wert", _x("code", f"w{i}") + _x("name", f"Wert {i}")) for i in range(3))
        body += _x("werte", values)
    elif item["codelist"]:
        cl = item["codelist"] if item["codelist"] != "inline" else "C1"
        ref = _x("canonicalIdentification", f"urn:test:{cl}") + _x("version", "1")
        if version == "2":
            ref = _x("identifikation", _x("id", cl)) + _x("genericodeIdentification", ref)
        body += _x("codelisteReferenz", ref)
    return _x("datenfeld", body + rules_xml)


def _document_xml(doc) -> bytes:
    version = doc["version"]
    structure = "".join(
        _x("struktur", _x("anzahl", a) + _x("enthaelt", _element_xml(child, version))) for a, child in doc["children"]
    )
    schema = _x("identifikation", _x("id", "S99") + _x("version", "1.0")) + _x("name", "Generiert") + structure
    return (
        f'<xdf:xdatenfelder.stammdatenschema.0102 xmlns:xdf="{NS[version]}">'
        f"{_x('stammdatenschema', schema)}</xdf:xdatenfelder.stammdatenschema.0102>"
    ).encode()


def _genericode(name, size) -> bytes:
    rows = "".join(
        f'<gc:Row><gc:Value ColumnRef="code"><gc:SimpleValue>{i:03d}</gc:SimpleValue></gc:Value>'
        f'<gc:Value ColumnRef="name"><gc:SimpleValue>Eintrag {i}</gc:SimpleValue></gc:Value></gc:Row>'
        for i in range(size)
    )
    return (
        '<gc:CodeList xmlns:gc="http://docs.oasis-open.org/codelist/ns/genericode/1.0/">'
        f"<gc:Identification><gc:ShortName>{name}</gc:ShortName><gc:Version>1</gc:Version>"
        f"<gc:CanonicalUri>urn:test:{name}</gc:CanonicalUri></gc:Identification>"
        '<gc:ColumnSet><gc:Column Id="code"/><gc:Column Id="name"/></gc:ColumnSet>'
        f"<gc:SimpleCodeList>{rows}</gc:SimpleCodeList></gc:CodeList>"
    ).encode()


def _generated(doc):
    found = {"field": [], "group": [], "rules": 0, "codelists": set(), "inline": 0}

    def visit(item):
        found[item["kind"]].append(item["id"])
        found["rules"] += len(item["rules"])
        if item["kind"] == "group":
            for _, child in item["children"]:
                visit(child)
        elif item["codelist"] == "inline" and doc["version"] == "3":
            found["inline"] += 1
        elif item["codelist"]:
            found["codelists"].add(item["codelist"] if item["codelist"] != "inline" else "C1")

    for _, child in doc["children"]:
        visit(child)
    return found


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_generated_documents_lose_nothing(doc):
    message = read_message(_document_xml(doc), "generiert.xml")
    lists = [read_codelist(_genericode(n, doc["sizes"][n]), n) for n in ["C1", "C2", "C3"] if n not in doc["missing"]]
    try:
        data, report = build_definition(message, lists, allow_missing_codelists=True)
    except FimError as exc:
        # Only a schema without any importable field may be refused.
        assert "keine Felder" in exc.problems[0]
        return
    definition_module.parse(data)  # a valid definition
    found = _generated(doc)
    in_definition = [e["fim"]["id"] for e in all_elements(data) if "fim" in e]
    in_definition += [step["fim"]["id"] for step in data["steps"] if "fim" in step]
    not_imported = [item.fim_id for item in report.items if not item.imported]
    for fim_id in found["field"] + found["group"]:
        assert (fim_id in in_definition) != (fim_id in not_imported), fim_id
    assert report.fields_found == len(found["field"])
    assert report.fields_imported == sum(1 for i in found["field"] if i in in_definition)
    assert report.groups_found == len(found["group"])
    assert report.rules_found == found["rules"]
    assert report.rules_translated + len(report.review("Regel")) == found["rules"]
    sources = {c["source"] for c in data.get("codelists", {}).values()}
    reported = {item.fim_id for item in report.review("Codeliste") if not item.imported}
    for name in found["codelists"]:
        assert (f"urn:test:{name}_1" in sources) != bool({name, f"urn:test:{name}"} & reported), name
    assert report.codelists_found == len(found["codelists"]) + found["inline"]


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_damaged_samples_fail_only_with_a_german_error(data):
    content = bytearray(
        (SAMPLES / data.draw(st.sampled_from(["xdf3_datenfeldgruppe_anschrift_inland.xml", S94.name]))).read_bytes()
    )
    cut = data.draw(st.integers(0, len(content)))
    for position in data.draw(st.lists(st.integers(0, max(cut - 1, 0)), max_size=5)):
        if cut:
            content[position] = data.draw(st.sampled_from(b"<>/&\"' x0:"))
    try:
        message = read_message(bytes(content[:cut]), "kaputt.xml")
        build_definition(message, [read_codelist(c.read_bytes(), c.name) for c in S94_CODELISTS])
    except FimError as exc:
        assert exc.problems and all(isinstance(p, str) for p in exc.problems)
