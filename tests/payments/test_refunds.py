"""A caseworker records a refund against the case; never more than was paid."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from kreiswerk.audit.models import AuditEntry
from kreiswerk.cases.models import Event
from kreiswerk.cases.services import case_open_for_submission
from kreiswerk.payments.models import Payment, Refund
from tests.cases.conftest import casetype_definition

from .conftest import submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_case(version, mandant, unit):
    from kreiswerk.cases import services

    services.filing_position_ensure(mandant=mandant, number="82", title="Gewerbe")
    services.filing_position_ensure(mandant=mandant, number="82.10", title="Gewerbeanzeigen")
    services.casetype_import(data=casetype_definition(), mandant=mandant, unit=unit, publish=True)
    submission = submit(version)
    payment = Payment.objects.create(
        submission=submission,
        provider="epaybl",
        transaction_id="t-1",
        reference="KZ-2026-000009",
        amount=Decimal("26.00"),
        status="BOOKED",
        booked_at=timezone.now() - datetime.timedelta(days=1),
    )
    return case_open_for_submission(submission=submission), payment


def refund(client, case, payment, amount: str, reason: str = "Antrag zurückgenommen"):
    url = f"/verwaltung/vorgaenge/{case.pk}/erstattung/"
    return client.post(url, {"payment": str(payment.pk), "amount": amount, "reason": reason}, follow=True)


def test_a_caseworker_records_refunds_up_to_the_amount_paid(paid_case, caseworker, staff_client):
    case, payment = paid_case
    client = staff_client(caseworker)
    page = client.get(f"/verwaltung/vorgaenge/{case.pk}/").content.decode()
    assert "KZ-2026-000009" in page and "Erstattung erfassen" in page

    done = refund(client, case, payment, "10,00").content.decode()
    assert "Die Erstattung ist erfasst" in done and "Erstattung über 10,00 € erfasst" in done
    too_much = refund(client, case, payment, "16,01").content.decode()
    assert "höchstens 16,00 €" in too_much
    refund(client, case, payment, "16,00")
    assert [r.amount for r in Refund.objects.order_by("recorded_at")] == [Decimal("10.00"), Decimal("16.00")]
    assert Refund.objects.first().recorded_by == caseworker and Refund.objects.first().reason == "Antrag zurückgenommen"
    assert case.events.filter(kind=Event.Kind.REFUND).count() == 2
    assert AuditEntry.objects.filter(action="payment.refund").count() == 2
    assert "höchstens 0,00 €" in refund(client, case, payment, "0,01").content.decode()


def test_nonsense_gets_a_german_message(paid_case, caseworker, staff_client):
    case, payment = paid_case
    client = staff_client(caseworker)
    assert "Betrag und Grund" in refund(client, case, payment, "zehn").content.decode()
    assert "Betrag und Grund" in refund(client, case, payment, "5,00", reason="").content.decode()
    Payment.objects.filter(pk=payment.pk).update(status="FAILED")
    assert "nur eine bezahlte Gebühr" in refund(client, case, payment, "5,00").content.decode()
    assert not Refund.objects.exists()


def test_a_double_payment_is_offered_for_refund_first(paid_case, caseworker, staff_client):
    case, payment = paid_case
    double = Payment.objects.create(
        submission=payment.submission,
        provider="epaybl-neu",
        transaction_id="t-2",
        reference="KZ-2026-000010",
        amount=Decimal("26.00"),
        status="DUPLICATE",
        booked_at=timezone.now(),
    )
    client = staff_client(caseworker)
    page = client.get(f"/verwaltung/vorgaenge/{case.pk}/").content.decode()
    assert "doppelt bezahlt, zu erstatten" in page
    assert f'name="payment" value="{double.pk}"' in page
    assert "Die Erstattung ist erfasst" in refund(client, case, double, "26,00").content.decode()
    page = client.get(f"/verwaltung/vorgaenge/{case.pk}/").content.decode()
    assert f'name="payment" value="{payment.pk}"' in page  # paid back in full: the fee itself is next
    assert list(Refund.objects.values_list("payment_id", flat=True)) == [double.pk]


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_turns_double_payments_kept_as_cancelled_into_money_received(version):
    """Earlier releases marked a second booking CANCELED with a note; it was money received."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from kreiswerk.payments.models import PaymentEvent

    submission = submit(version)
    kept = Payment.objects.create(
        submission=submission, provider="epaybl", transaction_id="t-3", amount=Decimal("26.00"), status="CANCELED"
    )
    PaymentEvent.objects.create(payment=kept, source="return", status="BOOKED", detail="doppelt bezahlt: zu erstatten")
    cancelled = Payment.objects.create(
        submission=submission, provider="epaybl", transaction_id="t-4", amount=Decimal("26.00"), status="CANCELED"
    )
    PaymentEvent.objects.create(
        payment=kept, source="notification", status="BOOKED", detail="doppelt bezahlt: zu erstatten"
    )

    def migrate(target=None):
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(target or executor.loader.graph.leaf_nodes())

    migrate([("payments", "0002_payment_payment_open_once")])
    migrate()
    kept.refresh_from_db()
    cancelled.refresh_from_db()
    assert (kept.status, cancelled.status) == ("DUPLICATE", "CANCELED")
    assert kept.booked_at == kept.events.order_by("at", "id").first().at  # booked when first noted
    assert set(kept.events.values_list("status", flat=True)) == {"DUPLICATE"}
    migrate([("payments", "0002_payment_payment_open_once")])  # a rollback to the release before
    kept.refresh_from_db()
    assert (kept.status, kept.booked_at) == ("CANCELED", None)
    assert set(kept.events.values_list("status", flat=True)) == {"BOOKED"}
    migrate()
