import logging
import time

from django.contrib.auth import login
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from .middleware import SESSION_LAST_SEEN, SESSION_STARTED

logger = logging.getLogger(__name__)


def totp_device_for(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def totp_enrolment_device(user) -> TOTPDevice:
    """The unconfirmed device shown during enrolment; reused until confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=False)
    return device


def totp_throttled(device: TOTPDevice) -> bool:
    """True while django-otp refuses codes after recent failures (growing delay)."""
    allowed, _details = device.verify_is_allowed()
    return not allowed


def staff_login_complete(request, *, user, device: TOTPDevice) -> None:
    """Log the user in with both factors; Django rotates the session key here."""
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    otp_login(request, device)
    now = int(time.time())
    # The absolute limit counts from this moment, not from the first later request.
    request.session[SESSION_STARTED] = now
    request.session[SESSION_LAST_SEEN] = now
    logger.info("staff login completed", extra={"user_id": user.pk})


def totp_confirm(*, device: TOTPDevice, token: str) -> bool:
    """Check a code (django-otp refuses replays and throttles failures); confirms enrolment."""
    if not device.verify_token(token.strip()):
        logger.info("second factor refused", extra={"user_id": device.user_id})
        return False
    if not device.confirmed:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        # Only one device per user: leftovers from earlier attempts go.
        TOTPDevice.objects.filter(user_id=device.user_id, confirmed=False).delete()
    return True
