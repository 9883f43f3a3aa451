import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.contrib.messages.storage import default_storage
from django.shortcuts import redirect
from django.utils.translation import gettext as _

SESSION_STARTED = "kreiswerk_session_started"
SESSION_LAST_SEEN = "kreiswerk_session_last_seen"


class SessionTimeoutMiddleware:
    """Idle and absolute limits for staff sessions (BSI APP.3.1, ASVS V3.3).

    Runs before the message middleware, so the notice is stored and written here.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        if session.get("_auth_user_id"):
            now = int(time.time())
            started = session.get(SESSION_STARTED, now)
            last_seen = session.get(SESSION_LAST_SEEN, now)
            idle = now - last_seen > settings.KREISWERK_SESSION_IDLE_MINUTES * 60
            too_old = now - started > settings.KREISWERK_SESSION_ABSOLUTE_HOURS * 3600
            if idle or too_old:
                return self._expired(request)
            if SESSION_STARTED not in session:
                session[SESSION_STARTED] = started
            # Writing once a minute is enough and spares a session save per request
            # (any assignment marks the session modified, so only assign when needed).
            if now - last_seen >= 60 or SESSION_LAST_SEEN not in session:
                session[SESSION_LAST_SEEN] = now
        return self.get_response(request)

    def _expired(self, request):
        logout(request)  # flushes the session: new key, no data
        if request.method == "GET":
            response = redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        else:
            response = redirect(settings.LOGIN_URL)
        storage = default_storage(request)
        storage.add(messages.INFO, _("Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an."))
        storage.update(response)
        return response
