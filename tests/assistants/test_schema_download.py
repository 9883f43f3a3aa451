"""Form builders download the JSON Schema of a version's submission data for a Fachverfahren's vendor."""

import json

import jsonschema
import pytest
from django.urls import reverse

from kreiswerk.tenancy.models import Role
from tests.conftest import make_staff, simple_definition

pytestmark = pytest.mark.django_db


def test_the_schema_downloads_and_names_the_address_the_hand_off_uses(publish_assistant, form_admin, staff_client):
    version = publish_assistant(simple_definition())
    response = staff_client(form_admin).get(reverse("assistants:schema", args=[version.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/schema+json"
    assert "testantrag-v1.schema.json" in response["Content-Disposition"]
    schema = json.loads(response.content)
    assert schema["$id"].endswith("/api/v1/assistants/testantrag/versions/1/schema.json")
    jsonschema.Draft202012Validator.check_schema(schema)
    valid = {"answers": {"name": "Erika Mustermann", "email": "erika@example.org", "anzahl": 2}, "computed": {}}
    assert not list(jsonschema.Draft202012Validator(schema).iter_errors(valid))
    assert list(jsonschema.Draft202012Validator(schema).iter_errors({"answers": {"anzahl": "zwei"}}))


def test_another_units_form_builder_gets_404(publish_assistant, other_unit, staff_client):
    version = publish_assistant(simple_definition())
    stranger = staff_client(make_staff("fremd", unit=other_unit, role=Role.FORM_ADMIN))
    assert stranger.get(reverse("assistants:schema", args=[version.pk])).status_code == 404
