"""Staff login: password, then a TOTP code (enrolled by QR code on first login), session limits."""

import time
import types

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from kreiswerk.accounts import middleware, views
from kreiswerk.tenancy.models import Role
from kreiswerk.tenancy.services import staff_user_create
from tests.conftest import PASSWORD, make_staff, simple_definition

pytestmark = pytest.mark.django_db

LOGIN = "/verwaltung/anmelden/"
OTP = "/verwaltung/anmelden/code/"
HOME = "/verwaltung/"


@pytest.fixture(autouse=True)
def _no_otp_throttle(settings):
    """django-otp delays codes after a failure; most tests type a right code right after."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def current_token(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def wrong_token(device: TOTPDevice) -> str:
    right = int(current_token(device))
    return f"{(right + 500_000) % 1_000_000:06d}"


def password_step(client: Client, user, *, next_url: str | None = None):
    data = {"username": user.get_username(), "password": PASSWORD}
    if next_url is not None:
        data["next"] = next_url
    return client.post(LOGIN, data)


def login_form(response) -> str:
    """The login form only (the language switch elsewhere on the page has its own "next")."""
    html = response.content.decode()
    return html.split(f'action="{LOGIN}"')[1].split("</form>")[0]


def session_key(client: Client) -> str | None:
    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    return cookie.value if cookie else None


def is_verified_session(client: Client) -> bool:
    return bool(client.session.get("_auth_user_id")) and bool(client.session.get("otp_device_id"))


# --- password and second factor ----------------------------------------------------------------


def test_login_page_is_accessible_german_and_has_autocomplete(client):
    response = client.get(LOGIN)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Anmelden" in html and "Benutzername" in html and "Passwort" in html
    assert '<label class="kern-label" for="id_username">' in html
    assert 'autocomplete="username"' in html
    assert 'autocomplete="current-password"' in html
    assert "csrfmiddlewaretoken" in html


def test_password_then_code_logs_in(caseworker):
    client = Client()
    response = password_step(client, caseworker)
    assert response.status_code == 302 and response["Location"] == reverse("accounts:otp")
    assert "_auth_user_id" not in client.session  # not logged in before the second factor

    page = client.get(OTP)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'autocomplete="one-time-code"' in html and 'inputmode="numeric"' in html
    assert "data:image/svg+xml" not in html  # already enrolled: no QR code again

    device = TOTPDevice.objects.get(user=caseworker)
    response = client.post(OTP, {"token": current_token(device)})
    assert response.status_code == 302 and response["Location"] == HOME
    assert is_verified_session(client)
    assert views.PENDING_USER not in client.session
    home = client.get(HOME)
    assert home.status_code == 200
    assert reverse("submissions:list") in home.content.decode()


def test_code_with_spaces_as_shown_by_apps_is_accepted(caseworker):
    client = Client()
    password_step(client, caseworker)
    token = current_token(TOTPDevice.objects.get(user=caseworker))
    response = client.post(OTP, {"token": f" {token[:3]} {token[3:]} "})
    assert response.status_code == 302 and response["Location"] == HOME


def test_wrong_password_is_refused_in_german(caseworker):
    client = Client()
    response = client.post(LOGIN, {"username": caseworker.username, "password": "falsch-falsch"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Benutzername oder Passwort ist falsch." in html
    assert 'href="#id_username"' in html  # the error summary links to the field
    assert views.PENDING_USER not in client.session


def test_empty_login_lists_each_missing_field(client):
    html = client.post(LOGIN, {"username": "", "password": ""}).content.decode()
    assert "Bitte geben Sie Ihren Benutzernamen ein." in html
    assert "Bitte geben Sie Ihr Passwort ein." in html
    assert 'href="#id_password"' in html
    assert 'aria-describedby="id_password_error"' in html and 'aria-invalid="true"' in html


def test_inactive_user_cannot_log_in(caseworker):
    caseworker.is_active = False
    caseworker.save()
    client = Client()
    response = password_step(client, caseworker)
    assert response.status_code == 200
    assert "Benutzername oder Passwort ist falsch." in response.content.decode()


def test_wrong_code_is_refused_in_german(caseworker):
    client = Client()
    password_step(client, caseworker)
    device = TOTPDevice.objects.get(user=caseworker)
    response = client.post(OTP, {"token": wrong_token(device)})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Der Code ist nicht gültig. Bitte versuchen Sie es erneut." in html
    assert 'href="#id_token"' in html
    assert not is_verified_session(client)
    assert client.get(HOME)["Location"].startswith(LOGIN)


@pytest.mark.parametrize("token", ["12345", "1234567", "abcdef", "١٢٣٤٥٦", ""])
def test_malformed_code_gets_a_german_hint(caseworker, token):
    client = Client()
    password_step(client, caseworker)
    response = client.post(OTP, {"token": token})
    assert response.status_code == 200
    assert "Bitte geben Sie den sechsstelligen Code ein." in response.content.decode()
    assert not is_verified_session(client)


def test_a_code_cannot_be_used_twice(caseworker):
    device = TOTPDevice.objects.get(user=caseworker)
    token = current_token(device)
    first = Client()
    password_step(first, caseworker)
    assert first.post(OTP, {"token": token}).status_code == 302

    second = Client()
    password_step(second, caseworker)
    response = second.post(OTP, {"token": token})
    assert response.status_code == 200
    assert "Der Code ist nicht gültig" in response.content.decode()
    assert not is_verified_session(second)


def test_repeated_wrong_codes_are_throttled(settings, caseworker):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60
    client = Client()
    password_step(client, caseworker)
    device = TOTPDevice.objects.get(user=caseworker)
    client.post(OTP, {"token": wrong_token(device)})
    response = client.post(OTP, {"token": current_token(device)})  # right code, but too soon
    assert response.status_code == 200
    assert "Zu viele ungültige Codes" in response.content.decode()
    assert not is_verified_session(client)


def test_code_page_without_password_step_goes_to_login(client, caseworker):
    assert client.get(OTP)["Location"] == LOGIN
    device = TOTPDevice.objects.get(user=caseworker)
    response = client.post(OTP, {"token": current_token(device)})
    assert response["Location"] == LOGIN
    assert not is_verified_session(client)


def test_pending_password_step_expires(caseworker):
    client = Client()
    password_step(client, caseworker)
    session = client.session
    session[views.PENDING_SINCE] = int(time.time()) - views.PENDING_MAX_SECONDS - 1
    session.save()
    device = TOTPDevice.objects.get(user=caseworker)
    response = client.post(OTP, {"token": current_token(device)})
    assert response["Location"] == LOGIN
    assert not is_verified_session(client)
    assert "Die Anmeldung hat zu lange gedauert" in client.get(LOGIN).content.decode()


def test_user_deactivated_between_the_steps_is_not_logged_in(caseworker):
    client = Client()
    password_step(client, caseworker)
    caseworker.is_active = False
    caseworker.save()
    assert client.get(OTP)["Location"] == LOGIN


# --- first login: enrolment --------------------------------------------------------------------


@pytest.fixture
def newcomer(unit):
    from kreiswerk.tenancy.services import membership_grant

    user = staff_user_create(username="neu", password=PASSWORD, first_name="Neu")
    membership_grant(user=user, unit=unit, role=Role.CASEWORKER)
    return user


def test_first_login_shows_qr_code_and_confirms_device(newcomer):
    client = Client()
    assert password_step(client, newcomer)["Location"] == OTP
    page = client.get(OTP)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Authenticator-App einrichten" in html
    assert '<img src="data:image/svg+xml' in html
    assert 'alt="QR-Code zum Einrichten der Authenticator-App' in html
    device = TOTPDevice.objects.get(user=newcomer)
    assert not device.confirmed
    import base64

    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    shown = html.split('id="schluessel">')[1].split("<")[0]
    assert shown.replace(" ", "") == secret
    # The QR image carries the SVG namespace, or browsers would not draw it.
    assert "http%3A%2F%2Fwww.w3.org%2F2000%2Fsvg" in html or "http://www.w3.org/2000/svg" in html

    # Reloading keeps the same secret (the user may have scanned it already).
    assert client.get(OTP).content.decode().count(shown) == 1
    assert TOTPDevice.objects.filter(user=newcomer).count() == 1

    response = client.post(OTP, {"token": current_token(device)})
    assert response.status_code == 302 and response["Location"] == HOME
    device.refresh_from_db()
    assert device.confirmed
    assert is_verified_session(client)

    # Next time: no QR code, the confirmed device is asked for.
    other = Client()
    password_step(other, newcomer)
    assert "data:image/svg+xml" not in other.get(OTP).content.decode()


def test_enrolment_with_wrong_code_does_not_confirm(newcomer):
    client = Client()
    password_step(client, newcomer)
    client.get(OTP)
    device = TOTPDevice.objects.get(user=newcomer)
    response = client.post(OTP, {"token": wrong_token(device)})
    html = response.content.decode()
    assert "Der Code ist nicht gültig" in html
    assert '<img src="data:image/svg+xml' in html  # still enrolling
    device.refresh_from_db()
    assert not device.confirmed
    assert not is_verified_session(client)


# --- session ----------------------------------------------------------------------------------


def test_session_key_rotates_at_each_login_step(caseworker):
    client = Client()
    client.get(LOGIN)
    # An attacker could plant this key before the login (session fixation).
    client.session.save()
    session = client.session
    session["planted"] = True
    session.save()
    before = session_key(client)
    assert before

    password_step(client, caseworker)
    after_password = session_key(client)
    assert after_password and after_password != before

    client.post(OTP, {"token": current_token(TOTPDevice.objects.get(user=caseworker))})
    after_code = session_key(client)
    assert after_code and after_code not in {before, after_password}
    assert is_verified_session(client)

    planted = Client()
    planted.cookies[settings.SESSION_COOKIE_NAME] = before
    assert planted.get(HOME).status_code == 302  # the old key opens nothing


def test_logout_needs_post_and_ends_the_session(staff_client, caseworker):
    client = staff_client(caseworker)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.get(HOME).status_code == 200
    response = client.post(reverse("accounts:logout"))
    assert response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session
    assert client.get(HOME)["Location"].startswith(LOGIN)
    assert "Sie haben sich abgemeldet." in client.get(LOGIN).content.decode()


def _active_session(staff_client, user) -> Client:
    client = staff_client(user)
    assert client.get(HOME).status_code == 200  # stamps start and last activity
    session = client.session
    assert middleware.SESSION_STARTED in session and middleware.SESSION_LAST_SEEN in session
    return client


def test_idle_timeout_logs_out(staff_client, caseworker):
    client = _active_session(staff_client, caseworker)
    session = client.session
    session[middleware.SESSION_LAST_SEEN] = int(time.time()) - settings.KREISWERK_SESSION_IDLE_MINUTES * 60 - 5
    session.save()
    response = client.get(reverse("submissions:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN + "?next=")
    assert "_auth_user_id" not in client.session
    page = client.get(LOGIN)
    assert "Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an." in page.content.decode()
    assert client.get(HOME)["Location"].startswith(LOGIN)


def test_idle_timeout_with_a_frozen_clock(staff_client, caseworker, monkeypatch):
    client = _active_session(staff_client, caseworker)
    later = time.time() + settings.KREISWERK_SESSION_IDLE_MINUTES * 60 + 61
    monkeypatch.setattr(middleware, "time", types.SimpleNamespace(time=lambda: later))
    response = client.get(HOME)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session


def test_activity_within_the_idle_limit_keeps_the_session(staff_client, caseworker, monkeypatch):
    client = _active_session(staff_client, caseworker)
    start = time.time()
    step = settings.KREISWERK_SESSION_IDLE_MINUTES * 60 - 60
    for n in range(1, 4):  # well beyond the idle limit in total, never idle that long
        moment = start + n * step
        monkeypatch.setattr(middleware, "time", types.SimpleNamespace(time=lambda m=moment: m))
        assert client.get(HOME).status_code == 200


def test_absolute_timeout_logs_out_an_active_session(staff_client, caseworker):
    client = _active_session(staff_client, caseworker)
    now = int(time.time())
    session = client.session
    session[middleware.SESSION_STARTED] = now - settings.KREISWERK_SESSION_ABSOLUTE_HOURS * 3600 - 5
    session[middleware.SESSION_LAST_SEEN] = now  # active a moment ago
    session.save()
    response = client.get(HOME)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session


def test_absolute_limit_counts_from_the_login(caseworker):
    client = Client()
    password_step(client, caseworker)
    before = int(time.time())
    client.post(OTP, {"token": current_token(TOTPDevice.objects.get(user=caseworker))})
    assert client.session[middleware.SESSION_STARTED] >= before


def test_post_after_timeout_redirects_without_next(staff_client, form_admin):
    client = _active_session(staff_client, form_admin)
    session = client.session
    session[middleware.SESSION_LAST_SEEN] = 0
    session.save()
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302 and response["Location"] == LOGIN


# --- staff pages need both factors ---------------------------------------------------------------


STAFF_PAGES = [
    "accounts:home",
    "assistants:list",
    "assistants:import",
    "assistants:import_fim",
    "submissions:list",
    "handoff:deliveries",
]


@pytest.mark.parametrize("name", STAFF_PAGES)
def test_staff_pages_redirect_anonymous_users_to_login(client, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={url}"


@pytest.mark.parametrize("name", STAFF_PAGES)
def test_staff_pages_need_the_second_factor(administrator, name):
    client = Client()
    client.force_login(administrator, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(reverse(name))
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_password_alone_opens_no_staff_page(administrator):
    client = Client()
    password_step(client, administrator)
    for name in STAFF_PAGES:
        assert client.get(reverse(name))["Location"].startswith(LOGIN)


def test_next_is_kept_through_both_steps(form_admin):
    client = Client()
    target = reverse("assistants:list")
    response = client.get(reverse("assistants:list"))
    assert response["Location"] == f"{LOGIN}?next={target}"
    page = client.get(response["Location"])
    assert f'name="next" value="{target}"' in login_form(page)
    password_step(client, form_admin, next_url=target)
    response = client.post(OTP, {"token": current_token(TOTPDevice.objects.get(user=form_admin))})
    assert response["Location"] == target


@pytest.mark.parametrize(
    "evil",
    [
        "https://evil.example/",
        "//evil.example/verwaltung/",
        "/\\evil.example",
        "\\\\evil.example",
        "https:evil.example",
        "javascript:alert(1)",
        " //evil.example",
        "http://testserver.evil.example/",
    ],
)
def test_open_redirect_via_next_is_refused(caseworker, evil):
    client = Client()
    page = client.get(LOGIN, {"next": evil})
    assert 'name="next"' not in login_form(page)
    password_step(client, caseworker, next_url=evil)
    response = client.post(OTP, {"token": current_token(TOTPDevice.objects.get(user=caseworker))})
    assert response.status_code == 302
    assert response["Location"] == HOME


def test_logged_in_user_visiting_login_goes_on(staff_client, caseworker):
    client = staff_client(caseworker)
    assert client.get(LOGIN)["Location"] == HOME
    assert client.get(LOGIN, {"next": "https://evil.example/"})["Location"] == HOME


# --- lockout ----------------------------------------------------------------------------------


def test_axes_locks_after_the_failure_limit(caseworker):
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == int(__import__("os").environ.get("KREISWERK_LOGIN_FAILURE_LIMIT", 5))
    client = Client()
    for _attempt in range(limit - 1):
        response = client.post(LOGIN, {"username": caseworker.username, "password": "falsch"})
        assert response.status_code == 200
    response = client.post(LOGIN, {"username": caseworker.username, "password": "falsch"})
    _assert_locked_page(response)

    # Even the right password is refused now, and nothing is pending.
    response = password_step(client, caseworker)
    _assert_locked_page(response)
    assert views.PENDING_USER not in client.session

    # Another user from the same address is not affected (lock per user name and address).
    other = make_staff("kollegin")
    assert password_step(Client(), other)["Location"] == OTP


def _assert_locked_page(response):
    html = response.content.decode()
    assert response.status_code in {403, 429}
    assert "Anmeldung vorübergehend gesperrt" in html
    assert "zu viele fehlgeschlagene anmeldeversuche" in html.lower()
    assert "Minuten erneut" in html
    for internal in ("axes", "Traceback", "failure_limit", "cooloff", "sachbearbeitung"):
        assert internal not in html


# --- start page ---------------------------------------------------------------------------------


def test_home_links_by_role(staff_client, caseworker, form_admin, administrator):
    forms_url, inbox_url = reverse("assistants:list"), reverse("submissions:list")

    def main_part(client):
        html = client.get(HOME).content.decode()
        return html.split('id="inhalt"')[1]  # the header navigation is not the start page

    worker = main_part(staff_client(caseworker))
    assert inbox_url in worker and forms_url not in worker
    builder = main_part(staff_client(form_admin))
    assert forms_url in builder and inbox_url not in builder
    admin = main_part(staff_client(administrator))
    assert forms_url in admin and inbox_url in admin


def test_home_lists_open_internal_assistants(staff_client, caseworker, publish_assistant):
    internal = publish_assistant(simple_definition(slug="dienstreise", title="Dienstreiseantrag", audience="internal"))
    publish_assistant(simple_definition(slug="buergerantrag", title="Bürgerantrag"))
    html = staff_client(caseworker).get(HOME).content.decode()
    assert "Dienstreiseantrag" in html
    assert reverse("runner:start", args=[internal.assistant.mandant.slug, "dienstreise"]) in html
    assert "Bürgerantrag" not in html


def test_home_without_roles_says_so(staff_client):
    html = staff_client(make_staff("ohnerolle")).get(HOME).content.decode()
    assert "Ihnen ist noch keine Rolle zugewiesen" in html


def test_the_staff_header_offers_only_what_the_role_allows(caseworker, form_admin, staff_client):
    caseworker_page = staff_client(caseworker).get(reverse("accounts:home")).content.decode()
    assert reverse("submissions:list") in caseworker_page
    assert reverse("assistants:list") not in caseworker_page
    form_page = staff_client(form_admin).get(reverse("accounts:home")).content.decode()
    assert reverse("assistants:list") in form_page
    assert reverse("submissions:list") not in form_page


def test_a_busy_staff_session_is_written_once_a_minute_not_on_every_request(staff_client, caseworker, monkeypatch):
    client = _active_session(staff_client, caseworker)
    saves = []
    original = SessionStore.save
    monkeypatch.setattr(SessionStore, "save", lambda self, *a, **kw: saves.append(1) or original(self, *a, **kw))
    for _ in range(3):
        assert client.get(HOME).status_code == 200
    assert saves == []
