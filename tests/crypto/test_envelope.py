"""kreiswerk.crypto.envelope and kreiswerk.crypto.files, from the outside."""

import base64
import hashlib
import io
import os
import stat
import tracemalloc

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from kreiswerk.crypto.envelope import (
    SEGMENT_SIZE,
    DecryptionError,
    decrypt,
    decrypt_stream,
    encrypt,
    encrypt_stream,
    key_id_of,
    rewrap,
)
from kreiswerk.crypto.files import delete_stored, open_decrypted, store_encrypted


def new_key(key_id: str) -> tuple[str, str]:
    return (key_id, base64.b64encode(os.urandom(32)).decode())


KEY_A = new_key("a")
KEY_B = new_key("b")
KEY_C = new_key("c")
SEG = SEGMENT_SIZE
HEADER = 16  # stream file header
BLOCK = SEG + 16  # one full ciphertext segment


def keys(*entries):
    return override_settings(KREISWERK_KEYS=list(entries))


@pytest.fixture(autouse=True, scope="module")
def _key_a():
    with keys(KEY_A):
        yield


# --- envelopes ------------------------------------------------------------------------------


@given(plaintext=st.binary(max_size=4096), aad=st.binary(max_size=64))
def test_round_trip(plaintext, aad):
    sealed = encrypt(plaintext, aad=aad)
    assert decrypt(sealed, aad=aad) == plaintext
    assert key_id_of(sealed) == "a"
    if len(plaintext) >= 8:
        assert plaintext not in sealed


def test_every_envelope_has_its_own_key_and_nonce():
    assert encrypt(b"same") != encrypt(b"same")


def test_tampering_with_any_byte_is_detected():
    sealed = encrypt(b"Mustermann, Erika; IBAN DE02120300000000202051", aad=b"t")
    for position in range(len(sealed)):
        for mask in (0x01, 0x80):
            damaged = bytearray(sealed)
            damaged[position] ^= mask
            with pytest.raises(DecryptionError):
                decrypt(bytes(damaged), aad=b"t")


def test_truncated_or_extended_envelope_is_detected():
    sealed = encrypt(b"payload")
    for length in range(len(sealed)):
        with pytest.raises(DecryptionError):
            decrypt(sealed[:length])
    with pytest.raises(DecryptionError):
        decrypt(sealed + b"\x00")


def test_wrong_aad_is_detected():
    sealed = encrypt(b"payload", aad=b"submissions.answer.data")
    with pytest.raises(DecryptionError):
        decrypt(sealed, aad=b"submissions.answer.note")
    with pytest.raises(DecryptionError):
        decrypt(sealed)


def test_unknown_key_id_is_a_decryption_error():
    sealed = encrypt(b"payload")
    with keys(KEY_B), pytest.raises(DecryptionError) as caught:
        decrypt(sealed)
    assert KEY_A[1] not in str(caught.value)
    with keys(KEY_B), pytest.raises(DecryptionError):
        rewrap(sealed)


def test_same_id_but_other_key_is_detected():
    sealed = encrypt(b"payload")
    with keys(("a", KEY_B[1])), pytest.raises(DecryptionError):
        decrypt(sealed)


def test_key_id_of_needs_no_key():
    sealed = encrypt(b"payload")
    with keys(KEY_C):
        assert key_id_of(sealed) == "a"
    with pytest.raises(DecryptionError):
        key_id_of(b"not an envelope")


def test_rewrap_moves_the_data_key_to_the_active_kek():
    sealed = encrypt(b"payload", aad=b"x")
    assert rewrap(sealed) is sealed  # already under the active key
    with keys(KEY_B, KEY_A):
        moved = rewrap(sealed)
        assert key_id_of(moved) == "b"
        assert rewrap(moved) is moved
    # The data part (nonce, ciphertext, tag) is untouched, only the key header changed.
    header_length = 5 + 1 + 12 + 48
    assert moved[header_length:] == sealed[header_length:]
    with keys(KEY_B):
        assert decrypt(moved, aad=b"x") == b"payload"


@pytest.mark.parametrize(
    "configured",
    [
        [],
        [("a", base64.b64encode(os.urandom(16)).decode())],
        [("a", "not base64!")],
        [KEY_A, ("a", KEY_B[1])],
        [("", KEY_A[1])],
        ["a:" + KEY_A[1]],
    ],
)
def test_bad_key_configuration_is_reported(configured):
    with keys(*configured), pytest.raises(ImproperlyConfigured):
        encrypt(b"x")


# --- streams --------------------------------------------------------------------------------


def chunked(data: bytes, sizes=(1, 1000, 70000, 3, 65536)):
    position, index = 0, 0
    while position < len(data):
        size = sizes[index % len(sizes)]
        yield data[position : position + size]
        position += size
        index += 1


def seal_stream(data: bytes, aad: bytes = b"") -> tuple[bytes, bytes]:
    out = io.BytesIO()
    header = encrypt_stream(chunked(data), out, aad=aad)
    return header, out.getvalue()


def open_stream(header: bytes, body: bytes, aad: bytes = b"") -> bytes:
    return b"".join(decrypt_stream(header, io.BytesIO(body), aad=aad))


@pytest.mark.parametrize("size", [0, 1, SEG - 1, SEG, SEG + 1, 2 * SEG, 3 * SEG + 7])
def test_stream_round_trip(size):
    data = os.urandom(size)
    header, body = seal_stream(data, aad=b"file")
    segments = max(1, -(-size // SEG))
    assert len(body) == HEADER + size + 16 * segments
    assert key_id_of(header) == "a"
    assert open_stream(header, body, aad=b"file") == data


@pytest.fixture(scope="module")
def sealed_stream():
    data = os.urandom(3 * SEG + 7)
    header, body = seal_stream(data)
    return data, header, body


def segments_of(body: bytes) -> list[bytes]:
    return [body[start : start + BLOCK] for start in range(HEADER, len(body), BLOCK)]


def test_stream_truncation_is_detected(sealed_stream):
    _, header, body = sealed_stream
    cuts = [0, 5, HEADER, HEADER + 1, HEADER + BLOCK, HEADER + 2 * BLOCK, HEADER + 3 * BLOCK]
    cuts += [HEADER + 3 * BLOCK + 22, len(body) - 1]
    for cut in cuts:
        with pytest.raises(DecryptionError):
            open_stream(header, body[:cut])


def test_stream_reordering_and_dropping_is_detected(sealed_stream):
    _, header, body = sealed_stream
    first, second, third, last = segments_of(body)
    start = body[:HEADER]
    for order in (
        [second, first, third, last],
        [first, third, second, last],
        [first, second, last],
    ):
        with pytest.raises(DecryptionError):
            open_stream(header, start + b"".join(order))


def test_stream_appending_is_detected(sealed_stream):
    _, header, body = sealed_stream
    first, *_ = segments_of(body)
    for extra in (b"\x00", first, body[-23:]):
        with pytest.raises(DecryptionError):
            open_stream(header, body + extra)


def test_stream_tampering_is_detected(sealed_stream):
    _, header, body = sealed_stream
    for position in [0, 3, 4, 7, 8, 15, HEADER, HEADER + BLOCK - 1, len(body) - 1]:
        damaged = bytearray(body)
        damaged[position] ^= 0x01
        with pytest.raises(DecryptionError):
            open_stream(header, bytes(damaged))


def test_stream_wrong_aad_or_header_is_detected(sealed_stream):
    data, header, body = sealed_stream
    other_header, _ = seal_stream(data)
    with pytest.raises(DecryptionError):
        open_stream(header, body, aad=b"other")
    with pytest.raises(DecryptionError):
        open_stream(other_header, body)
    with keys(KEY_B), pytest.raises(DecryptionError):
        open_stream(header, body)


def test_stream_key_header_can_be_rewrapped(sealed_stream):
    data, header, body = sealed_stream
    with keys(KEY_B, KEY_A):
        moved = rewrap(header)
    assert key_id_of(moved) == "b" and len(moved) == len(header)
    with keys(KEY_B):
        assert open_stream(moved, body) == data


@given(st.binary(max_size=600), st.lists(st.integers(1, 300), min_size=1, max_size=8))
@settings(max_examples=50)
def test_stream_round_trip_small_segments(data, sizes):
    out = io.BytesIO()
    header = encrypt_stream(chunked(data, sizes), out, segment_size=64)
    assert b"".join(decrypt_stream(header, io.BytesIO(out.getvalue()))) == data


class Sink(io.RawIOBase):
    def __init__(self):
        self.written = 0

    def writable(self):
        return True

    def write(self, data):
        self.written += len(data)
        return len(data)


def test_streaming_50_mb_keeps_memory_flat(tmp_path):
    block = os.urandom(SEG)
    count = 50 * 1024 * 1024 // SEG

    def generate():
        for _ in range(count):
            yield block

    sink = Sink()
    tracemalloc.start()
    try:
        encrypt_stream(generate(), sink)
        _, encrypt_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sink.written > 50 * 1024 * 1024
    assert encrypt_peak < 2 * 1024 * 1024

    path = tmp_path / "big.kwe"
    with path.open("wb") as handle:
        header = encrypt_stream(generate(), handle)
    expected = hashlib.sha256()
    for _ in range(count):
        expected.update(block)
    digest = hashlib.sha256()
    tracemalloc.start()
    try:
        with path.open("rb") as handle:
            for segment in decrypt_stream(header, handle):
                digest.update(segment)
        _, decrypt_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert digest.digest() == expected.digest()
    assert decrypt_peak < 2 * 1024 * 1024


# --- files ----------------------------------------------------------------------------------


@pytest.fixture
def files_dir(tmp_path):
    root = tmp_path / "files"
    with override_settings(KREISWERK_FILES_DIR=root):
        yield root


def test_store_and_open_encrypted_file(files_dir):
    data = os.urandom(2 * SEG + 5)
    stored = store_encrypted(chunked(data), namespace="uploads")
    assert stored.size == len(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.path.startswith("uploads/") and not os.path.isabs(stored.path)
    on_disk = files_dir / stored.path
    assert stat.S_IMODE(on_disk.stat().st_mode) == 0o600
    for directory in (files_dir, on_disk.parent, on_disk.parent.parent):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert data[:64] not in on_disk.read_bytes()
    with open_decrypted(stored.path, stored.key_header) as plaintext:
        assert b"".join(plaintext) == data
    delete_stored(stored.path)
    assert not on_disk.exists()
    delete_stored(stored.path)  # already gone: fine


def test_failed_store_leaves_no_file(files_dir):
    def broken():
        yield os.urandom(3 * SEG)
        raise OSError("client went away")

    with pytest.raises(OSError, match="client went away"):
        store_encrypted(broken(), namespace="uploads")
    assert [path for path in files_dir.rglob("*") if path.is_file()] == []


def test_stored_file_needs_its_key_and_a_clean_path(files_dir):
    first = store_encrypted([b"first"], namespace="uploads")
    second = store_encrypted([b"second"], namespace="uploads")
    with pytest.raises(DecryptionError):
        open_decrypted(first.path, second.key_header)
    for bad in ("../etc/passwd", "/etc/passwd", "uploads/../../x", first.path + "/.."):
        with pytest.raises(ValueError):
            open_decrypted(bad, first.key_header)
    with pytest.raises(ValueError):
        store_encrypted([b"x"], namespace="../up")


def test_stored_file_truncation_is_detected(files_dir):
    stored = store_encrypted([os.urandom(2 * SEG)], namespace="uploads")
    on_disk = files_dir / stored.path
    on_disk.write_bytes(on_disk.read_bytes()[: HEADER + BLOCK])
    with pytest.raises(DecryptionError), open_decrypted(stored.path, stored.key_header) as plain:
        list(plain)
