"""The citizen's side of paying: go to the pay page, come back, and the provider's notification.

Starting needs the browser that submitted the application or the secure status link's
token. The return page and the notification only make kreiswerk ask the provider;
their parameters and bodies decide nothing.
"""

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from kreiswerk.runner.services import session_owns_submission
from kreiswerk.submissions.links import status_token_valid
from kreiswerk.submissions.models import Submission

from .models import RECEIVED, Payment, PaymentEvent, Status
from .selectors import allow_pay_page
from .services import PaymentUnavailable, payment_due, payment_notified, payment_refresh, payment_start

# A notification is an id or two; anything longer is not one.
MAX_NOTIFICATION_BYTES = 10_000


def _submission_for(request, submission_id) -> Submission:
    token = request.POST.get("token", "")
    if not (session_owns_submission(request.session, submission_id) or status_token_valid(submission_id, token)):
        raise Http404
    return get_object_or_404(Submission.objects.select_related("version", "assistant"), pk=submission_id)


def return_url(payment: Payment) -> str:
    return settings.KREISWERK_BASE_URL + reverse("payments:return", kwargs={"payment_id": payment.pk})


@never_cache
@require_POST
def payment_begin(request, submission_id):
    """Send the citizen to the pay page for the fee the server computed (posted amounts are ignored)."""
    submission = _submission_for(request, submission_id)
    if not payment_due(submission):
        return render(request, "payments/not_due.html", {"submission": submission})
    try:
        payment = payment_start(submission=submission, return_url_for=return_url)
    except PaymentUnavailable:
        return allow_pay_page(render(request, "payments/unavailable.html", {"submission": submission}, status=503))
    if payment.status == Status.BOOKED:
        return render(request, "payments/result.html", _result_context(request, payment))
    return HttpResponseRedirect(payment.pay_url)


def _result_context(request, payment: Payment) -> dict:
    submission = payment.submission
    return {
        "payment": payment,
        "submission": submission,
        "owned": session_owns_submission(request.session, submission.pk),
        "due": payment.status in {Status.FAILED, Status.CANCELED} and payment_due(submission),
        "received": RECEIVED,
    }


@never_cache
@require_GET
def payment_return(request, payment_id):
    """Back from the pay page: whatever the address says, the provider is asked."""
    payment = get_object_or_404(Payment.objects.select_related("submission__version"), pk=payment_id)
    payment = payment_refresh(payment=payment, source=PaymentEvent.Source.RETURN)
    return allow_pay_page(render(request, "payments/result.html", _result_context(request, payment)))


@csrf_exempt  # the payment service cannot hold a CSRF token; the body only names what to ask about
@require_POST
def payment_notification(request, provider: str):
    if len(request.body) <= MAX_NOTIFICATION_BYTES:
        payment_notified(provider_key=provider, body=request.body)
    # The same answer whatever happened: a caller learns nothing about our payments.
    return HttpResponse(status=204)
