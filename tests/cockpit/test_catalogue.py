"""The Leistungskatalog pages: list, create and edit with the maturity checklist, permissions."""

import pytest
from django.urls import reverse

from kreiswerk.audit.models import AuditEntry
from kreiswerk.cockpit import maturity
from kreiswerk.cockpit.models import Channel, Service
from kreiswerk.tenancy.services import mandant_create, unit_create
from tests.conftest import simple_definition

LIST = reverse("cockpit:services")
NEW = reverse("cockpit:service_new")


def post_data(target_unit, **overrides) -> dict:
    data = {
        "name": "Gewerbeanmeldung",
        "leika_key": "99050012104000",
        "unit": str(target_unit.pk),
        "channel": Channel.STATE_PORTAL,
        "assistant": "",
        "yearly_volume": "1200",
        "online_since": "",
    }
    for criterion in maturity.CRITERIA:
        data[f"kriterium_{criterion.key}"] = maturity.NOT_MET
    data.update(overrides)
    return data


def answers(**values) -> dict:
    return {f"kriterium_{key}": value for key, value in values.items()}


def make_service(unit, **fields) -> Service:
    defaults = {"mandant": unit.mandant, "unit": unit, "name": "Hundesteuer", "channel": Channel.OFFLINE}
    defaults.update(fields)
    return Service.objects.create(**defaults)


@pytest.fixture
def team(staff_client, team_member):
    return staff_client(team_member)


def test_it_creates_a_service_with_its_level(team, unit):
    data = post_data(
        unit,
        **answers(information="ja", contact="ja", form_online="ja", application_online="ja"),
        **answers(identification="ja", evidence_upload="entfaellt", payment_online="entfaellt"),
    )
    response = team.post(NEW, data)
    service = Service.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cockpit:service", args=[service.pk])
    assert service.leika_key == "99050012104000"
    assert service.maturity_level == 3
    assert service.legacy_level == 3
    assert service.criteria["evidence_upload"] == "entfaellt"
    assert service.yearly_volume == 1200
    assert AuditEntry.objects.filter(action="cockpit.service.create").count() == 1

    page = team.get(response["Location"]).content.decode()
    assert "Stufe 3: Antrag online" in page
    assert "Stufe 3: Online-Antrag (OZG-konform)" in page
    assert "urn:de:fim:leika:leistung:99050012104000" in page
    assert "Für Stufe 4 (Bescheid digital) fehlt noch:" in page
    assert "Bescheid und Rückfragen digital ins Postfach" in page


def test_it_edits_a_service(team, unit):
    service = make_service(unit, leika_key="99050012104000")
    url = reverse("cockpit:service", args=[service.pk])
    page = team.get(url).content.decode()
    assert 'value="Hundesteuer"' in page
    assert 'name="kriterium_information"' in page
    response = team.post(url, post_data(unit, name="Hundesteuer anmelden", **answers(information="ja", contact="ja")))
    assert response.status_code == 302
    service.refresh_from_db()
    assert service.name == "Hundesteuer anmelden"
    assert service.maturity_level == 1
    assert AuditEntry.objects.filter(action="cockpit.service.update").count() == 1


def test_it_offers_entfaellt_only_where_a_criterion_may_not_apply(team, unit):
    page = team.get(NEW).content.decode()
    assert 'id="id_kriterium_payment_online_2" value="entfaellt"' in page
    assert 'name="kriterium_information" id="id_kriterium_information_2"' not in page
    response = team.post(NEW, post_data(unit, **answers(information="entfaellt")))
    assert response.status_code == 200
    assert "Diese Antwort ist hier nicht möglich: Leistungsbeschreibung mit Zuständigkeit online" in (
        response.content.decode()
    )
    assert not Service.objects.exists()


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("9905001210400", "Ein LeiKa-Schlüssel hat genau 14 Ziffern"),
        ("99O50012104000", "Ein LeiKa-Schlüssel hat genau 14 Ziffern"),
        ("10050012104000", "Ein LeiKa-Schlüssel beginnt mit 99."),
    ],
    ids=["13-digits", "letter", "prefix"],
)
def test_it_explains_a_bad_leika_key(team, unit, key, message):
    response = team.post(NEW, post_data(unit, leika_key=key))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Es gibt ein Problem" in page
    assert message in page
    assert 'href="#id_leika_key"' in page
    assert not Service.objects.exists()


def test_it_refuses_a_duplicate_leika_key(team, unit):
    make_service(unit, leika_key="99050012104000")
    response = team.post(NEW, post_data(unit, leika_key="99 050 012 104 000"))
    assert "Diese Leistung steht mit diesem LeiKa-Schlüssel schon im Katalog." in response.content.decode()
    assert Service.objects.count() == 1


def test_it_requires_name_and_unit(team, unit):
    response = team.post(NEW, post_data(unit, name=" ", unit=""))
    page = response.content.decode()
    assert "Bitte geben Sie die Bezeichnung der Leistung an." in page
    assert "Bitte wählen Sie die zuständige Einheit." in page
    assert 'class="kern-form-input__select kern-form-input__select--error"' in page
    assert 'aria-invalid="true"' in page


def test_a_kreiswerk_service_needs_its_assistant(team, unit, publish_assistant):
    response = team.post(NEW, post_data(unit, channel=Channel.ASSISTANT))
    assert "Bitte wählen Sie den Antragsassistenten" in response.content.decode()
    assistant = publish_assistant(simple_definition()).assistant
    response = team.post(NEW, post_data(unit, channel=Channel.ASSISTANT, assistant=str(assistant.pk)))
    assert response.status_code == 302
    assert Service.objects.get().assistant == assistant
    second = team.post(
        NEW, post_data(unit, leika_key="", name="Zweite", channel=Channel.ASSISTANT, assistant=str(assistant.pk))
    )
    assert "Dieser Antragsassistent gehört schon zur Leistung „Gewerbeanmeldung“." in second.content.decode()


def test_it_drops_the_assistant_of_a_service_not_offered_through_kreiswerk(team, unit, publish_assistant):
    assistant = publish_assistant(simple_definition()).assistant
    team.post(NEW, post_data(unit, channel=Channel.EFA, assistant=str(assistant.pk)))
    assert Service.objects.get().assistant is None


def test_the_list_shows_key_urn_unit_channel_volume_and_levels(team, unit, publish_assistant):
    assistant = publish_assistant(simple_definition()).assistant
    make_service(
        unit,
        name="Gewerbeanmeldung",
        leika_key="99050012104000",
        channel=Channel.ASSISTANT,
        assistant=assistant,
        yearly_volume=99999,
        criteria={c.key: "ja" for c in maturity.CRITERIA if c.level <= 5},
    )
    make_service(unit, name="Hundesteuer", yearly_volume=321)
    page = team.get(LIST).content.decode()
    assert '<code title="urn:de:fim:leika:leistung:99050012104000">99050012104000</code>' in page
    assert "Sachgebiet Gewerbe" in page
    assert "eigener Antragsassistent (kreiswerk)" in page
    assert "von der Plattform gezählt" in page
    assert "99999" not in page  # the platform's count replaces the entered figure
    assert "321" in page
    assert "5: Nachweise aus Registern" in page
    assert "2 Leistungen" in page


def test_the_list_filters_by_search_level_channel_and_unit(team, unit, other_unit):
    make_service(
        unit, name="Gewerbeanmeldung", leika_key="99050012104000", criteria={"information": "ja", "contact": "ja"}
    )
    make_service(other_unit, name="Elterngeld", channel=Channel.EFA)
    assert "Elterngeld" not in team.get(LIST, {"suche": "gewerbe"}).content.decode()
    assert "Gewerbeanmeldung" in team.get(LIST, {"suche": "99050"}).content.decode()
    by_level = team.get(LIST, {"stufe": "1"}).content.decode()
    assert "Gewerbeanmeldung" in by_level and "Elterngeld" not in by_level
    by_channel = team.get(LIST, {"zugang": "efa"}).content.decode()
    assert "Elterngeld" in by_channel and "Gewerbeanmeldung" not in by_channel
    by_unit = team.get(LIST, {"einheit": str(other_unit.pk)}).content.decode()
    assert "Elterngeld" in by_unit and "Gewerbeanmeldung" not in by_unit


def test_a_bad_filter_is_explained_not_an_error(team, unit):
    make_service(unit)
    response = team.get(LIST, {"stufe": "9", "einheit": "abc"})
    assert response.status_code == 200
    assert "Bitte prüfen Sie die Filter" in response.content.decode()


def test_the_list_is_paginated(team, unit):
    Service.objects.bulk_create(
        [Service(mandant=unit.mandant, unit=unit, name=f"Leistung {number:03}") for number in range(55)]
    )
    first = team.get(LIST).content.decode()
    assert "Leistung 049" in first and "Leistung 050" not in first
    assert "Seite 1 von 2" in first
    second = team.get(LIST, {"seite": "2"}).content.decode()
    assert "Leistung 054" in second


def test_the_catalogue_shows_the_municipalities_services(team, unit, mandant):
    town = mandant_create(slug="musterstadt", name="Stadt Musterstadt", kind="gemeinde", reference_prefix="MS")
    town.county = mandant
    town.save()
    office = unit_create(mandant=town, code="buergeramt", name="Bürgeramt", kind="amt")
    service = make_service(office, name="Meldebescheinigung")
    page = team.get(LIST).content.decode()
    assert "Stadt Musterstadt: Bürgeramt" in page
    assert team.get(reverse("cockpit:service", args=[service.pk])).status_code == 200


def test_a_reader_sees_a_read_only_detail(staff_client, reader, unit):
    service = make_service(unit, leika_key="99050012104000", criteria={"information": "ja", "contact": "ja"})
    client = staff_client(reader)
    url = reverse("cockpit:service", args=[service.pk])
    page = client.get(url).content.decode()
    assert '<form method="post" action="/verwaltung/cockpit/leistungen/' not in page
    assert "Stufe 1: Information online" in page
    assert "urn:de:fim:leika:leistung:99050012104000" in page
    assert client.get(LIST).status_code == 200
    assert "Leistung anlegen" not in client.get(LIST).content.decode()


def test_a_reader_cannot_edit(staff_client, reader, unit):
    service = make_service(unit)
    client = staff_client(reader)
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, post_data(unit)).status_code == 403
    url = reverse("cockpit:service", args=[service.pk])
    assert client.post(url, post_data(unit, name="Geändert")).status_code == 403
    assert client.get(reverse("cockpit:services_import")).status_code == 403
    service.refresh_from_db()
    assert service.name == "Hundesteuer"


def test_staff_without_a_cockpit_role_are_refused(staff_client, colleague, unit):
    service = make_service(unit)
    client = staff_client(colleague)
    assert client.get(LIST).status_code == 403
    assert client.get(reverse("cockpit:service", args=[service.pk])).status_code == 403
    assert client.post(NEW, post_data(unit)).status_code == 403
    assert client.get(reverse("cockpit:services_export", args=["csv"])).status_code == 403


def test_anonymous_users_are_sent_to_the_login(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert "login" in response["Location"] or "anmeld" in response["Location"]


def test_a_service_of_another_county_is_not_found(team, db):
    county = mandant_create(slug="nachbarkreis", name="Nachbarkreis", kind="landkreis", reference_prefix="NK")
    foreign = make_service(unit_create(mandant=county, code="amt", name="Amt", kind="amt"))
    assert team.get(reverse("cockpit:service", args=[foreign.pk])).status_code == 404


def test_an_unknown_export_format_is_not_found(team):
    assert team.get(reverse("cockpit:services_export", args=["pdf"])).status_code == 404
