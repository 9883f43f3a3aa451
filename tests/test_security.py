"""Security properties of the whole project, checked on real pages.

Headers (CSP, nosniff, framing, referrer, HSTS), cookie flags, CSRF on every URL,
no state change by safe methods, German error pages without internals, robustness
against garbage input, ``check --deploy`` and bandit.

The module is also a URLconf (``ROOT_URLCONF = "tests.test_security"`` in the tests
that need it): the project's URLs plus views that fail on purpose.
"""

import base64
import datetime
import json
import os
import re
import secrets
import subprocess
import sys
import uuid
from importlib import resources
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, path, reverse
from django.utils import timezone

import kreiswerk.urls
from kreiswerk.assistants import definition as definition_module
from kreiswerk.assistants.models import Assistant, AssistantVersion
from kreiswerk.assistants.services import assistant_import
from kreiswerk.cases.decisions import decision_draft
from kreiswerk.cases.inquiries import inquiry_ask
from kreiswerk.cases.services import case_open, case_open_for_submission, casetype_import, filing_position_ensure
from kreiswerk.runner import services as runner_services
from kreiswerk.runner.models import Draft
from kreiswerk.submissions.links import status_path, status_token
from kreiswerk.submissions.models import Attachment, Export, Submission
from tests.cases.conftest import casetype_definition
from tests.conftest import PASSWORD, login_verified, simple_definition

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent

# --- test-only URLconf --------------------------------------------------------------------------

SECRET_DETAIL = "geheimes-detail-7f3a"


def _raise_error(request):
    raise RuntimeError(f"{SECRET_DETAIL} at /srv/kreiswerk/settings.py password=hunter2")


def _raise_denied(request):
    raise PermissionDenied(SECRET_DETAIL)


urlpatterns = [
    path("test-fehler/", _raise_error),
    path("test-verboten/", _raise_denied),
    *kreiswerk.urls.urlpatterns,
]
handler400 = kreiswerk.urls.handler400
handler403 = kreiswerk.urls.handler403
handler404 = kreiswerk.urls.handler404
handler500 = kreiswerk.urls.handler500

CSRF_PAGE_TEXT = "Aus Sicherheitsgründen konnte das Formular nicht angenommen werden"
INTERNALS = (
    "Traceback",
    "Exception Value",
    "Request Method",
    "django.",
    "File &quot;",
    'File "',
    "urlpatterns",
    "CSRF verification failed",
    "Reason given for failure",
    "DEBUG = True",
    "Page not found",
    "Server Error",
    SECRET_DETAIL,
)


def assert_no_internals(html: str) -> None:
    for marker in INTERNALS:
        assert marker not in html, f"internal detail {marker!r} in page"


# --- shared setup -------------------------------------------------------------------------------


def csrf_token_of(response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode()).group(1)


def citizen_start(client: Client, version) -> Draft:
    assistant = version.assistant
    response = client.post(reverse("runner:start", args=[assistant.mandant.slug, assistant.slug]))
    assert response.status_code == 302, response
    draft_id = re.search(r"entwurf/([0-9a-f-]+)/", response["Location"]).group(1)
    return Draft.objects.get(pk=draft_id)


def citizen_submit(client: Client, version) -> Submission:
    draft = citizen_start(client, version)
    step_url = reverse("runner:step", args=[draft.pk, "person"])
    response = client.post(step_url, {"name": "Erika Mustermann", "email": "erika@example.org", "anzahl": "2"})
    assert response.status_code == 302
    check_url = reverse("runner:check", args=[draft.pk])
    page = client.get(check_url)
    submit_key = re.search(r'name="submit_key" value="([^"]*)"', page.content.decode())
    response = client.post(check_url, {"submit_key": submit_key.group(1) if submit_key else ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    return Submission.objects.get(pk=re.search(r"eingang/([0-9a-f-]+)/", response["Location"]).group(1))


@pytest.fixture
def world(mandant, unit, administrator, publish_assistant):
    """An administrator (every role) whose session also holds a citizen's draft and submission."""
    published = publish_assistant(simple_definition())
    internal = publish_assistant(simple_definition(slug="intern", title="Interner Antrag", audience="internal"))
    draft_version = assistant_import(
        data=simple_definition(title="Testantrag neu"), mandant=mandant, unit=unit, user=administrator
    )
    assert draft_version.state == AssistantVersion.State.DRAFT

    client = login_verified(Client(), administrator)
    submission = citizen_submit(client, published)
    draft = citizen_start(client, published)
    resume_token = runner_services.draft_resume_token_create(draft=draft)
    export = Export.objects.create(requested_by=administrator, assistant=published.assistant, format="csv")
    filing_position_ensure(mandant=mandant, number="82.10", title="Gewerbeanzeigen")
    case_type = casetype_import(data=casetype_definition(), mandant=mandant, unit=unit, publish=True)
    case = case_open_for_submission(submission=submission) or case_open(version=case_type)
    inquiry = inquiry_ask(
        case=case,
        question="Bitte Nachweis nachreichen.",
        answer_by=timezone.localdate() + datetime.timedelta(days=14),
        allows_upload=True,
        suspends=True,
        actor=administrator,
    )
    decision_draft(case=case, result="bewilligt", actor=administrator)
    return {
        "case": case,
        "inquiry": inquiry,
        "client": client,
        "user": administrator,
        "published": published,
        "internal": internal,
        "draft_version": draft_version,
        "draft": draft,
        "submission": submission,
        "resume_token": resume_token,
        "export": export,
    }


def concrete_urls(world) -> dict[str, str]:
    """One concrete URL for every named URL of the project, built from real objects."""
    published, draft, submission = world["published"], world["draft"], world["submission"]
    assistant = published.assistant
    return {
        "healthz": reverse("healthz"),
        "set_language": reverse("set_language"),
        "accounts:login": reverse("accounts:login"),
        "accounts:otp": reverse("accounts:otp"),
        "accounts:logout": reverse("accounts:logout"),
        "accounts:home": reverse("accounts:home"),
        "assistants:list": reverse("assistants:list"),
        "assistants:import": reverse("assistants:import"),
        "assistants:import_fim": reverse("assistants:import_fim"),
        "assistants:detail": reverse("assistants:detail", args=[assistant.pk]),
        "assistants:window": reverse("assistants:window", args=[assistant.pk]),
        "assistants:retire": reverse("assistants:retire", args=[assistant.pk]),
        "assistants:export": reverse("assistants:export", args=[published.pk, "yaml"]),
        "assistants:schema": reverse("assistants:schema", args=[published.pk]),
        "assistants:publish": reverse("assistants:publish", args=[world["draft_version"].pk]),
        "submissions:list": reverse("submissions:list"),
        "submissions:export_start": reverse("submissions:export_start"),
        "submissions:export_status": reverse("submissions:export_status", args=[world["export"].pk]),
        "submissions:export_download": reverse("submissions:export_download", args=[world["export"].pk]),
        "submissions:detail": reverse("submissions:detail", args=[submission.pk]),
        "submissions:attachment_download": reverse(
            "submissions:attachment_download", args=[submission.pk, uuid.uuid4()]
        ),
        "submissions:receipt_download": reverse("submissions:receipt_download", args=[submission.pk]),
        "runner:index": reverse("runner:index"),
        "runner:start": reverse("runner:start", args=[assistant.mandant.slug, assistant.slug]),
        "runner:preview": reverse("runner:preview", args=[world["draft_version"].pk]),
        "runner:step": reverse("runner:step", args=[draft.pk, "person"]),
        "runner:check": reverse("runner:check", args=[draft.pk]),
        "runner:save": reverse("runner:save", args=[draft.pk]),
        "runner:keepalive": reverse("runner:keepalive", args=[draft.pk]),
        "runner:resume": reverse("runner:resume", args=[world["resume_token"]]),
        "runner:receipt": reverse("runner:receipt", args=[submission.pk]),
        "runner:receipt_pdf": reverse("runner:receipt_pdf", args=[submission.pk]),
        "cases:inbox": reverse("cases:inbox"),
        "cases:export": reverse("cases:export"),
        "cases:detail": reverse("cases:detail", args=[world["case"].pk]),
        "cases:document": reverse(
            "cases:document", args=[world["case"].pk, world["case"].documents.first().versions.get().pk]
        ),
        "cases:action": reverse("cases:action", args=[world["case"].pk, "notiz"]),
        "cases:decision": reverse("cases:decision", args=[world["case"].pk]),
        # The Aussonderung: no review exists in this world (its case is open), so these find nothing.
        "archive:reviews": reverse("archive:reviews"),
        "archive:review": reverse("archive:review", args=[1]),
        "archive:decide": reverse("archive:decide", args=[1]),
        "archive:destroy": reverse("archive:destroy", args=[1]),
        "archive:hand_over": reverse("archive:hand_over", args=[1]),
        "archive:confirm": reverse("archive:confirm", args=[1]),
        "archive:records": reverse("archive:records"),
        "archive:record": reverse("archive:record", args=[1]),
        "archive:akte_package": reverse("archive:akte_package", args=[world["case"].akte_id]),
        # The API-Zugänge: no client exists in this world, so the pages of one find nothing.
        "api_clients:list": reverse("api_clients:list"),
        "api_clients:create": reverse("api_clients:create"),
        "api_clients:detail": reverse("api_clients:detail", args=[1]),
        "api_clients:grant_add": reverse("api_clients:grant_add", args=[1]),
        "api_clients:grant_remove": reverse("api_clients:grant_remove", args=[1]),
        "api_clients:rotate": reverse("api_clients:rotate", args=[1]),
        "api_clients:revoke": reverse("api_clients:revoke", args=[1]),
        "api_clients:deactivate": reverse("api_clients:deactivate", args=[1]),
        # The hand-off: no delivery or destination exists in this world, so their pages find nothing.
        "handoff:deliveries": reverse("handoff:deliveries"),
        "handoff:delivery": reverse("handoff:delivery", args=[uuid.uuid4()]),
        "handoff:retry": reverse("handoff:retry", args=[uuid.uuid4()]),
        "handoff:destinations": reverse("handoff:destinations", args=[assistant.pk]),
        "handoff:destination_create": reverse("handoff:destination_create", args=[assistant.pk]),
        "handoff:destination_edit": reverse("handoff:destination_edit", args=[1]),
        "handoff:destination_switch": reverse("handoff:destination_switch", args=[1]),
        "treasury:list": reverse("treasury:list"),
        "payments:begin": reverse("payments:begin", args=[submission.pk]),
        "payments:return": reverse("payments:return", args=[uuid.uuid4()]),
        "payments:notification": reverse("payments:notification", args=["epaybl"]),
        "applicant:status": status_path(submission.pk),
        "identity:login": reverse("identity:login"),
        "identity:acs": reverse("identity:acs"),
        "identity:complete": reverse("identity:complete", args=["id-unbekannt"]),
        "identity:metadata": reverse("identity:metadata"),
        "identity:logout": reverse("identity:logout"),
        "identity:oidc_callback": reverse("identity:oidc_callback"),
        "staff_sso:oidc_authentication_init": reverse("staff_sso:oidc_authentication_init"),
        "staff_sso:oidc_authentication_callback": reverse("staff_sso:oidc_authentication_callback"),
        "identity:devidp_sso": reverse("identity:devidp_sso"),
        "identity:devidp_metadata": reverse("identity:devidp_metadata"),
        "mailbox": reverse("mailbox"),
        "applicant:inquiry": reverse(
            "applicant:inquiry", args=[submission.pk, status_token(submission.pk), world["inquiry"].pk]
        ),
        "applicant:document": reverse(
            "applicant:document",
            args=[submission.pk, status_token(submission.pk), world["case"].documents.first().pk],
        ),
        **api_urls(world),
        **cockpit_urls(),
    }


def cockpit_urls() -> dict[str, str]:
    """The cockpit: no service, idea, project, indicator or report exists here, so those pages find nothing."""
    return {
        "cockpit:dashboard": reverse("cockpit:dashboard"),
        "cockpit:chart_csv": reverse("cockpit:chart_csv", args=["reifegrad"]),
        "cockpit:chart_table": reverse("cockpit:chart_table", args=["abbruch"]),
        "cockpit:indicators": reverse("cockpit:indicators"),
        "cockpit:indicator": reverse("cockpit:indicator", args=[1]),
        "cockpit:services": reverse("cockpit:services"),
        "cockpit:service_new": reverse("cockpit:service_new"),
        "cockpit:service": reverse("cockpit:service", args=[1]),
        "cockpit:services_export": reverse("cockpit:services_export", args=["csv"]),
        "cockpit:services_import": reverse("cockpit:services_import"),
        "cockpit:ideas": reverse("cockpit:ideas"),
        "cockpit:my_ideas": reverse("cockpit:my_ideas"),
        "cockpit:scoring": reverse("cockpit:scoring"),
        "cockpit:idea": reverse("cockpit:idea", args=[1]),
        "cockpit:projects": reverse("cockpit:projects"),
        "cockpit:project_limits": reverse("cockpit:project_limits"),
        "cockpit:project": reverse("cockpit:project", args=[1]),
        "cockpit:reports": reverse("cockpit:reports"),
        "cockpit:report_new": reverse("cockpit:report_new"),
        "cockpit:report": reverse("cockpit:report", args=[1]),
        "cockpit:report_pdf": reverse("cockpit:report_pdf", args=[1]),
        "cockpit:report_xlsx": reverse("cockpit:report_xlsx", args=[1]),
    }


def api_urls(world) -> dict[str, str]:
    case, submission = world["case"], world["submission"]
    document = case.documents.first()
    return {
        "api-v1:api-root": reverse("api-v1:api-root"),
        "api-v1:openapi-json": reverse("api-v1:openapi-json"),
        "api-v1:case_list": reverse("api-v1:case_list"),
        "api-v1:case_detail": reverse("api-v1:case_detail", args=[case.pk]),
        "api-v1:case_status": reverse("api-v1:case_status", args=[case.pk]),
        "api-v1:case_document_add": reverse("api-v1:case_document_add", args=[case.pk]),
        "api-v1:case_document_content": reverse("api-v1:case_document_content", args=[case.pk, document.pk]),
        "api-v1:submission_list": reverse("api-v1:submission_list"),
        "api-v1:assistant_list": reverse("api-v1:assistant_list"),
        "api-v1:assistant_submit": reverse("api-v1:assistant_submit", args=[world["published"].assistant.slug]),
        "api-v1:assistant_schema": reverse(
            "api-v1:assistant_schema", args=[world["published"].assistant.slug, world["published"].number]
        ),
        "api-v1:submission_detail": reverse("api-v1:submission_detail", args=[submission.pk]),
        "api-v1:submission_attachment_content": reverse(
            "api-v1:submission_attachment_content", args=[submission.pk, uuid.uuid4()]
        ),
    }


def project_url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns, namespace: str):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry.url_patterns, inner)
            elif isinstance(entry, URLPattern):
                assert entry.name, f"unnamed URL pattern {entry.pattern}: name it and add it here"
                names.add(namespace + entry.name)

    walk(get_resolver(kreiswerk.urls).url_patterns, "")
    return names


# Endpoints that change state by POST: the brief's minimum, all must refuse a POST without token.
STATE_CHANGING = [
    "runner:start",
    "runner:step",
    "runner:check",
    "runner:save",
    "runner:resume",
    "runner:keepalive",
    "runner:preview",
    "accounts:login",
    "accounts:otp",
    "accounts:logout",
    "assistants:publish",
    "assistants:retire",
    "assistants:import",
    "assistants:import_fim",
    "assistants:window",
    "submissions:export_start",
    "cases:action",
    "archive:decide",
    "archive:destroy",
    "archive:hand_over",
    "archive:confirm",
    "api_clients:create",
    "api_clients:grant_add",
    "api_clients:grant_remove",
    "api_clients:rotate",
    "api_clients:revoke",
    "api_clients:deactivate",
    "payments:begin",
    "handoff:retry",
    "handoff:destination_create",
    "handoff:destination_edit",
    "handoff:destination_switch",
    "applicant:inquiry",
    "identity:login",
    "identity:logout",
    "identity:devidp_sso",
    "cockpit:services_import",
    "cockpit:service_new",
    "cockpit:service",
    "cockpit:indicators",
    "cockpit:indicator",
    "cockpit:idea",
    "cockpit:scoring",
    "cockpit:project",
    "cockpit:project_limits",
    "cockpit:report_new",
    "cockpit:report",
    "set_language",
]


def test_every_project_url_is_covered(world):
    missing = project_url_names() - set(concrete_urls(world))
    assert not missing, f"add these URLs to concrete_urls() so the security tests reach them: {missing}"


# --- headers ------------------------------------------------------------------------------------


def csp_directives(response) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def assert_security_headers(response) -> None:
    directives = csp_directives(response)
    assert directives.get("frame-ancestors") == ["'none'"]
    scripts = directives.get("script-src", directives.get("default-src"))
    assert scripts, "CSP without script-src or default-src"
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert "*" not in scripts and "data:" not in scripts
    assert directives.get("object-src") == ["'none'"]
    assert "base-uri" in directives and "form-action" in directives
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response.get("Referrer-Policy") in {"same-origin", "no-referrer", "strict-origin-when-cross-origin"}


def assert_no_inline_code(html: str) -> None:
    """What the CSP would block anyway: inline scripts, event handlers, style attributes."""
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag or "nonce=" in tag, tag
    assert not re.search(r"\son[a-z]+\s*=", html), "inline event handler"
    assert not re.search(r"<[^>]+\sstyle\s*=", html), "style attribute"
    assert "javascript:" not in html


def sample_pages(world) -> dict[str, object]:
    client = Client()
    assistant = world["published"].assistant
    return {
        "citizen index": client.get(reverse("runner:index")),
        "start page": client.get(reverse("runner:start", args=[assistant.mandant.slug, assistant.slug])),
        "staff login": client.get(reverse("accounts:login")),
        "healthz": client.get(reverse("healthz")),
        "404": client.get("/gibt-es-nicht/"),
        "staff home": world["client"].get(reverse("accounts:home")),
        "citizen step": world["client"].get(reverse("runner:step", args=[world["draft"].pk, "person"])),
    }


def test_security_headers_on_real_pages(world):
    for name, response in sample_pages(world).items():
        assert response.status_code in {200, 404}, name
        assert_security_headers(response)
        if response["Content-Type"].startswith("text/html"):
            assert_no_inline_code(response.content.decode())


def test_staff_and_citizen_pages_with_personal_data_are_not_cached(world):
    client = world["client"]
    for name in ("submissions:detail", "runner:step", "runner:check", "accounts:login", "accounts:home"):
        response = client.get(concrete_urls(world)[name])
        cache = response.get("Cache-Control", "")
        assert "no-store" in cache or "private" in cache or "no-cache" in cache, (name, cache)


# --- production settings: deploy check, HSTS, cookies -----------------------------------------


def production_env(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KREISWERK_", "DJANGO_"))}
    env.update(
        KREISWERK_PRODUCTION="1",
        KREISWERK_SECRET_KEY=secrets.token_urlsafe(64),
        KREISWERK_KEYS="k1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        KREISWERK_INDEX_KEY=secrets.token_urlsafe(32),
        KREISWERK_ALLOWED_HOSTS="antraege.musterkreis.example",
        KREISWERK_CSRF_TRUSTED_ORIGINS="https://antraege.musterkreis.example",
        KREISWERK_BASE_URL="https://antraege.musterkreis.example",
        KREISWERK_DATA_DIR=str(tmp_path / "data"),
        DJANGO_SETTINGS_MODULE="kreiswerk.settings",
        PYTHONPATH=os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), str(ROOT / "src")])),
    )
    return env


PRODUCTION_KEYS = [
    "DEBUG",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SAMESITE",
    "LANGUAGE_COOKIE_SECURE",
    "LANGUAGE_COOKIE_HTTPONLY",
    "LANGUAGE_COOKIE_SAMESITE",
    "SECURE_SSL_HOST",
    "SECURE_REDIRECT_EXEMPT",
]


@pytest.fixture(scope="module")
def production_values(tmp_path_factory) -> dict:
    """The security settings as production computes them (a separate interpreter)."""
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{k: getattr(settings, k, None) for k in {PRODUCTION_KEYS!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=production_env(tmp_path_factory.mktemp("prod")),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    if values["SECURE_PROXY_SSL_HEADER"]:
        values["SECURE_PROXY_SSL_HEADER"] = tuple(values["SECURE_PROXY_SSL_HEADER"])
    if values["SECURE_REDIRECT_EXEMPT"] is None:
        values["SECURE_REDIRECT_EXEMPT"] = []
    return values


def test_production_settings_are_strict(production_values):
    values = production_values
    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"] and values["LANGUAGE_COOKIE_SECURE"]
    for name in ("SESSION", "CSRF", "LANGUAGE"):
        assert values[f"{name}_COOKIE_HTTPONLY"] is True
        assert values[f"{name}_COOKIE_SAMESITE"] == "Lax"


def test_deploy_check_passes_with_production_settings(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "kreiswerk", "check", "--deploy", "--fail-level", "WARNING"],
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("missing", ["KREISWERK_SECRET_KEY", "KREISWERK_KEYS", "KREISWERK_INDEX_KEY"])
def test_production_refuses_to_start_without_secrets(tmp_path, missing):
    env = production_env(tmp_path)
    del env[missing]
    result = subprocess.run(
        [sys.executable, "-m", "kreiswerk", "check"], env=env, capture_output=True, text=True, timeout=300, cwd=ROOT
    )
    assert result.returncode != 0
    assert missing in result.stderr
    assert not (tmp_path / "data" / "local-secrets.json").exists()  # never generated silently


@pytest.fixture
def production(settings, production_values):
    for key, value in production_values.items():
        if key != "DEBUG":
            setattr(settings, key, value)
    return settings


def test_hsts_on_https_and_redirect_from_http(world, production):
    client = Client()  # a new client loads the middleware with the production values
    response = client.get(reverse("runner:index"), secure=True)
    assert response.status_code == 200
    hsts = response["Strict-Transport-Security"]
    assert f"max-age={production.SECURE_HSTS_SECONDS}" in hsts
    assert "includeSubDomains" in hsts and "preload" in hsts
    assert_security_headers(response)

    plain = client.get(reverse("accounts:login"))
    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    assert "Strict-Transport-Security" not in plain  # only sent over HTTPS

    behind_proxy = client.get(reverse("runner:index"), HTTP_X_FORWARDED_PROTO="https")
    assert behind_proxy.status_code == 200 and "Strict-Transport-Security" in behind_proxy


def assert_cookie_flags(cookie, *, secure: bool) -> None:
    assert cookie["httponly"] is True, cookie.key
    assert cookie["samesite"] == "Lax", cookie.key
    assert bool(cookie["secure"]) is secure, cookie.key


def test_cookies_are_httponly_lax_and_secure_in_production(world, production, caseworker):
    client = Client()
    page = client.get(reverse("accounts:login"), secure=True)
    assert_cookie_flags(page.cookies[django_settings.CSRF_COOKIE_NAME], secure=True)
    response = client.post(
        reverse("accounts:login"), {"username": caseworker.username, "password": PASSWORD}, secure=True
    )
    assert response.status_code == 302
    assert_cookie_flags(response.cookies[django_settings.SESSION_COOKIE_NAME], secure=True)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"}, secure=True)
    assert_cookie_flags(response.cookies[django_settings.LANGUAGE_COOKIE_NAME], secure=True)

    citizen = Client()
    assistant = world["published"].assistant
    response = citizen.post(reverse("runner:start", args=[assistant.mandant.slug, assistant.slug]), secure=True)
    assert_cookie_flags(response.cookies[django_settings.SESSION_COOKIE_NAME], secure=True)


def test_cookies_are_httponly_and_lax_in_development(caseworker):
    client = Client()
    page = client.get(reverse("accounts:login"))
    assert page.cookies[django_settings.CSRF_COOKIE_NAME]["httponly"] is True
    assert page.cookies[django_settings.CSRF_COOKIE_NAME]["samesite"] == "Lax"
    response = client.post(reverse("accounts:login"), {"username": caseworker.username, "password": PASSWORD})
    session_cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert session_cookie["httponly"] is True and session_cookie["samesite"] == "Lax"


# --- CSRF on every URL --------------------------------------------------------------------------


def _csrf_client(world, *, with_cookie: bool) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.cookies[django_settings.SESSION_COOKIE_NAME] = (
        world["client"].cookies[django_settings.SESSION_COOKIE_NAME].value
    )
    if with_cookie:
        client.get(reverse("runner:index"))  # the index has the language form: sets the CSRF cookie
        assert django_settings.CSRF_COOKIE_NAME in client.cookies
    return client


def _state(world) -> dict:
    versions = AssistantVersion.objects.values_list("pk", "state", "published_at", "retired_at")
    draft_rows = Draft.objects.values_list("pk", "submitted_id", "completed_steps", "updated_at")
    return {
        "drafts": sorted(map(repr, draft_rows)),
        "submissions": Submission.objects.count(),
        "versions": sorted(map(repr, versions)),
        "assistants": sorted(map(repr, Assistant.objects.values_list("pk", "active_from", "active_until"))),
        "exports": Export.objects.count(),
        "attachments": Attachment.objects.count(),
    }


@pytest.mark.parametrize("with_cookie", [False, True], ids=["no-csrf-cookie", "cookie-but-no-token"])
def test_csrf_enforced_on_every_url(world, with_cookie):
    client = _csrf_client(world, with_cookie=with_cookie)
    before = _state(world)
    urls = concrete_urls(world)
    body = {
        "name": "Angreifer",
        "email": "a@example.org",
        "username": "administration",
        "password": PASSWORD,
        "token": "123456",
        "format": "csv",
        "language": "en",
        "_action": "weiter",
        "submit_key": "x",
    }
    for name, url in urls.items():
        response = client.post(url, body)
        if name.startswith("api-v1:"):
            # Bearer tokens only: a session cookie opens nothing there, so there is nothing to forge.
            assert response.status_code in {401, 403, 404, 405}, (name, response.status_code)
            assert response["Content-Type"] == "application/problem+json", name
            continue
        if name == "identity:acs":
            # BundID's answer comes from its own site: it is signed and bound to our request, not to a session.
            assert response.status_code == 403, (name, response.status_code)
            assert "Anmeldung nicht möglich" in response.content.decode()
            continue
        if name == "payments:notification":
            # The payment service's call: no session counts there, its body only names what to ask about.
            assert response.status_code == 204, (name, response.status_code)
            continue
        if name in STATE_CHANGING:
            assert response.status_code == 403, (name, response.status_code)
        # csrf_exempt views that do not take POST may answer 405 before their CSRF check.
        assert response.status_code in {403, 405}, (name, response.status_code)
        if response.status_code == 403:
            html = response.content.decode()
            assert CSRF_PAGE_TEXT in html, name
            assert_no_internals(html)
            assert_security_headers(response)
    assert _state(world) == before
    assert world["client"].get(reverse("accounts:home")).status_code == 200  # still logged in


def test_csrf_token_from_another_session_is_refused(world):
    attacker = Client(enforce_csrf_checks=True)
    token = csrf_token_of(attacker.get(reverse("accounts:login")))
    victim = _csrf_client(world, with_cookie=True)
    response = victim.post(reverse("submissions:export_start"), {"csrfmiddlewaretoken": token, "format": "csv"})
    assert response.status_code == 403
    assert CSRF_PAGE_TEXT in response.content.decode()


def test_post_with_token_is_accepted(world):
    """The counter-check: the same client with the form's token gets through."""
    client = _csrf_client(world, with_cookie=True)
    url = reverse("runner:save", args=[world["draft"].pk])
    token = csrf_token_of(client.get(url))
    response = client.post(url, {"csrfmiddlewaretoken": token, "email": "kein-e-mail"})
    assert response.status_code == 200
    assert CSRF_PAGE_TEXT not in response.content.decode()


@pytest.mark.parametrize("method", ["get", "head", "options", "trace"])
def test_safe_methods_change_nothing(world, method):
    client = world["client"]
    before = _state(world)
    for name, url in concrete_urls(world).items():
        response = getattr(client, method)(url)
        assert response.status_code < 500, (name, response.status_code)
    assert _state(world) == before


# --- error pages --------------------------------------------------------------------------------


@pytest.fixture
def failing_urls(settings):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False


def test_404_is_german_without_internals(client):
    response = client.get("/verwaltung/gibt-es-nicht/../../etc/passwd")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Seite nicht gefunden" in html
    assert_no_internals(html)
    assert_security_headers(response)


def test_500_is_german_without_internals(failing_urls):
    client = Client(raise_request_exception=False)
    response = client.get("/test-fehler/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Technischer Fehler" in html
    assert '<html lang="de"' in html
    assert_no_internals(html)
    assert "RuntimeError" not in html and "hunter2" not in html
    assert_security_headers(response)


def test_403_is_german_without_internals(failing_urls):
    response = Client().get("/test-verboten/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "Kein Zugriff" in html
    assert_no_internals(html)


def test_400_for_a_foreign_host_is_german_without_internals(client):
    response = client.get("/", HTTP_HOST="angreifer.example")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Anfrage nicht verständlich" in html
    assert "angreifer.example" not in html
    assert_no_internals(html)


def test_staff_page_of_another_role_is_a_german_403(staff_client, caseworker):
    response = staff_client(caseworker).get(reverse("assistants:list"))
    assert response.status_code == 403
    assert "Kein Zugriff" in response.content.decode()


# --- garbage input never gives a server error --------------------------------------------------

GARBAGE = [
    "x" * 100_000,
    "a\x00b",
    "\x00",
    "9" * 20,
    "1e999",
    "NaN",
    "-Infinity",
    "-1",
    "0x1F",
    "١٢٣٤",
    "2024-02-30",
    "31.02.2024",
    "99999-12-31",
    "../../etc/passwd",
    "</script><b id=injected>",
    "' OR 1=1 --",
    "{{ 7*7 }}{% debug %}",
    "%s%n%x",
    "😀" * 2000,
    "\r\n\t\x0b\x0c",
    "[]",
    '{"a": 1}',
    "true",
    "DE89 3704 0044 0532 0130 00\x00",
]

ACTIONS = [
    "weiter",
    "speichern",
    "add:",
    "add:gibt-es-nicht",
    "remove:",
    "remove:x:999999999999999999999999",
    "remove:x:-1",
    "datei-entfernen:",
    "datei-entfernen:x:kein-uuid",
    "x" * 10_000,
    "\x00",
]


def form_names(html: str) -> list[str]:
    form = html.split("data-step-form", 1)[1].split("</form>", 1)[0]
    names = set(re.findall(r'\sname="([^"]+)"', form))
    return sorted(names - {"csrfmiddlewaretoken", "_action"})


def demo_definitions() -> list[dict]:
    folder = resources.files("kreiswerk.assistants").joinpath("demo")
    return [
        definition_module.load_text(entry.read_bytes())
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".yaml")
    ]


def assert_not_500(response, what) -> None:
    assert response.status_code < 500, what
    if response.status_code >= 400 and response["Content-Type"].startswith("text/html"):
        assert_no_internals(response.content.decode())


@pytest.fixture
def rich_drafts(mandant, unit, administrator):
    """A verified staff client with a draft of every demo assistant (all field types)."""
    client = login_verified(Client(raise_request_exception=False), administrator)
    drafts = []
    for data in demo_definitions():
        version = assistant_import(data=data, mandant=mandant, unit=unit, publish=True)
        drafts.append((citizen_start(client, version), version))
    return client, drafts


def open_steps(client, draft, version):
    """(url, input names) of every step the draft shows now; hidden steps answer 404."""
    for step in version.parsed.steps:
        # "zurueck=pruefen" opens a step out of order, so every visible step is reached.
        url = reverse("runner:step", args=[draft.pk, step.key]) + "?zurueck=pruefen"
        page = client.get(url)
        if page.status_code == 404:
            continue
        assert page.status_code == 200, (version.assistant.slug, step.key, page.status_code)
        yield url, form_names(page.content.decode())


def test_garbage_in_every_step_of_every_demo_assistant(rich_drafts):
    client, drafts = rich_drafts
    reached = 0
    for draft, version in drafts:
        for url, names in open_steps(client, draft, version):
            reached += 1
            # Row counters of repeats get their own test (test_repeat_row_count_from_the_form_is_capped).
            fields_only = [name for name in names if not name.endswith("__rows")]
            for value in GARBAGE:
                response = client.post(url, dict.fromkeys(fields_only, value))
                assert_not_500(response, (url, value[:20]))
            # Wrong types: several values per field, files in text fields, broken actions.
            assert_not_500(client.post(url, {name: ["1", "\x00", "x" * 500] for name in names}), url)
            files = {name: SimpleUploadedFile("x.pdf", b"%PDF-1.4 kaputt\x00\xff") for name in names}
            assert_not_500(client.post(url, files), (url, "files"))
            targets = sorted({name.split("__")[0] for name in names})
            for action in ACTIONS:
                for candidate in [action + t for t in targets] if action.endswith(":") else [action]:
                    assert_not_500(client.post(url, {"_action": candidate}), (url, candidate[:20]))
            # Invalid UTF-8 and nonsense percent-escapes in the raw body.
            raw = b"&".join(n.encode() + b"=%FF%FE\xff\xc3%00" for n in names)
            response = client.post(url, raw, content_type="application/x-www-form-urlencoded")
            assert_not_500(response, (url, "utf-8"))
            response = client.post(url, b"\xff\xfe--garbage", content_type="multipart/form-data; boundary=x")
            assert_not_500(response, (url, "multipart"))
        assert_not_500(client.get(reverse("runner:check", args=[draft.pk])), "check")
    assert reached >= 2 * len(drafts)


def test_repeat_row_count_from_the_form_is_capped(mandant, unit):
    definition = simple_definition(
        steps=[
            {
                "key": "kinder",
                "title": "Kinder",
                "elements": [
                    {"key": "pflicht", "type": "text", "label": "Pflichtfeld", "required": True},
                    {
                        "key": "kinder",
                        "type": "repeat",
                        "label": "Kinder",
                        "max_items": 3,
                        "elements": [{"key": "kind_name", "type": "text", "label": "Name"}],
                    },
                ],
            }
        ],
    )
    definition.pop("confirmation_email_field")
    version = assistant_import(data=definition, mandant=mandant, unit=unit, publish=True)
    client = Client(raise_request_exception=False)
    draft = citizen_start(client, version)
    url = reverse("runner:step", args=[draft.pk, "kinder"])
    for rows in ("4", "5000", "١٢٣٤", "99999999999999999999"):
        response = client.post(url, {"kinder__rows": rows, "pflicht": ""})  # an error: the page is shown again
        assert response.status_code == 200, (rows, response.status_code)
        assert 'name="kinder__3__kind_name"' not in response.content.decode(), rows


def test_huge_numbers_are_a_form_error_not_a_server_error(mandant, unit):
    element = {"key": "betrag", "type": "money", "label": "Betrag"}
    definition = simple_definition(
        steps=[
            {
                "key": "zahlen",
                "title": "Zahlen",
                "elements": [
                    element,
                    {"key": "anteil", "type": "decimal", "label": "Anteil"},
                    {"key": "stueck", "type": "integer", "label": "Stück"},
                ],
            }
        ],
        confirmation_email_field=None,
    )
    definition.pop("confirmation_email_field")
    version = assistant_import(data=definition, mandant=mandant, unit=unit, publish=True)
    client = Client(raise_request_exception=False)
    draft = citizen_start(client, version)
    url = reverse("runner:step", args=[draft.pk, "zahlen"])
    for digits in (16, 27, 28, 40, 5000):
        value = "9" * digits
        response = client.post(url, {"betrag": value, "anteil": value, "stueck": value})
        assert response.status_code == 200, (digits, response.status_code)
        assert "kern-error" in response.content.decode()


def test_garbage_to_login(caseworker):
    client = Client(raise_request_exception=False)
    url = reverse("accounts:login")
    for value in GARBAGE:
        assert_not_500(client.post(url, {"username": value, "password": value, "next": value}), value[:20])
    assert_not_500(client.post(url, {"username": ["a", "b"], "password": ["x", "y"]}), "lists")
    assert_not_500(client.post(url, {"username": SimpleUploadedFile("u.txt", b"\xff")}), "file")
    raw = b"username=%FF%FE\xff&password=\xc3\x28&next=%00"
    assert_not_500(client.post(url, raw, content_type="application/x-www-form-urlencoded"), "utf-8")
    assert_not_500(client.post(url, b"{", content_type="application/json"), "json")
    big = b"username=" + b"a" * (3 * 1024 * 1024)
    assert_not_500(client.post(url, big, content_type="application/x-www-form-urlencoded"), "too big")
    for value in GARBAGE:
        assert_not_500(client.get(url, {"next": value}), value[:20])


def test_garbage_to_the_code_step(caseworker):
    client = Client(raise_request_exception=False)
    client.post(reverse("accounts:login"), {"username": caseworker.username, "password": PASSWORD})
    url = reverse("accounts:otp")
    for value in GARBAGE:
        assert_not_500(client.post(url, {"token": value}), value[:20])
    assert_not_500(client.post(url, b"token=%FF\xff", content_type="application/x-www-form-urlencoded"), "utf-8")


def test_garbage_to_the_searches(world):
    anonymous = Client(raise_request_exception=False)
    staff = world["client"]
    staff.raise_request_exception = False
    for value in GARBAGE:
        assert_not_500(anonymous.get(reverse("runner:index"), {"q": value}), value[:20])
        params = dict.fromkeys(["assistant", "unit", "date_from", "date_to", "include_tests", "page"], value)
        assert_not_500(staff.get(reverse("submissions:list"), params), value[:20])
    assert_not_500(anonymous.get(reverse("runner:index") + "?q=%FF%FE%00%C3%28"), "utf-8")
    assert_not_500(staff.get(reverse("submissions:list") + "?page=%FF&assistant=%00&date_from=%C3%28"), "utf-8")
    assert_not_500(staff.get(reverse("submissions:list"), {"page": ["1", "2"], "assistant": ["1", "x"]}), "lists")


def test_garbage_to_the_other_citizen_endpoints(world):
    client, draft = world["client"], world["draft"]
    client.raise_request_exception = False
    for value in GARBAGE:
        assert_not_500(client.post(reverse("runner:save", args=[draft.pk]), {"email": value}), value[:20])
        assert_not_500(
            client.post(reverse("runner:keepalive", args=[draft.pk]), {"_step": value, "name": value}), value[:20]
        )
        assert_not_500(client.post(reverse("runner:check", args=[draft.pk]), {"submit_key": value}), value[:20])
    for token in ["x" * 5000, "%00", "..%2F..%2Fetc", "a" * 43]:
        assert_not_500(client.get(f"/fortsetzen/{token}/"), token[:20])
        assert_not_500(client.post(f"/fortsetzen/{token}/"), token[:20])
    for path_part in ["entwurf/not-a-uuid/pruefen/", f"entwurf/{uuid.uuid4()}/pruefen/", "eingang/%00/"]:
        assert_not_500(client.get("/" + path_part), path_part)


RULE_CONTEXT = re.compile(r'<script type="application/json" id="kw-rule-context">.*?</script>', re.S)


def test_submitted_text_is_escaped_on_every_page(rich_drafts):
    """Answers of every demo assistant come back escaped on the steps and the check page."""
    client, drafts = rich_drafts
    payload = "\"'><b id=eingeschleust>x</b>"
    for draft, version in drafts:
        for url, names in list(open_steps(client, draft, version)):
            client.post(url, dict.fromkeys(names, payload))
        pages = [url for url, _names in open_steps(client, draft, version)]
        pages.append(reverse("runner:check", args=[draft.pk]))
        for url in pages:
            # The JSON for the page's rules is script data, not markup (see the test below).
            html = RULE_CONTEXT.sub("", client.get(url).content.decode())
            assert "<b id=eingeschleust>" not in html, url


def test_answers_cannot_break_out_of_the_rule_context_json(mandant, unit):
    definition = simple_definition(
        steps=[
            {
                "key": "eins",
                "title": "Eins",
                "elements": [
                    {"key": "name", "type": "text", "label": "Name", "required": True},
                    {"key": "email", "type": "email", "label": "E-Mail-Adresse"},
                ],
            },
            {
                "key": "zwei",
                "title": "Zwei",
                "elements": [
                    {"key": "hinweis", "type": "text", "label": "Hinweis", "visible_if": {"==": [{"var": "name"}, "x"]}}
                ],
            },
        ]
    )
    version = assistant_import(data=definition, mandant=mandant, unit=unit, publish=True)
    client = Client()
    draft = citizen_start(client, version)
    payload = "</script><b id=eingeschleust>x</b><script>"
    response = client.post(reverse("runner:step", args=[draft.pk, "eins"]), {"name": payload})
    assert response.status_code == 302
    html = client.get(reverse("runner:step", args=[draft.pk, "zwei"])).content.decode()
    assert 'id="kw-rule-context"' in html
    assert "<b id=eingeschleust>" not in html


# --- static analysis ----------------------------------------------------------------------------


def test_bandit_finds_nothing():
    result = subprocess.run(
        [sys.executable, "-m", "bandit", "-q", "-c", "pyproject.toml", "-r", "src"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]


@pytest.mark.django_db
def test_probe_over_plain_http_reaches_the_check_in_production(settings, production_values, monkeypatch):
    for key in ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_REDIRECT_EXEMPT", "SECURE_SSL_HOST"):
        setattr(settings, key, production_values[key])
    assert settings.SECURE_SSL_REDIRECT
    client = Client()  # loads the security middleware with these values
    assert client.get("/healthz").status_code == 200

    def refuse(*args, **kwargs):
        raise OperationalError("down")

    monkeypatch.setattr(connection, "cursor", refuse)
    assert client.get("/healthz").status_code == 503
