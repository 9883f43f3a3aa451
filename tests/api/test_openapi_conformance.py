"""Property-based: whatever a client sends, the API answers as its OpenAPI description says, never with a 500.

schemathesis generates requests for every operation from /api/v1/openapi.json, valid and
invalid ones, and checks status codes, content types and bodies against the description.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.api.conftest import api_client_with
from tests.cases.conftest import internal_document, make_submission

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def _connection_kept():
    """The WSGI handler closes the connection after each request; the test's transaction must survive it."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(_connection_kept, mandant, unit, open_case, assistant_version):
    case = open_case()
    internal_document(case)
    make_submission(assistant_version)
    grants = [("gewerbe", "cases:read"), ("gewerbe", "cases:write"), ("gewerbe", "submissions:read")]
    return api_client_with(mandant, "schemathesis", grants)[1]


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_keeps_its_description(case, token):
    # A cursor, a unit code or a status key is an opaque string in the description, yet only the ones
    # that exist are accepted (422 otherwise), so "any valid string must pass" does not apply.
    response = case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"}, excluded_checks=[positive_data_acceptance]
    )
    if response.status_code >= 400:
        assert response.headers["content-type"] == ["application/problem+json"]
        body = response.json()
        assert body["messages"]["de"] and body["messages"]["en"]
