"""BundID login over SAML 2.0 against the in-process test IdP: what is accepted and what is refused."""

import base64
import subprocess
import sys
import zlib
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from kreiswerk.audit.models import AuditEntry
from kreiswerk.identity import devidp, saml
from kreiswerk.identity.keys import key_pair_files
from kreiswerk.identity.models import Citizen, LoginRequest, TrustLevel
from kreiswerk.identity.services import SESSION_CITIZEN

from .conftest import login, login_begin, post_answer

pytestmark = pytest.mark.django_db

NS = {
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "akdb": saml.AKDB_NS,
    "md": "urn:oasis:names:tc:SAML:2.0:metadata",
}


def test_it_logs_in_with_a_valid_answer_and_keeps_attributes_encrypted(client):
    response = login(client)
    assert response.status_code == 200
    assert "Erika Mustermann" in response.content.decode()
    citizen = Citizen.objects.get()
    assert citizen.level == TrustLevel.SUBSTANTIAL
    assert citizen.attributes["birth_date"] == "1964-08-12"
    assert (citizen.attributes["street"], citizen.attributes["house_number"]) == ("Heidestraße", "17")
    assert client.session[SESSION_CITIZEN]["level"] == 3
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT attributes, subject_hash FROM identity_citizen")
        stored, subject_hash = cursor.fetchone()
    assert b"Mustermann" not in bytes(stored)
    assert "ERIKA" not in subject_hash
    assert AuditEntry.objects.filter(action="citizen.login").count() == 1


def test_a_second_login_of_the_same_person_finds_the_same_account(client):
    login(client)
    login(Client())
    assert Citizen.objects.count() == 1


def _request_xml(location: str) -> etree._Element:
    query = parse_qs(urlsplit(location).query)
    assert query["SigAlg"] == ["http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"]
    assert query["Signature"][0]
    raw = zlib.decompress(base64.b64decode(query["SAMLRequest"][0]), -15)
    return etree.fromstring(raw)


def test_the_request_is_signed_and_asks_for_the_level_and_the_attributes(client, settings):
    settings.KREISWERK_SAML_ORGANIZATION_NAME = "Landkreis Musterkreis"
    settings.KREISWERK_SAML_ONLINE_SERVICE_ID = "MK-4711"
    response = client.post("/anmeldung/saml/anmelden/", {"niveau": "hoch", "next": "/"})
    request = _request_xml(response["Location"])
    context = request.find("samlp:RequestedAuthnContext", NS)
    assert context.get("Comparison") == "minimum"
    assert context.findtext("saml:AuthnContextClassRef", namespaces=NS) == "STORK-QAA-Level-4"
    extension = request.find("samlp:Extensions/akdb:AuthenticationRequest", NS)
    assert extension.get("Version") == "2"
    requested = {
        item.get("Name"): item.get("RequiredAttribute")
        for item in extension.findall("akdb:RequestedAttributes/akdb:RequestedAttribute", NS)
    }
    assert requested["urn:oid:1.3.6.1.4.1.25484.494450.3"] == "true"  # bPK2
    assert requested["urn:oid:2.5.4.42"] == "false"
    display = etree.tostring(extension).decode()
    assert "Landkreis Musterkreis" in display and "MK-4711" in display
    assert request.get("AssertionConsumerServiceURL") == saml.acs_url()
    # The IdP accepts it as ours.
    assert devidp.request_read(parse_qs(urlsplit(response["Location"]).query)["SAMLRequest"][0])["level"] == 4


def _refused(response, text: str = "") -> None:
    assert response.status_code == 403
    body = response.content.decode()
    assert "Anmeldung nicht möglich" in body
    if text:
        assert text in body


@pytest.mark.parametrize(
    "fault",
    ["unsigned", "other_key", "other_audience", "expired", "not_encrypted", "other_destination"],
)
def test_a_faulty_answer_is_refused(client, fault, tmp_path):
    request_id = login_begin(client)
    who = devidp.persona("erika")
    options = {
        "unsigned": {"sign": False},
        "other_key": {"signing_key": key_pair_files(tmp_path / "attacker", "Angreifer")},
        "other_audience": {"audience": "https://anderer-dienst.example/saml"},
        "expired": {"lifetime_minutes": -10},
        "not_encrypted": {"encrypt": False},
        "other_destination": {"destination": "https://anderer-dienst.example/acs"},
    }[fault]
    answer = devidp.response_for(request_id=request_id, who=who, level=TrustLevel.SUBSTANTIAL, **options)
    _refused(post_answer(client, answer), "nicht bestätigt")
    assert SESSION_CITIZEN not in client.session
    assert not Citizen.objects.exists()
    # A forged answer does not spoil the person's own login: the real answer still counts.
    good = devidp.response_for(request_id=request_id, who=who, level=TrustLevel.SUBSTANTIAL)
    assert post_answer(client, good).status_code == 302


def test_a_replayed_answer_is_refused(client):
    request_id = login_begin(client)
    answer = devidp.response_for(request_id=request_id, who=devidp.persona("erika"), level=TrustLevel.HIGH)
    first = post_answer(client, answer)
    assert first.status_code == 302
    client.get(first["Location"])
    other = Client()
    _refused(post_answer(other, answer), "bereits verwendet")
    _refused(post_answer(client, answer), "bereits verwendet")
    assert SESSION_CITIZEN not in other.session
    assert LoginRequest.objects.get(pk=request_id).state == LoginRequest.State.DONE


def test_a_captured_assertion_cannot_answer_another_request(client):
    """The Response wrapper is unsigned: re-addressing Erika's answer to the attacker's request fails."""
    erika, attacker = Client(), Client()
    erikas_request = login_begin(erika)
    answer = devidp.response_for(request_id=erikas_request, who=devidp.persona("erika"), level=TrustLevel.HIGH)
    attackers_request = login_begin(attacker, level="keine")
    xml = base64.b64decode(answer).decode()
    assert xml.count(f'InResponseTo="{erikas_request}"') == 1  # the assertion itself is encrypted
    forged = base64.b64encode(
        xml.replace(f'InResponseTo="{erikas_request}"', f'InResponseTo="{attackers_request}"').encode()
    ).decode()
    _refused(post_answer(attacker, forged), "nicht bestätigt")
    assert SESSION_CITIZEN not in attacker.session
    # Erika's own login still works, once.
    accepted = post_answer(erika, answer)
    assert accepted.status_code == 302
    erika.get(accepted["Location"])
    assert erika.session[SESSION_CITIZEN]["level"] == 4


def test_an_answer_to_a_request_we_never_sent_is_refused(client):
    login_begin(client)
    answer = devidp.response_for(request_id="id-ausgedacht", who=devidp.persona("erika"), level=TrustLevel.HIGH)
    _refused(post_answer(client, answer))
    assert SESSION_CITIZEN not in client.session


def test_an_answer_to_another_browsers_request_does_not_log_in_this_browser():
    asking, attacker = Client(), Client()
    request_id = login_begin(asking)
    answer = devidp.response_for(request_id=request_id, who=devidp.persona("erika"), level=TrustLevel.HIGH)
    accepted = post_answer(attacker, answer)
    assert accepted.status_code == 302
    _refused(attacker.get(accepted["Location"]), "anderen Browser")
    assert SESSION_CITIZEN not in attacker.session
    # The browser that asked still gets its login.
    assert asking.get(accepted["Location"]).status_code == 302
    assert asking.session[SESSION_CITIZEN]["level"] == 4


def test_a_level_below_the_request_is_refused_with_a_clear_message(client):
    request_id = login_begin(client, level="substantiell")
    answer = devidp.response_for(request_id=request_id, who=devidp.persona("max"), level=TrustLevel.BASIC)
    response = post_answer(client, answer)
    _refused(response, "„Basisregistrierung“")
    assert "mindestens „substantiell“" in response.content.decode()
    assert SESSION_CITIZEN not in client.session
    assert not Citizen.objects.exists()


def test_a_cancelled_login_is_refused(client):
    request_id = login_begin(client)
    _refused(post_answer(client, devidp.failure_for(request_id=request_id)), "abgebrochen")


@pytest.mark.parametrize(
    "body",
    [
        "",
        "kein base64 %%%",
        base64.b64encode(b"<html/>").decode(),
        base64.b64encode(b'<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]><r>&e;</r>').decode(),
        "A" * (saml.MAX_RESPONSE_BYTES + 1),
    ],
)
def test_garbage_gets_a_german_message_not_an_error(client, body):
    _refused(post_answer(client, body))


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=300) | st.binary(max_size=300).map(lambda raw: base64.b64encode(raw).decode()))
def test_peek_refuses_anything_that_is_not_a_response(text):
    with pytest.raises(saml.LoginRefused) as refused:
        saml.peek(text)
    assert refused.value.message.startswith("Die Antwort des Anmeldedienstes")


def test_the_dev_idp_page_logs_in_through_the_form(client):
    response = client.post("/anmeldung/saml/anmelden/", {"niveau": "substantiell", "next": "/postfach/"})
    page = client.get(response["Location"])
    assert page.status_code == 200
    body = page.content.decode()
    assert "Test-Anmeldedienst" in body and "Erika Mustermann" in body
    saml_request = parse_qs(urlsplit(response["Location"]).query)["SAMLRequest"][0]
    posted = client.post(
        "/anmeldung/test-idp/sso/", {"SAMLRequest": saml_request, "person": "max", "niveau": "3", "aktion": "anmelden"}
    )
    assert posted.status_code == 200
    answer = etree.fromstring(posted.content, etree.HTMLParser()).xpath("//input[@name='SAMLResponse']/@value")[0]
    done = post_answer(client, answer)
    assert client.get(done["Location"]).status_code == 302
    assert "Max Mustermann" in client.get("/postfach/").content.decode()


def test_sp_metadata_names_our_endpoint_and_certificate(client):
    response = client.get("/anmeldung/saml/metadaten/")
    assert response.status_code == 200
    root = etree.fromstring(response.content)
    assert root.get("entityID") == saml.entity_id()
    acs = root.find(".//md:AssertionConsumerService", NS)
    assert acs.get("Location") == saml.acs_url()
    assert acs.get("Binding") == "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
    descriptor = root.find("md:SPSSODescriptor", NS)
    assert descriptor.get("AuthnRequestsSigned") == "true"
    assert descriptor.get("WantAssertionsSigned") == "true"
    assert root.findall(".//md:KeyDescriptor", NS)


def test_without_an_identity_provider_there_is_no_login(client, settings):
    settings.KREISWERK_DEV_IDP = False
    assert client.post("/anmeldung/saml/anmelden/", {"niveau": "keine"}).status_code == 404
    assert client.get("/anmeldung/test-idp/metadaten/").status_code == 404
    assert client.get("/anmeldung/saml/metadaten/").status_code == 404


def test_the_test_idp_cannot_be_switched_on_in_production(tmp_path):
    env = {
        "KREISWERK_PRODUCTION": "true",
        "KREISWERK_DEV_IDP": "true",
        "KREISWERK_SECRET_KEY": "x" * 50,
        "KREISWERK_KEYS": "k1:" + base64.b64encode(b"k" * 32).decode(),
        "KREISWERK_INDEX_KEY": "i" * 40,
        "KREISWERK_DATA_DIR": str(tmp_path),
        "KREISWERK_ALLOWED_HOSTS": "kreiswerk.example",
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(  # nosec B603
        [sys.executable, "-c", "import kreiswerk.settings"], env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "KREISWERK_DEV_IDP" in result.stderr


def test_a_login_leads_back_only_to_our_own_pages(client):
    response = client.post("/anmeldung/saml/anmelden/", {"niveau": "keine", "next": "https://evil.example/"})
    request_id = devidp.request_read(parse_qs(urlsplit(response["Location"]).query)["SAMLRequest"][0])["id"]
    assert LoginRequest.objects.get(pk=request_id).next_url == "/postfach/"


def test_logout_ends_the_citizen_login(client):
    login(client)
    client.post("/anmeldung/abmelden/")
    assert SESSION_CITIZEN not in client.session
    assert "Mit BundID anmelden" in client.get("/postfach/").content.decode()


def test_an_answer_that_arrives_after_its_validity_is_refused(client, monkeypatch):
    from saml2 import time_util

    request_id = login_begin(client)
    answer = devidp.response_for(request_id=request_id, who=devidp.persona("erika"), level=TrustLevel.HIGH)
    # Ten minutes on the way: beyond the assertion's five minutes and the one minute of clock slack.
    real_now = time_util.utc_now
    monkeypatch.setattr(time_util, "utc_now", lambda: real_now() + 600)
    _refused(post_answer(client, answer), "nicht bestätigt")
    assert SESSION_CITIZEN not in client.session
