"""The English catalogue is complete and the committed .mo matches its .po."""

import gettext
import shutil
import subprocess
from pathlib import Path

from django.test import Client
from django.urls import reverse

from tests.conftest import require_tool

LOCALE = Path(__file__).resolve().parents[1] / "src" / "kreiswerk" / "locale" / "en" / "LC_MESSAGES"


def catalog(path: Path) -> dict:
    with path.open("rb") as handle:
        return dict(gettext.GNUTranslations(handle)._catalog)


def test_the_committed_catalogue_is_compiled_from_the_current_po(tmp_path):
    require_tool(shutil.which("msgfmt") is not None, "msgfmt not installed (Debian: gettext)")
    compiled = tmp_path / "django.mo"
    subprocess.run(
        ["msgfmt", "--check-format", "-o", str(compiled), str(LOCALE / "django.po")], check=True, capture_output=True
    )
    assert catalog(compiled) == catalog(LOCALE / "django.mo"), "run `make static` and commit django.mo"


def test_every_message_has_an_english_translation():
    entries = {key: value for key, value in catalog(LOCALE / "django.mo").items() if key}
    assert len(entries) > 400
    assert all(value for value in entries.values())


def test_an_english_browser_gets_the_english_interface(db):
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("runner:index")).content.decode()
    assert '<html lang="en"' in page
    assert "Search for a service" in page and "Dienst suchen" not in page
