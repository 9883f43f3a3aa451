from kreiswerk.jobs import retrying_task

from .models import Payment
from .services import payment_poll_now


@retrying_task(max_attempts=5, base_delay_seconds=60)
def payment_poll(*, payment_id: str) -> None:
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is not None:
        payment_poll_now(payment=payment)
