"""The Kreiskasse's daily list of booked payments: one row per line item, with its booking data.

CSV (semicolon, decimal comma, UTF-8 with BOM, as spreadsheet programs in German offices
expect) or XLSX. Rows name the Kassenzeichen and the application's reference, never
what the applicant entered.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterator
from decimal import Decimal

import xlsxwriter
from django.utils import timezone

from kreiswerk.submissions.export import neutralise
from kreiswerk.submissions.receipt import TIME_ZONE

from .models import RECEIVED, Payment, Status

BASE_COLUMNS = [
    "Kassenzeichen",
    "Transaktions-ID",
    "Bezahlt am",
    "Zahlart",
    "Aktenzeichen",
    "Antragsassistent",
    "Organisationseinheit",
    "Position",
    "Betrag (EUR)",
]


# The list is German whatever the language of the person downloading it.
STATUS_WORDS = {Status.BOOKED: "bezahlt", Status.DUPLICATE: "doppelt bezahlt, zu erstatten"}


def booked_on(day: datetime.date, *, mandant=None, units=None):
    """Payments booked on ``day`` (Europe/Berlin), of one Mandant or of some units if given.

    Double payments are listed too: their money came in, and their refund goes out.
    """
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=TIME_ZONE)
    payments = Payment.objects.filter(
        status__in=RECEIVED, booked_at__gte=start, booked_at__lt=start + datetime.timedelta(days=1)
    )
    if mandant is not None:
        payments = payments.filter(submission__mandant=mandant)
    if units is not None:
        payments = payments.filter(submission__unit__in=units)
    return payments.select_related("submission__assistant", "submission__unit").order_by("booked_at", "pk")


def reconciliation_rows(payments) -> tuple[list[str], Iterator[list]]:
    """The header (base columns, then every booking key that occurs) and the rows."""
    payments = list(payments)
    booking_keys = sorted(
        {key for payment in payments for item in payment.line_items for key in item.get("booking", {})}
    )
    # Status comes last, so the booking keys keep their columns for imports that read by position.
    header = [*BASE_COLUMNS, *(key.replace("_", " ").capitalize() for key in booking_keys), "Status"]

    def rows() -> Iterator[list]:
        for payment in payments:
            submission = payment.submission
            for item in payment.line_items:
                booking = item.get("booking", {})
                yield [
                    payment.reference,
                    payment.transaction_id,
                    timezone.localtime(payment.booked_at, TIME_ZONE).replace(tzinfo=None),
                    payment.method,
                    submission.reference,
                    submission.assistant.title,
                    submission.unit.name,
                    item.get("description", ""),
                    Decimal(item["amount"]),
                    *(booking.get(key, "") for key in booking_keys),
                    STATUS_WORDS[payment.status],
                ]

    return header, rows()


def reconciliation_csv(payments) -> bytes:
    header, rows = reconciliation_rows(payments)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_cell(value) -> str:
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    if isinstance(value, datetime.datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    return neutralise(str(value))


def reconciliation_xlsx(payments) -> bytes:
    header, rows = reconciliation_rows(payments)
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    sheet = workbook.add_worksheet("Zahlungen")
    bold = workbook.add_format({"bold": True})
    money = workbook.add_format({"num_format": "#,##0.00"})
    moment = workbook.add_format({"num_format": "dd.mm.yyyy hh:mm"})
    sheet.write_row(0, 0, header, bold)
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            if isinstance(value, Decimal):
                sheet.write_number(number, column, float(value), money)
            elif isinstance(value, datetime.datetime):
                sheet.write_datetime(number, column, value, moment)
            else:
                sheet.write_string(number, column, str(value))
    sheet.set_column(0, len(header) - 1, 18)
    workbook.close()
    return out.getvalue()
