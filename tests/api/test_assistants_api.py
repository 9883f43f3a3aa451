"""A Fachverfahren learns which assistants exist and what their submissions hold (JSON Schema 2020-12)."""

import copy
from pathlib import Path

import jsonschema
import pytest
from django.core.management import call_command
from hypothesis import find
from hypothesis import strategies as st

from kreiswerk.assistants import definition as definition_module
from kreiswerk.assistants import evaluation
from kreiswerk.assistants.models import AssistantVersion
from kreiswerk.assistants.submission_schema import submission_schema
from kreiswerk.submissions.models import Submission
from kreiswerk.tenancy.management.commands.demo import demo_definition
from tests.api.conftest import api_client_with, http
from tests.runner.test_citizen_path import fill_and_submit, licence_definition
from tests.test_demo import SLUGS

pytestmark = pytest.mark.django_db

FIM_SAMPLES = Path(__file__).resolve().parent.parent / "assistants" / "fim_samples"


def _validator(schema: dict) -> jsonschema.Draft202012Validator:
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_a_citizens_submission_follows_the_schema_the_api_serves(publish_assistant, client, mandant, unit):
    version = publish_assistant(licence_definition())
    fill_and_submit(client, version)
    submission = Submission.objects.get()
    _client, token = api_client_with(mandant, "fv", [("gewerbe", "submissions:read")])
    api = http(token)

    listed = api.get("/api/v1/assistants").json()
    assert [item["slug"] for item in listed] == ["fischereischein"]
    detail = api.get(f"/api/v1/submissions/{submission.pk}").json()
    assert detail["data_schema"] == listed[0]["data_schema"]
    schema = api.get(detail["data_schema"]).json()

    validator = _validator(schema)
    data = {"answers": detail["answers"], "computed": detail["computed"]}
    assert list(validator.iter_errors(data)) == []
    for broken in (
        {**data, "answers": {**data["answers"], "jahre": "zwei"}},  # a number as text
        {**data, "answers": {**data["answers"], "unbekannt": 1}},  # a field the assistant does not have
        {**data, "answers": {k: v for k, v in data["answers"].items() if k != "name"}},  # a required field missing
    ):
        assert list(validator.iter_errors(broken)), broken
    assert api.get("/api/v1/assistants/fischereischein/versions/99/schema.json").status_code == 404


@pytest.mark.parametrize("slug", sorted(SLUGS))
def test_every_demo_assistant_has_a_valid_schema_of_its_inputs(slug):
    definition = definition_module.parse(demo_definition(slug))
    schema = submission_schema(definition)
    _validator(schema)
    described = set(schema["properties"]["answers"]["properties"])
    assert described == {element.key for element in definition.inputs()}


def test_an_imported_fim_schema_keeps_its_ids_and_a_valid_submission_passes(mandant, unit, capsys):
    call_command(
        "assistant",
        "import-fim",
        str(next(FIM_SAMPLES.rglob("S00000094V1.0_xdf2.xml"))),
        *map(str, FIM_SAMPLES.rglob("C*_genericode.xml")),
        "--unit",
        "gewerbe",
    )
    version = AssistantVersion.objects.get()
    schema = submission_schema(version.parsed)
    validator = _validator(schema)
    answers = schema["properties"]["answers"]
    assert schema["x-fim"]["id"].startswith("S00000094")
    # Every field keeps its FIM id; a list of one field (FIM multiplicity 0:n) carries it on the field inside.
    assert all(_fim_id(prop)[:1] in {"F", "G"} for prop in answers["properties"].values())
    assert list(validator.iter_errors({"answers": {}})) != []  # required fields are required
    minimal = {"answers": {key: _sample(answers["properties"][key]) for key in answers.get("required", [])}}
    assert list(validator.iter_errors(minimal)) == [], [e.message for e in validator.iter_errors(minimal)]
    # Fill in what the rules between fields ask for until the server accepts the answers: those
    # answers, as stored after pruning, follow the schema too.
    definition = version.parsed
    submitted = dict(minimal["answers"])
    for _round in range(5):
        errors = evaluation.all_errors(definition, evaluation.prune(definition, submitted))
        if not errors:
            break
        for error in errors:
            submitted[error.key] = _sample(answers["properties"][error.key])
    assert errors == []
    stored = {"answers": evaluation.prune(definition, submitted)}
    assert list(validator.iter_errors(stored)) == []
    mutated = copy.deepcopy(minimal)
    mutated["answers"]["nicht_im_schema"] = "x"
    assert list(validator.iter_errors(mutated))


def _fim_id(prop: dict) -> str:
    if "x-fim" in prop:
        return prop["x-fim"]["id"]
    inner = prop.get("items", {}).get("properties", {})
    return next((_fim_id(child) for child in inner.values()), "")


def _sample(prop: dict):
    """A value that fits one property (for the FIM sample's required fields)."""
    kind = prop.get("type")
    kind = kind[0] if isinstance(kind, list) else kind
    if "enum" in prop:
        return prop["enum"][0]
    if "const" in prop:
        return prop["const"]
    if kind == "array":
        return [_sample(prop["items"]) for _ in range(prop.get("minItems", 0))]
    if kind == "object":
        return {key: _sample(prop["properties"][key]) for key in prop.get("required", [])}
    if kind == "integer":
        return prop.get("minimum", 1)
    if kind == "boolean":
        return True
    if prop.get("format") == "date":
        return "2026-01-01"
    if prop.get("pattern", "").startswith("^-?[0-9]"):
        return "1.00"
    if prop.get("pattern"):
        # The simplest text the field's pattern takes (and its length limits allow).
        low, high = prop.get("minLength", 1), prop.get("maxLength", 10_000)
        text = st.from_regex(prop["pattern"], fullmatch=True, alphabet=st.characters(codec="ascii"))
        return find(text, lambda value: low <= len(value) <= high and value.strip() == value)
    return "x" * max(prop.get("minLength", 1), 1)
