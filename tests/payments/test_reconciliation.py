"""The Kreiskasse gets each day's booked payments with Kassenzeichen and Haushaltsstelle."""

import csv
import datetime
import io
import zoneinfo
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from kreiswerk.payments.models import Payment
from tests.conftest import simple_definition

from .conftest import submit

pytestmark = pytest.mark.django_db
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


@pytest.fixture
def itemised(publish_assistant):
    definition = simple_definition(slug="gebuehrenantrag")
    definition["computed"] = [
        {"key": "grundgebuehr", "label": "Grundgebühr", "type": "money", "rule": 20},
        {"key": "zuschlag", "label": "Zuschlag je Stück", "type": "money", "rule": {"*": [{"var": "anzahl"}, 3]}},
        {"key": "gebuehr", "label": "Gebühr", "type": "money", "rule": {"+": [20, {"*": [{"var": "anzahl"}, 3]}]}},
    ]
    definition.update(fee="gebuehr", fee_items=["grundgebuehr", "zuschlag"], booking={"haushaltsstelle": "1.1220.1100"})
    return publish_assistant(definition)


def booked(version, *, at: datetime.datetime, computed: dict, reference: str) -> Payment:
    from kreiswerk.payments.services import fee_of

    submission = submit(version)
    submission.payload = {**submission.payload, "computed": computed}
    submission.save()
    amount, items = fee_of(submission)
    return Payment.objects.create(
        submission=submission,
        provider="epaybl",
        transaction_id=reference.lower(),
        reference=reference,
        amount=amount,
        line_items=items,
        method="PAYPAL",
        status="BOOKED",
        booked_at=at,
    )


def test_line_items_carry_the_booking_data_and_add_up(itemised):
    from kreiswerk.payments.services import fee_of

    submission = submit(itemised)
    submission.payload = {
        **submission.payload,
        "computed": {"grundgebuehr": "20.00", "zuschlag": "6.00", "gebuehr": "26.00"},
    }
    total, items = fee_of(submission)
    assert total == Decimal("26.00")
    assert [(item["description"], item["amount"]) for item in items] == [
        ("Grundgebühr", "20.00"),
        ("Zuschlag je Stück", "6.00"),
    ]
    assert all(item["booking"] == {"haushaltsstelle": "1.1220.1100"} for item in items)
    submission.payload = {
        **submission.payload,
        "computed": {"grundgebuehr": "20.00", "zuschlag": "9.00", "gebuehr": "26.00"},
    }
    total, items = fee_of(submission)
    assert total == Decimal("26.00") and [item["amount"] for item in items] == ["26.00"]  # never more than the fee


def test_the_daily_list_as_csv_and_xlsx(itemised, tmp_path):
    day = datetime.date(2026, 11, 20)
    inside = datetime.datetime(2026, 11, 20, 0, 30, tzinfo=BERLIN)
    outside = datetime.datetime(2026, 11, 19, 23, 59, tzinfo=BERLIN)
    computed = {"grundgebuehr": "20.00", "zuschlag": "6.00", "gebuehr": "26.00"}
    booked(itemised, at=inside, computed=computed, reference="KZ-2026-000007")
    booked(itemised, at=outside, computed=computed, reference="KZ-2026-000006")

    target = tmp_path / "kasse.csv"
    call_command("payments", "reconcile", "--date", day.isoformat(), "--output", str(target), stdout=io.StringIO())
    text = target.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][-2:] == ["Haushaltsstelle", "Status"] and rows[0][0] == "Kassenzeichen"
    assert [row[0] for row in rows[1:]] == ["KZ-2026-000007", "KZ-2026-000007"]
    assert [row[8] for row in rows[1:]] == ["20,00", "6,00"] and rows[1][-2:] == ["1.1220.1100", "bezahlt"]
    assert rows[1][2] == "20.11.2026 00:30"

    sheet_file = tmp_path / "kasse.xlsx"
    call_command(
        "payments",
        "reconcile",
        "--date",
        day.isoformat(),
        "--format",
        "xlsx",
        "--output",
        str(sheet_file),
        stdout=io.StringIO(),
    )
    sheet = openpyxl.load_workbook(sheet_file).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][0] == "KZ-2026-000007" and values[1][8] == 20.0 and values[2][8] == 6.0


def test_a_bad_date_gets_a_german_message(tmp_path):
    with pytest.raises(CommandError, match="JJJJ-MM-TT"):
        call_command("payments", "reconcile", "--date", "22.11.2026", "--output", str(tmp_path / "x.csv"))


def test_the_treasury_sees_its_units_payments_and_downloads_them(itemised, unit, other_unit, staff_client, caseworker):
    from kreiswerk.tenancy.models import Role
    from tests.conftest import make_staff

    yesterday = datetime.datetime.now(BERLIN).date() - datetime.timedelta(days=1)
    at = datetime.datetime.combine(yesterday, datetime.time(10, 15), tzinfo=BERLIN)
    computed = {"grundgebuehr": "20.00", "zuschlag": "6.00", "gebuehr": "26.00"}
    booked(itemised, at=at, computed=computed, reference="KZ-2026-000011")
    kasse = staff_client(make_staff("kasse", unit=unit, role=Role.TREASURY))
    page = kasse.get("/verwaltung/kasse/").content.decode()
    assert "KZ-2026-000011" in page and "26,00 €" in page
    download = kasse.get(f"/verwaltung/kasse/?tag={yesterday.isoformat()}&format=csv")
    assert download["Content-Type"].startswith("text/csv") and b"KZ-2026-000011" in download.content
    assert kasse.get(f"/verwaltung/kasse/?tag={yesterday.isoformat()}&format=xlsx").content[:2] == b"PK"
    bad = kasse.get("/verwaltung/kasse/?tag=gestern").content.decode()
    assert "Es gibt ein Problem" in bad

    elsewhere = staff_client(make_staff("kasse-gemeinde", unit=other_unit, role=Role.TREASURY))
    assert "KZ-2026-000011" not in elsewhere.get("/verwaltung/kasse/").content.decode()
    assert staff_client(caseworker).get("/verwaltung/kasse/").status_code == 403
