"""The demo assistants, German problems for broken definitions, round trips, and a
property test of the definition validator."""

import copy
import json
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kreiswerk.assistants import definition as definition_module
from kreiswerk.assistants.definition import DefinitionError, load_text, parse
from kreiswerk.assistants.services import assistant_export, assistant_import

from ..conftest import simple_definition

DEMO = Path(__file__).resolve().parents[2] / "src/kreiswerk/assistants/demo"
DEMO_FILES = sorted(DEMO.glob("*.yaml"))
ELEMENT_TYPES = definition_module.json_schema()["$defs"]["element"]["properties"]["type"]["enum"]
PERSONAL_AUTOCOMPLETE = {"given-name", "family-name", "email", "tel", "bday"}


def demo(name: str) -> dict:
    return load_text((DEMO / f"{name}.yaml").read_bytes())


def texts_of(value):
    """Every translatable text object of a raw definition (dicts with a "de" key)."""
    if isinstance(value, dict):
        if "de" in value and all(isinstance(v, str) for v in value.values()):
            yield value
        else:
            for child in value.values():
                yield from texts_of(child)
    elif isinstance(value, list):
        for child in value:
            yield from texts_of(child)


# --- the demo assistants ----------------------------------------------------------------


def test_there_are_seven_demo_assistants():
    assert {path.stem for path in DEMO_FILES} == {
        "reitkennzeichen",
        "schuelerbefoerderung",
        "hundeanmeldung",
        "informationszugang",
        "gewerbeanmeldung",
        "dienstreiseantrag",
        "digitalisierungsidee",
    }


@pytest.mark.parametrize("path", DEMO_FILES, ids=lambda p: p.stem)
def test_demo_definition_parses_and_is_complete(path):
    data = load_text(path.read_bytes())
    parsed = parse(data)
    assert parsed.slug == path.stem
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 250
    # Start page, search words and a confirmation e-mail.
    assert {"description", "what_you_need", "duration", "legal_basis"} <= set(parsed.start)
    assert parsed.keywords
    assert parsed.element(parsed.confirmation_email_field).type == "email"
    autocomplete = {element.autocomplete for element in parsed._all_elements()}
    assert {"given-name", "family-name", "email"} <= autocomplete
    # English titles for the language switch.
    assert definition_module.localized(parsed.title, "en") != definition_module.localized(parsed.title, "de")
    assert all(isinstance(step.title, dict) and step.title.get("en") for step in parsed.steps)
    # Every assistant ends with a declaration.
    assert parsed.steps[-1].elements[-1].type == "declaration"
    assert parsed.steps[-1].elements[-1].required


def test_demo_definitions_together_use_every_feature():
    parsed = [parse(load_text(path.read_bytes())) for path in DEMO_FILES]
    used = {element.type for definition in parsed for element in definition._all_elements()}
    assert used == set(ELEMENT_TYPES)
    assert any(step.visible_if is not None for d in parsed for step in d.steps)
    assert any(e.visible_if is not None for d in parsed for e in d._all_elements())
    assert any(e.required_if is not None for d in parsed for e in d._all_elements())
    assert any(d.raw.get("codelists") for d in parsed)
    assert any(step.checks for d in parsed for step in d.steps)
    assert any(e.type == "repeat" and e.min_items >= 1 and e.max_items > 1 for d in parsed for e in d._all_elements())
    fees = [d for d in parsed if d.fee]
    assert len(fees) >= 3
    assert {d.audience for d in parsed} == {"public", "internal"}
    autocomplete = {e.autocomplete for d in parsed for e in d._all_elements()}
    assert autocomplete >= PERSONAL_AUTOCOMPLETE


def test_information_request_is_fully_translated():
    data = demo("informationszugang")
    assert data["languages"] == ["de", "en"]
    texts = list(texts_of(data))
    assert len(texts) > 30
    assert all(text.get("en") for text in texts), [t["de"] for t in texts if not t.get("en")]
    # No untranslated plain strings in labels, help, texts or titles.
    parsed = parse(data)
    for element in parsed._all_elements():
        for value in (element.label, element.help, element.text):
            assert value is None or isinstance(value, dict), element.key
        for option in element.options:
            assert isinstance(option.label, dict)


def test_trade_registration_suits_the_browser_test():
    parsed = parse(demo("gewerbeanmeldung"))
    assert len(parsed.steps) >= 4
    files = [element for element in parsed._all_elements() if element.type == "file"]
    assert files
    assert all(not element.required and element.required_if is None for element in files)


def plausible_trade_registration(**changes) -> dict:
    import datetime

    today = datetime.date.today()
    answers = {
        "vorname": "Erika",
        "nachname": "Mustermann",
        "geburtsdatum": "1985-04-12",
        "staatsangehoerigkeit": "deutsch",
        "email": "erika.mustermann@example.org",
        "telefon": "07351 52-0",
        "rechtsform": "gmbh",
        "betriebsname": "Mustermann Fahrräder GmbH",
        "taetigkeit": "Einzelhandel mit Fahrrädern und Zubehör",
        "bereiche": ["handel", "handwerk"],
        "wz_code": "47.64",
        "nebenerwerb": True,
        "beschaeftigte": 2,
        "erlaubnispflichtig": True,
        "registergericht": "Amtsgericht Ulm",
        "registernummer": "HRB 12345",
        "betriebsanschrift": {
            "street": "Marktplatz",
            "house_number": "1",
            "postal_code": "88400",
            "city": "Musterstadt",
        },
        "wohnung_gleich": True,
        "anlass": "neugruendung",
        "beginn_datum": today.isoformat(),
        "befristet": True,
        "ende_datum": (today + datetime.timedelta(days=90)).isoformat(),
        "erklaerung": True,
    }
    answers.update(changes)
    return answers


def test_trade_registration_is_completable_with_plausible_data():
    import datetime

    from kreiswerk.assistants.evaluation import all_errors, visible_steps

    parsed = parse(demo("gewerbeanmeldung"))
    assert all_errors(parsed, plausible_trade_registration()) == []
    assert [s.key for s in visible_steps(parsed, plausible_trade_registration())] == [
        "person",
        "betrieb",
        "register",
        "anschrift",
        "beginn",
        "abschluss",
    ]
    sole_trader = plausible_trade_registration(rechtsform="einzelunternehmen")
    assert "register" not in [s.key for s in visible_steps(parsed, sole_trader)]
    # The cross-field checks: the end after the start, the start at most 30 days back.
    today = datetime.date.today()
    wrong_end = plausible_trade_registration(ende_datum=today.isoformat())
    assert [e.message for e in all_errors(parsed, wrong_end)] == ["Das Ende der Tätigkeit muss nach dem Beginn liegen."]
    too_early = plausible_trade_registration(beginn_datum=(today - datetime.timedelta(days=31)).isoformat())
    assert [e.key for e in all_errors(parsed, too_early)] == ["beginn_datum"]


def test_trade_registration_accepts_no_as_an_answer():
    from kreiswerk.assistants.evaluation import all_errors

    parsed = parse(demo("gewerbeanmeldung"))
    answers = plausible_trade_registration(nebenerwerb=False, erlaubnispflichtig=False, befristet=False)
    del answers["ende_datum"]
    assert all_errors(parsed, answers) == []


def test_demo_fees_compute():
    from kreiswerk.assistants.evaluation import computed_values

    dogs = [
        {"hund_name": "Bello", "listenhund": False},
        {"hund_name": "Rex", "listenhund": True},
        {"hund_name": "Luna", "listenhund": False},
    ]
    assert computed_values(parse(demo("hundeanmeldung")), {"hunde": dogs})["hundesteuer"] == "924.00"
    assert computed_values(parse(demo("hundeanmeldung")), {"hunde": dogs[:1]})["hundesteuer"] == "108.00"
    gewerbe = parse(demo("gewerbeanmeldung"))
    assert computed_values(gewerbe, {"rechtsform": "einzelunternehmen"})["gebuehr"] == "26.00"
    assert computed_values(gewerbe, {"rechtsform": "gmbh", "erlaubnispflichtig": True})["gebuehr"] == "51.00"
    children = [
        {"behinderung": False},
        {"behinderung": True},
        {"behinderung": False},
        {"behinderung": False},
    ]
    schule = computed_values(parse(demo("schuelerbefoerderung")), {"kinder": children})
    assert schule["eigenanteil_monat"] == "70.00"
    reise = computed_values(
        parse(demo("dienstreiseantrag")),
        {
            "beginn": "2026-03-02",
            "ende": "2026-03-04",
            "verkehrsmittel": "privat_pkw",
            "kilometer": 183,
            "triftiger_grund": True,
            "uebernachtung": "189.00",
        },
    )
    assert reise == {
        "reisetage": 3,
        "tagegeld": "56.00",
        "fahrtkosten_pkw": "64.05",
        "kosten_gesamt": "309.05",
    }


# --- broken definitions -----------------------------------------------------------------


def problems_of(data: dict) -> list[str]:
    with pytest.raises(DefinitionError) as error:
        parse(data)
    return error.value.problems


def test_duplicate_key_is_named():
    data = simple_definition()
    data["steps"][0]["elements"].append({"key": "email", "type": "text", "label": "Noch einmal"})
    assert "Feld email: Der Schlüssel „email“ ist mehrfach vergeben." in problems_of(data)


def test_unknown_codelist_is_named():
    data = simple_definition()
    data["steps"][0]["elements"].append({"key": "staat", "type": "select", "label": "Staat", "codelist": "staaten"})
    assert "Feld staat: Die Codeliste „staaten“ fehlt." in problems_of(data)


def test_bad_regular_expression_is_named():
    data = simple_definition()
    data["steps"][0]["elements"][0]["validation"] = {"pattern": "[A-Z"}
    (problem,) = problems_of(data)
    assert problem.startswith("Feld name: Das Muster ist kein gültiger regulärer Ausdruck")


def test_invalid_rule_is_named():
    data = simple_definition()
    data["steps"][0]["elements"][2]["visible_if"] = {"zaubern": [{"var": "name"}]}
    (problem,) = problems_of(data)
    assert problem.startswith("Feld anzahl: Regel ungültig:")
    assert "Unbekannter Operator „zaubern“" in problem


def test_unknown_fee_key_is_named():
    data = simple_definition(fee="gebuehr", computed=[{"key": "summe", "label": "Summe", "rule": 5}])
    assert problems_of(data) == ["Gebühr: Der berechnete Wert „gebuehr“ fehlt."]


def test_schema_problems_name_the_place():
    data = simple_definition()
    del data["steps"][0]["elements"][1]["label"]
    (problem,) = problems_of(data)
    assert problem.startswith("steps/0/elements/1:")
    assert "label" in problem


def test_unreadable_text_gives_german_problem():
    with pytest.raises(DefinitionError, match="weder gültiges JSON noch YAML"):
        load_text("steps: [")
    with pytest.raises(DefinitionError, match="UTF-8"):
        load_text(b"\xff\xfe")


# --- round trip through import and export -----------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["yaml", "json"])
@pytest.mark.parametrize("path", DEMO_FILES, ids=lambda p: p.stem)
def test_round_trip_through_import_and_export(mandant, unit, path, fmt):
    original = load_text(path.read_bytes())
    text = definition_module.dump_text(original, fmt)
    imported = load_text(text.encode("utf-8"))
    assert imported == original
    version = assistant_import(data=imported, mandant=mandant, unit=unit, publish=True)
    exported = assistant_export(version=version)
    assert exported == original
    again = load_text(definition_module.dump_text(exported, fmt))
    assert again == original
    assert parse(again) == parse(original)


@pytest.mark.django_db
def test_round_trip_keeps_the_publication_window(mandant, unit):
    data = simple_definition(
        publication={
            "active_from": "2026-08-01T00:00:00+00:00",
            "active_until": "2026-09-30T00:00:00+00:00",
        }
    )
    version = assistant_import(data=data, mandant=mandant, unit=unit)
    exported = assistant_export(version=version)
    assert parse(exported).publication == parse(data).publication
    assert json.loads(definition_module.dump_text(exported, "json")) == data


# --- property test of the validator -----------------------------------------------------

KEY = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
# Printable text: control characters do not survive every YAML emitter (PyYAML turns
# U+0085 into a line break), and nobody types them into a form.
CHARACTERS = st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"])
WORD = st.text(alphabet=CHARACTERS, min_size=1, max_size=20)
TEXT = WORD | st.fixed_dictionaries({"de": WORD}, optional={"en": st.text(alphabet=CHARACTERS, max_size=20)})
RULE = st.sampled_from(
    [
        True,
        {"var": "x"},
        {"==": [{"var": "x"}, "ja"]},
        {"and": [{"!": {"var": "x"}}, {">": [{"var": "n"}, 3]}]},
        {"in": [{"var": "x"}, ["a", "b"]]},
        {"<": [0, {"var": "n"}, 3]},
        {"some": [{"var": "liste"}, {"var": "ok"}]},
        {">=": [{"date_diff_days": [{"today": []}, {"var": "d"}]}, -30]},
        {"round": [{"*": [{"var": "n"}, "0.35"]}, 2]},
    ]
).map(copy.deepcopy)  # no shared objects: see test_dump_text_of_shared_objects_loads_again
PATTERNS = st.sampled_from(["[0-9]{5}", "HR[AB] ?[0-9]{1,6}", r"\d+(,\d{2})?", "[A-Z]{2}[0-9]{2}.*"])
LEAF_TYPES = [t for t in ELEMENT_TYPES if t not in {"group", "repeat"}]
OPTIONS = st.lists(
    st.fixed_dictionaries({"value": st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True), "label": TEXT}),
    min_size=1,
    max_size=4,
    unique_by=lambda item: item["value"],
)
FILE = st.fixed_dictionaries(
    {
        "types": st.lists(
            st.sampled_from(["pdf", "jpeg", "png", "docx", "xml"]),
            min_size=1,
            max_size=3,
            unique=True,
        )
    },
    optional={"max_size_mb": st.integers(1, 100), "max_files": st.integers(1, 20)},
)


@st.composite
def elements(draw, keys, *, depth: int = 0, inside_repeat: bool = False, codelists=()):
    kinds = LEAF_TYPES + ([] if depth else ["group"]) + ([] if depth or inside_repeat else ["repeat"])
    kind = draw(st.sampled_from(kinds))
    element = {"key": keys.pop(), "type": kind}
    if kind == "info":
        element["text"] = draw(TEXT)
    else:
        element["label"] = draw(TEXT)
    if kind in {"select", "radio", "checkboxes"}:
        if codelists and draw(st.booleans()):
            element["codelist"] = draw(st.sampled_from(codelists))
        else:
            element["options"] = draw(OPTIONS)
    if kind == "file":
        element["file"] = draw(FILE)
    if kind in {"group", "repeat"}:
        count = draw(st.integers(1, 3))
        element["elements"] = [
            draw(elements(keys, depth=depth + 1, inside_repeat=kind == "repeat", codelists=codelists))
            for _ in range(count)
        ]
    if kind == "repeat":
        low = draw(st.integers(0, 3))
        element["min_items"] = low
        element["max_items"] = draw(st.integers(max(low, 1), 10))
    if kind in {"text", "textarea"} and draw(st.booleans()):
        element["validation"] = {"pattern": draw(PATTERNS), "max_length": draw(st.integers(1, 500))}
    if kind in {"integer", "decimal", "money"} and draw(st.booleans()):
        element["validation"] = {"min": 0, "max": draw(st.integers(1, 10_000))}
    if kind != "info" and draw(st.booleans()):
        element["required"] = draw(st.booleans())
    if draw(st.booleans()):
        element["visible_if"] = draw(RULE)
    if kind != "info" and draw(st.booleans()):
        element["required_if"] = draw(RULE)
    if draw(st.booleans()):
        element["help"] = draw(TEXT)
    return element


@st.composite
def definitions(draw) -> dict:
    keys = draw(st.lists(KEY, min_size=60, max_size=60, unique=True))
    codelists = {keys.pop(): {"items": draw(OPTIONS)} for _ in range(draw(st.integers(0, 2)))}
    steps = []
    for _ in range(draw(st.integers(1, 3))):
        step = {
            "key": keys.pop(),
            "title": draw(TEXT),
            "elements": [draw(elements(keys, codelists=tuple(codelists))) for _ in range(draw(st.integers(1, 4)))],
        }
        if draw(st.booleans()):
            step["visible_if"] = draw(RULE)
        if draw(st.booleans()):
            step["checks"] = [{"rule": draw(RULE), "message": draw(TEXT)}]
        steps.append(step)
    data = {
        "format": "kreiswerk-assistant/1",
        "slug": draw(st.from_regex(r"[a-z0-9][a-z0-9-]{1,20}", fullmatch=True)),
        "title": draw(TEXT),
        "steps": steps,
    }
    if codelists:
        data["codelists"] = codelists
    if draw(st.booleans()):
        data["audience"] = draw(st.sampled_from(["public", "internal"]))
    if draw(st.booleans()):
        data["start"] = {
            "description": draw(TEXT),
            "what_you_need": draw(st.lists(TEXT, max_size=3)),
        }
    if draw(st.booleans()):
        computed = [{"key": keys.pop(), "label": draw(TEXT), "rule": draw(RULE)}]
        data["computed"] = computed
        if draw(st.booleans()):
            data["fee"] = computed[0]["key"]
    emails = [e["key"] for s in steps for e in _raw_walk(s["elements"]) if e["type"] == "email"]
    if emails and draw(st.booleans()):
        data["confirmation_email_field"] = draw(st.sampled_from(emails))
    return data


def _raw_walk(elements):
    for element in elements:
        yield element
        yield from _raw_walk(element.get("elements", ()))


def _raw_elements(data: dict) -> list[tuple[list, int]]:
    """(containing list, index) of every element, for mutation."""
    found = []

    def visit(container):
        for index, element in enumerate(container):
            found.append((container, index))
            visit(element.get("elements", []))

    for step in data["steps"]:
        visit(step["elements"])
    return found


PROPERTY_SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(definitions())
def test_generated_valid_definitions_are_accepted(data):
    parsed = parse(data)
    assert parsed.slug == data["slug"]
    assert len(parsed.steps) == len(data["steps"])
    # Parsing is stable under the file formats.
    for fmt in ("json", "yaml"):
        assert parse(load_text(definition_module.dump_text(data, fmt))) == parsed


def _drop_required_key(data, draw):
    places = [(data, key) for key in ("format", "slug", "title", "steps")]
    places += [(step, key) for step in data["steps"] for key in ("key", "title", "elements")]
    for container, index in _raw_elements(data):
        element = container[index]
        places += [
            (element, "key"),
            (element, "type"),
            (element, "text" if element["type"] == "info" else "label"),
        ]
        if element["type"] == "file":
            places.append((element, "file"))
        if element["type"] in {"group", "repeat"}:
            places.append((element, "elements"))
    container, key = draw(st.sampled_from(places))
    del container[key]


def _duplicate_key(data, draw):
    places = _raw_elements(data)
    container, index = draw(st.sampled_from(places))
    how = draw(st.sampled_from(["copy", "step", "computed"]))
    key = container[index]["key"]
    if how == "copy":
        container.append(copy.deepcopy(container[index]))
    elif how == "step":  # step keys have their own namespace: duplicate one of them
        step = draw(st.sampled_from(data["steps"]))
        data["steps"].append(
            {**copy.deepcopy(step), "elements": [{"key": "zzz_extra_field", "type": "info", "text": "x"}]}
        )
    else:
        data.setdefault("computed", []).append({"key": key, "label": "Doppelt", "rule": 1})


def _unknown_type(data, draw):
    container, index = draw(st.sampled_from(_raw_elements(data)))
    container[index]["type"] = draw(st.text(max_size=12).filter(lambda t: t not in ELEMENT_TYPES))


@PROPERTY_SETTINGS
@given(definitions(), st.sampled_from([_drop_required_key, _duplicate_key, _unknown_type]), st.data())
def test_invalid_mutations_are_rejected_with_definition_error(data, mutate, draw_data):
    broken = copy.deepcopy(data)
    mutate(broken, draw_data.draw)
    with pytest.raises(DefinitionError) as error:
        parse(broken)
    assert error.value.problems
    assert all(isinstance(problem, str) and problem for problem in error.value.problems)


@PROPERTY_SETTINGS
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
        max_leaves=20,
    )
)
def test_arbitrary_json_never_raises_anything_but_definition_error(value):
    data = value if isinstance(value, dict) else {"steps": value}
    with pytest.raises(DefinitionError):
        parse(data)


def test_dump_text_of_shared_objects_loads_again():
    data = simple_definition()
    rule = {"==": [{"var": "name"}, "x"]}
    data["steps"][0]["elements"][1]["visible_if"] = rule
    data["steps"][0]["elements"][2]["visible_if"] = rule  # the same object twice
    assert load_text(definition_module.dump_text(data)) == data


def test_yaml_and_json_of_a_demo_are_the_same_definition():
    data = demo("hundeanmeldung")
    as_json = load_text(json.dumps(data, ensure_ascii=False))
    as_yaml = load_text(yaml.safe_dump(data, allow_unicode=True))
    assert parse(as_json) == parse(as_yaml) == parse(data)


@pytest.mark.parametrize("where", ["slug", "key"])
def test_a_key_or_slug_with_a_trailing_line_break_is_refused(where):
    data = simple_definition()
    if where == "slug":
        data["slug"] = "testantrag\n"
    else:
        data["steps"][0]["elements"][0]["key"] = "name\n"
    with pytest.raises(DefinitionError):
        parse(data)
