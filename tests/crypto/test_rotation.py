"""Encrypted model fields and ``kreiswerk keys rotate|status|generate``."""

import base64
import datetime
import decimal
import io
import os

import pytest
from django.conf import settings
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, models
from django.test import override_settings
from django.test.utils import isolate_apps

from kreiswerk.crypto.envelope import DecryptionError, key_id_of
from kreiswerk.crypto.fields import EncryptedJSONField, EncryptedTextField
from kreiswerk.crypto.files import open_decrypted, store_encrypted
from tests.crypto.cryptotestapp.models import Dossier


def new_key(key_id: str) -> tuple[str, str]:
    return (key_id, base64.b64encode(os.urandom(32)).decode())


KEY_A = new_key("a")
KEY_B = new_key("b")
KEY_C = new_key("c")
SECRET = "Erika Mustermann, Steuer-ID 12345678901"

pytestmark = pytest.mark.django_db


# Keys of the session stay configured behind the test keys, so rows that other apps'
# migrations may have written do not stop a rotation of the whole registry.
SESSION_KEYS = list(settings.KREISWERK_KEYS)


def keys(*entries):
    return override_settings(KREISWERK_KEYS=[*entries, *SESSION_KEYS])


@pytest.fixture(autouse=True)
def _setup(tmp_path):
    with keys(KEY_A), override_settings(KREISWERK_FILES_DIR=tmp_path / "files"):
        yield


def raw_rows() -> dict[int, tuple]:
    table = connection.ops.quote_name(Dossier._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, answers, note, attachment_key FROM {table}")  # noqa: S608
        return {
            row[0]: tuple(None if value is None else bytes(value) for value in row[1:]) for row in cursor.fetchall()
        }


def key_ids() -> set[str]:
    return {key_id_of(value) for row in raw_rows().values() for value in row if value}


def make_dossiers(count: int) -> dict[int, bytes]:
    contents = {}
    for number in range(count):
        content = f"Anlage {number}: {SECRET}".encode()
        stored = store_encrypted([content], namespace="tests")
        dossier = Dossier.objects.create(
            reference=f"D-{number}",
            answers={"name": SECRET, "number": number, "amount": decimal.Decimal("12.50")},
            note=f"{SECRET} #{number}",
            attachment_path=stored.path,
            attachment_key=stored.key_header,
        )
        contents[dossier.pk] = content
    Dossier.objects.create(reference="empty", answers=None, note="")
    return contents


def rotate(*args) -> str:
    out = io.StringIO()
    call_command("keys", "rotate", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def assert_readable(contents: dict[int, bytes]) -> None:
    for dossier in Dossier.objects.exclude(reference="empty"):
        number = int(dossier.reference.removeprefix("D-"))
        assert dossier.answers == {"name": SECRET, "number": number, "amount": "12.50"}
        assert dossier.note == f"{SECRET} #{number}"
        content = b"".join(open_decrypted(dossier.attachment_path, dossier.attachment_key))
        assert content == contents[dossier.pk]
    empty = Dossier.objects.get(reference="empty")
    assert empty.answers is None and empty.note == "" and empty.attachment_key is None


def test_rotation_rewraps_everything_and_keeps_data():
    contents = make_dossiers(23)
    before = raw_rows()
    assert key_ids() == {"a"}

    with keys(KEY_B, KEY_A):
        output = rotate("--batch-size", "5")
        assert "cryptotestapp.Dossier: 70 value(s) re-wrapped, 24 row(s) scanned" in output
        assert key_ids() == {"b"}
        assert_readable(contents)

    after = raw_rows()
    for pk, old_row in before.items():
        for old, new in zip(old_row, after[pk], strict=True):
            if old is None:
                assert new is None
                continue
            # Only the key header (66 bytes for a one-letter key id) was replaced.
            assert new[:66] != old[:66] and new[66:] == old[66:]

    with keys(KEY_B):  # the old key is gone
        assert_readable(contents)
        again = rotate()
        assert "cryptotestapp.Dossier: 0 value(s) re-wrapped, 24 row(s) scanned" in again
        assert raw_rows() == after


def test_raw_columns_never_hold_plaintext():
    make_dossiers(3)
    for row in raw_rows().values():
        for value in row:
            if value:
                assert SECRET.encode() not in value
                assert b"Mustermann" not in value and b"name" not in value


def test_rotation_reports_values_under_unknown_keys():
    with keys(KEY_C):
        Dossier.objects.create(reference="lost", answers={"x": 1}, note="n")
    make_dossiers(2)
    err = io.StringIO()
    with keys(KEY_B, KEY_A), pytest.raises(CommandError, match="could not be re-wrapped"):
        call_command("keys", "rotate", stdout=io.StringIO(), stderr=err)
    assert "cannot re-wrap" in err.getvalue()
    lost = Dossier.objects.filter(reference="lost").values_list("pk", flat=True).get()
    rows = raw_rows()
    assert {key_id_of(value) for value in rows.pop(lost) if value} == {"c"}
    assert {key_id_of(value) for row in rows.values() for value in row if value} == {"b"}


def test_status_counts_key_ids():
    make_dossiers(2)
    with keys(KEY_B, KEY_A):
        Dossier.objects.create(reference="new", answers=[1], note="x")
        out = io.StringIO()
        call_command("keys", "status", stdout=out)
    text = out.getvalue()
    assert "Active key: b" in text
    assert "cryptotestapp.Dossier: (empty)=3, a=7, b=2" in text


def test_generate_prints_a_usable_key_line():
    out = io.StringIO()
    call_command("keys", "generate", stdout=out, stderr=io.StringIO())
    key_id, encoded = out.getvalue().strip().split(":", 1)
    assert len(base64.b64decode(encoded, validate=True)) == 32
    with keys((key_id, encoded), KEY_A):
        Dossier.objects.create(reference="r", note="n")
        assert key_ids() == {key_id}
    with pytest.raises(CommandError):
        call_command("keys", "generate", "--id", "a", stdout=io.StringIO())


def test_value_cannot_move_to_another_column():
    Dossier.objects.create(reference="r", answers="text", note="text")
    table = connection.ops.quote_name(Dossier._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET note = answers")  # noqa: S608
    with pytest.raises(DecryptionError):
        Dossier.objects.get(reference="r")


def test_json_values_round_trip():
    value = {"when": datetime.date(2025, 3, 1), "list": [1, 2.5, None, "ä"], "ok": True}
    pk = Dossier.objects.create(reference="r", answers=value).pk
    assert Dossier.objects.get(pk=pk).answers == {
        "when": "2025-03-01",
        "list": [1, 2.5, None, "ä"],
        "ok": True,
    }
    assert Dossier.objects.values_list("answers", flat=True).get(pk=pk)["ok"] is True
    Dossier.objects.filter(pk=pk).update(note="updated")
    assert Dossier.objects.get(pk=pk).note == "updated"


def test_only_isnull_lookups_are_allowed():
    Dossier.objects.create(reference="r", answers={"a": 1}, note="x")
    Dossier.objects.create(reference="s", answers=None, note="y")
    assert Dossier.objects.filter(answers__isnull=True).count() == 1
    assert Dossier.objects.filter(answers=None).count() == 1
    assert Dossier.objects.exclude(answers=None).count() == 1
    for lookup in [
        {"answers": {"a": 1}},
        {"note": "x"},
        {"note__icontains": "x"},
        {"note__in": ["x"]},
        {"answers__a": 1},
        {"note__lower": "x"},
    ]:
        with pytest.raises(FieldError, match="encrypted"):
            list(Dossier.objects.filter(**lookup))


def test_fields_deconstruct_for_migrations():
    answers = Dossier._meta.get_field("answers")
    assert answers.deconstruct() == (
        "answers",
        "kreiswerk.crypto.fields.EncryptedJSONField",
        [],
        {"null": True, "blank": True},
    )
    key = Dossier._meta.get_field("attachment_key")
    assert key.deconstruct()[1] == "kreiswerk.crypto.fields.EncryptionKeyField"
    call_command("makemigrations", "cryptotestapp", "--check", "--dry-run", stdout=io.StringIO())


@isolate_apps("tests.crypto.cryptotestapp")
def test_encrypted_fields_refuse_unique_and_indexes():
    class Unsearchable(models.Model):
        text = EncryptedTextField(unique=True)
        data = EncryptedJSONField(db_index=True)
        fine = EncryptedTextField()

        class Meta:
            app_label = "cryptotestapp"

        def __str__(self) -> str:
            return str(self.pk)

    errors = [(error.obj.name, error.id) for error in Unsearchable.check()]
    assert errors == [("text", "kreiswerk_crypto.E001"), ("data", "kreiswerk_crypto.E001")]
