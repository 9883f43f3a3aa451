"""Citizen login against the built-in test IdP, as a browser would go through it."""

from urllib.parse import parse_qs, urlsplit

import pytest

from kreiswerk.identity import devidp
from kreiswerk.identity.models import TrustLevel
from tests.cases.conftest import assistant_version, case_type_version  # noqa: F401  (fixtures for the mailbox)


@pytest.fixture(autouse=True)
def dev_idp(settings):
    settings.KREISWERK_DEV_IDP = True
    settings.KREISWERK_SAML_IDP_METADATA = ""


def login_begin(client, *, level: str = "substantiell", next_url: str = "/postfach/") -> str:
    """Press "Mit BundID anmelden"; returns the id of the AuthnRequest the browser is sent with."""
    response = client.post("/anmeldung/saml/anmelden/", {"niveau": level, "next": next_url})
    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    return devidp.request_read(query["SAMLRequest"][0])["id"]


def post_answer(client, saml_response: str):
    return client.post("/anmeldung/saml/antwort/", {"SAMLResponse": saml_response})


def login(client, *, level: TrustLevel = TrustLevel.SUBSTANTIAL, who: str = "erika", asked: str = "substantiell"):
    """A whole login; returns the last response (after the redirect to where the citizen wanted to go)."""
    request_id = login_begin(client, level=asked)
    answer = devidp.response_for(request_id=request_id, who=devidp.persona(who), level=level)
    response = post_answer(client, answer)
    assert response.status_code == 302, response.content.decode()[:500]
    return client.get(response["Location"], follow=True)
