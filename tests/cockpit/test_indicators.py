"""Indicators kept by hand: the team adds them and records values; readers read their history."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from kreiswerk.audit.models import AuditEntry
from kreiswerk.cockpit.models import Indicator, IndicatorValue
from kreiswerk.tenancy.services import mandant_create

pytestmark = pytest.mark.django_db

LIST = "/verwaltung/cockpit/kennzahlen/"


def detail(indicator: Indicator) -> str:
    return f"{LIST}{indicator.pk}/"


@pytest.fixture
def telework(mandant) -> Indicator:
    return Indicator.objects.create(
        mandant=mandant, name="Telearbeitsplätze", unit_label="Plätze", source="Personalamt", target=Decimal(250)
    )


def test_it_lets_the_team_add_an_indicator(mandant, team_member, staff_client):
    client = staff_client(team_member)
    response = client.post(
        LIST,
        {
            "name": " Beschäftigte mit verschlüsselter E-Mail ",
            "unit_label": "Personen",
            "source": "IT-Dienstleister",
            "target": "1.200,5",
            "dimension": "organisatorisch",
        },
    )
    indicator = Indicator.objects.get()
    assert response.status_code == 302 and response["Location"] == detail(indicator)
    assert (indicator.mandant, indicator.name, indicator.target) == (
        mandant,
        "Beschäftigte mit verschlüsselter E-Mail",
        Decimal("1200.50"),
    )
    assert AuditEntry.objects.filter(action="cockpit.indicator.create").count() == 1
    assert "ist angelegt" in client.get(response["Location"]).content.decode()


def test_it_records_values_and_shows_their_history(telework, team_member, staff_client):
    client = staff_client(team_member)
    today = timezone.localdate()
    for value, as_of, note in (("120", today - datetime.timedelta(days=200), "Stichtag"), ("187,5", today, "")):
        response = client.post(detail(telework), {"value": value, "as_of": as_of.strftime("%d.%m.%Y"), "note": note})
        assert response.status_code == 302
    assert list(IndicatorValue.objects.values_list("value", flat=True)) == [Decimal("187.50"), Decimal("120.00")]
    assert IndicatorValue.objects.filter(recorded_by=team_member).count() == 2

    html = client.get(detail(telework)).content.decode()
    assert 'role="img"' in html and 'aria-labelledby="chart-kennzahl-' in html
    assert "<caption" in html and "Stichtag" in html and "187,5 Plätze" in html
    assert html.index(today.strftime("%d.%m.%Y")) < html.index(
        (today - datetime.timedelta(days=200)).strftime("%d.%m.%Y")
    )  # newest first

    listing = client.get(LIST).content.decode()
    assert "Telearbeitsplätze" in listing and "187,5 Plätze" in listing and "250 Plätze" in listing
    assert "noch nicht erreicht" in listing and "Personalamt" in listing and today.strftime("%d.%m.%Y") in listing


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"value": "viel", "as_of": "2026-01-01"}, "Bitte geben Sie eine Zahl ein"),
        ({"value": "1,234", "as_of": "2026-01-01"}, "höchstens zwei Nachkommastellen"),
        ({"value": "99999999999", "as_of": "2026-01-01"}, "höchstens"),
        ({"value": "", "as_of": "2026-01-01"}, "Bitte geben Sie einen Wert ein."),
        ({"value": "5", "as_of": ""}, "Bitte geben Sie das Datum ein"),
        ({"value": "5", "as_of": "31.02.2026"}, "Bitte geben Sie ein Datum ein"),
        ({"value": "5", "as_of": "2999-01-01"}, "nicht in der Zukunft"),
        ({"value": "5", "as_of": "1999-01-01"}, "ab dem Jahr 2000"),
        ({"value": "NaN", "as_of": "2026-01-01"}, "Bitte geben Sie eine Zahl ein"),
    ],
)
def test_bad_values_are_refused_in_german(telework, team_member, staff_client, data, message):
    response = staff_client(team_member).post(detail(telework), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Es gibt ein Problem" in html and message in html
    assert not IndicatorValue.objects.exists()


def test_an_indicator_needs_name_unit_and_source(team_member, staff_client, mandant):
    html = staff_client(team_member).post(LIST, {"name": "", "unit_label": "", "source": "", "target": "x"}).content
    html = html.decode()
    for message in (
        "Bitte geben Sie die Bezeichnung der Kennzahl ein.",
        "Bitte geben Sie die Einheit ein.",
        "Bitte geben Sie die Quelle ein.",
        "Bitte geben Sie eine Zahl ein",
    ):
        assert message in html
    assert not Indicator.objects.exists()


def test_readers_read_but_cannot_write(telework, reader, staff_client):
    IndicatorValue.objects.create(indicator=telework, value=Decimal(90), as_of=timezone.localdate())
    client = staff_client(reader)
    listing = client.get(LIST)
    assert listing.status_code == 200 and "Telearbeitsplätze" in listing.content.decode()
    assert "Neue Kennzahl anlegen" not in listing.content.decode()
    page = client.get(detail(telework))
    assert page.status_code == 200 and "Wert erfassen" not in page.content.decode()
    assert client.post(LIST, {"name": "X", "unit_label": "Y", "source": "Z"}).status_code == 403
    assert client.post(detail(telework), {"value": "1", "as_of": "2026-01-01"}).status_code == 403
    assert Indicator.objects.count() == 1 and IndicatorValue.objects.count() == 1


def test_staff_without_a_cockpit_role_get_403(telework, colleague, staff_client):
    client = staff_client(colleague)
    assert client.get(LIST).status_code == 403
    assert client.get(detail(telework)).status_code == 403


def test_anonymous_visitors_are_sent_to_the_login(telework, client):
    for url in (LIST, detail(telework)):
        response = client.get(url)
        assert response.status_code == 302 and "anmelden" in response["Location"].lower()
    assert client.post(LIST, {"name": "X"}).status_code == 302
    assert not Indicator.objects.exclude(pk=telework.pk).exists()


def test_another_mandants_indicator_is_not_found(team_member, staff_client):
    other = mandant_create(slug="nachbarkreis", name="Landkreis Nachbar", kind="landkreis", reference_prefix="NK")
    foreign = Indicator.objects.create(mandant=other, name="Fremd", unit_label="x", source="y")
    client = staff_client(team_member)
    assert client.get(detail(foreign)).status_code == 404
    assert client.post(detail(foreign), {"value": "1", "as_of": "2026-01-01"}).status_code == 404
    assert "Fremd" not in client.get(LIST).content.decode()


def test_an_indicator_without_values_shows_no_chart(telework, reader, staff_client):
    html = staff_client(reader).get(detail(telework)).content.decode()
    assert "Noch keine Werte erfasst." in html and 'role="img"' not in html
