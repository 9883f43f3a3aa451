from django.db import migrations, models


def cancel_surplus_open_payments(apps, schema_editor):
    """Before the constraint: where an application has several open payments, the newest stays open."""
    Payment = apps.get_model("payments", "Payment")
    PaymentEvent = apps.get_model("payments", "PaymentEvent")
    seen = set()
    for payment in Payment.objects.filter(status="INITIAL").order_by("submission_id", "provider", "-created_at"):
        key = (payment.submission_id, payment.provider)
        if key in seen:
            Payment.objects.filter(pk=payment.pk).update(status="CANCELED")
            PaymentEvent.objects.create(
                payment=payment, source="expiry", status="CANCELED", detail="ersetzt durch eine neuere Zahlung"
            )
        seen.add(key)


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0001_initial"),
        ("submissions", "0004_submission_citizen_submission_identity_level"),
    ]

    operations = [
        migrations.RunPython(cancel_surplus_open_payments, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "INITIAL")), fields=("submission", "provider"), name="payment_open_once"
            ),
        ),
    ]
