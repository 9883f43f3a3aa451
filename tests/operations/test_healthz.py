"""The health check for the load balancer: 200 with the database, 503 without, never cached."""

import pytest
from django.db import OperationalError, connection
from django.urls import reverse

pytestmark = pytest.mark.django_db

URL = "/healthz"


def test_healthz_url_is_stable():
    assert reverse("healthz") == URL


def test_ok_with_the_database_up(client):
    response = client.get(URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["status"] == "ok"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_needs_no_login_and_sets_no_session(client):
    response = client.get(URL)
    assert response.status_code == 200
    assert "sessionid" not in response.cookies


def test_unavailable_when_the_database_is_unreachable(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused: secret-host:5432")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get(URL)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] != "ok"
    assert "secret-host" not in response.content.decode()  # details stay in the log
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_unavailable_when_the_query_fails(client, monkeypatch):
    class BrokenCursor:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def execute(self, *args, **kwargs):
            raise OperationalError("database is locked")

    monkeypatch.setattr(connection, "cursor", lambda *a, **k: BrokenCursor())
    assert client.get(URL).status_code == 503


def test_unreachable_database_server(client, monkeypatch, tmp_path):
    """A real second connection that cannot be opened."""
    from django.db import connections

    default = connections["default"]
    broken = {**default.settings_dict, "OPTIONS": {}}
    if default.vendor == "sqlite":
        broken["NAME"] = str(tmp_path / "missing" / "db.sqlite3")
    else:  # a closed port on this machine
        broken.update(HOST="127.0.0.1", PORT="9", OPTIONS={"connect_timeout": 2})
    wrapper = default.__class__(broken, alias="healthz-broken")
    monkeypatch.setattr("kreiswerk.operations.views.connection", wrapper)
    try:
        response = client.get(URL)
    finally:
        wrapper.close()
    assert response.status_code == 503
    assert response.json()["status"] != "ok"
    assert default.is_usable()


def test_only_get(client):
    assert client.post(URL).status_code in {403, 405}
    assert client.head(URL).status_code in {200, 405}
