"""Envelope encryption of personal data at rest.

Every value gets its own random 256-bit data key (DEK). The data is encrypted
with AES-256-GCM under the DEK; the DEK is wrapped with a key-encryption key
(KEK) from ``settings.KREISWERK_KEYS`` (the first entry is the active one).
Rotating a KEK therefore only re-wraps 48 bytes per value: the data ciphertext
never changes (see ``rewrap`` and ``kreiswerk keys rotate``).

Binary formats (all integers big-endian, version 1)::

    key header   "KW" | 0x01 version | type | n (1 byte) | key id (n bytes, UTF-8)
                 | wrap nonce (12) | AES-GCM(KEK, DEK, aad=all bytes before the nonce) (48)
    envelope     key header (type 0x01) | data nonce (12)
                 | AES-GCM(DEK, plaintext, aad="KW" 0x01 0x01 + caller aad)
    stream key   key header alone (type 0x02), stored in the database
    stream file  "KW" | 0x01 | 0x03 | segment size (4) | nonce prefix (8)
                 then segments: AES-GCM(DEK, nonce = prefix | counter (4),
                 aad = the 16-byte file header | final flag (0x00/0x01) | caller aad),
                 every segment but the last holds exactly ``segment size`` plaintext bytes.

The key id and type are authenticated by the KEK wrap; the counter in the nonce
and the final flag in the associated data detect reordered, dropped, truncated
and appended segments (the STREAM construction of Hoang, Reyhanitabar, Rogaway
and Vizár).
"""

from __future__ import annotations

import base64
import binascii
import functools
import os
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = [
    "SEGMENT_SIZE",
    "DecryptionError",
    "active_key_id",
    "configured_key_ids",
    "decrypt",
    "decrypt_stream",
    "encrypt",
    "encrypt_stream",
    "key_id_of",
    "rewrap",
]

MAGIC = b"KW"
VERSION = 1
TYPE_ENVELOPE = 0x01
TYPE_KEY_HEADER = 0x02
TYPE_STREAM = 0x03

KEY_SIZE = 32
NONCE_SIZE = 12
TAG_SIZE = 16
WRAPPED_DEK_SIZE = KEY_SIZE + TAG_SIZE
MAX_KEY_ID_BYTES = 255
#: Longest possible key header; a prefix of this many bytes always holds one.
MAX_KEY_HEADER_SIZE = 5 + MAX_KEY_ID_BYTES + NONCE_SIZE + WRAPPED_DEK_SIZE

SEGMENT_SIZE = 64 * 1024
_MIN_SEGMENT_SIZE = 16
_MAX_SEGMENT_SIZE = 16 * 1024 * 1024
_STREAM_PREFIX_SIZE = 8
_STREAM_HEADER = struct.Struct(">2sBBI8s")  # magic, version, type, segment size, nonce prefix
_MAX_SEGMENTS = 2**32

_ENVELOPE_DATA_AAD = MAGIC + bytes([VERSION, TYPE_ENVELOPE])


class DecryptionError(Exception):
    """The data cannot be decrypted: corrupt, tampered with, or its key is not configured."""


_MALFORMED = "The encrypted data is malformed."
_FAILED = "The encrypted data could not be authenticated (wrong key or tampered)."
_UNKNOWN_KEY = "The encrypted data refers to a key that is not configured."
_VERSION = "The encrypted data uses an unsupported format version."


# --- keys -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Keyring:
    active_id: str
    keys: dict[str, AESGCM]


def _keyring() -> _Keyring:
    configured = getattr(settings, "KREISWERK_KEYS", None)
    try:
        return _parse_keyring(tuple(tuple(entry) for entry in configured))
    except TypeError:  # not iterable, or entries that are not hashable strings
        raise ImproperlyConfigured("KREISWERK_KEYS must be a list of (key_id, base64_key) pairs of strings.") from None


@functools.lru_cache(maxsize=16)
def _parse_keyring(entries: tuple[tuple, ...]) -> _Keyring:
    if not entries:
        raise ImproperlyConfigured("KREISWERK_KEYS is empty: configure at least one key.")
    keys: dict[str, AESGCM] = {}
    for position, entry in enumerate(entries, start=1):
        if len(entry) != 2 or not all(isinstance(part, str) for part in entry):
            raise ImproperlyConfigured(
                f"KREISWERK_KEYS entry {position} must be a (key_id, base64_key) pair of strings."
            )
        key_id, encoded = entry
        if not 1 <= len(key_id.encode()) <= MAX_KEY_ID_BYTES:
            raise ImproperlyConfigured(
                f"KREISWERK_KEYS entry {position}: the key id must be 1 to {MAX_KEY_ID_BYTES} bytes long."
            )
        if key_id in keys:
            raise ImproperlyConfigured(f"KREISWERK_KEYS: key id {key_id!r} appears twice.")
        try:
            raw = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise ImproperlyConfigured(f"KREISWERK_KEYS: key {key_id!r} is not valid base64.") from None
        if len(raw) != KEY_SIZE:
            raise ImproperlyConfigured(
                f"KREISWERK_KEYS: key {key_id!r} must decode to exactly {KEY_SIZE} bytes "
                f"(got {len(raw)}); create one with `kreiswerk keys generate`."
            )
        keys[key_id] = AESGCM(raw)
    return _Keyring(active_id=entries[0][0], keys=keys)


def active_key_id() -> str:
    """The id of the KEK that wraps new data (the first entry of KREISWERK_KEYS)."""
    return _keyring().active_id


def configured_key_ids() -> list[str]:
    """All configured KEK ids, active first."""
    return list(_keyring().keys)


# --- key headers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _KeyHeader:
    kind: int
    key_id: str
    prefix: bytes  # magic .. key id: the associated data of the wrap
    nonce: bytes
    wrapped: bytes
    end: int  # offset of the first byte after the key header


def _parse_prefix(data: bytes, kinds: tuple[int, ...]) -> tuple[int, str, int]:
    if len(data) < 5 or data[:2] != MAGIC:
        raise DecryptionError(_MALFORMED)
    if data[2] != VERSION:
        raise DecryptionError(_VERSION)
    kind, length = data[3], data[4]
    if kind not in kinds or length == 0 or len(data) < 5 + length:
        raise DecryptionError(_MALFORMED)
    try:
        key_id = data[5 : 5 + length].decode()
    except UnicodeDecodeError:
        raise DecryptionError(_MALFORMED) from None
    return kind, key_id, 5 + length


def _parse_key_header(data: bytes, kinds: tuple[int, ...]) -> _KeyHeader:
    kind, key_id, offset = _parse_prefix(data, kinds)
    end = offset + NONCE_SIZE + WRAPPED_DEK_SIZE
    if kind == TYPE_KEY_HEADER and len(data) != end:
        raise DecryptionError(_MALFORMED)
    if kind == TYPE_ENVELOPE and len(data) < end + NONCE_SIZE + TAG_SIZE:
        raise DecryptionError(_MALFORMED)
    return _KeyHeader(
        kind=kind,
        key_id=key_id,
        prefix=data[:offset],
        nonce=data[offset : offset + NONCE_SIZE],
        wrapped=data[offset + NONCE_SIZE : end],
        end=end,
    )


def _wrap(keyring: _Keyring, kind: int, dek: bytes) -> bytes:
    # AES-GCM, not RFC 3394 key wrap: binds version, type and key id as AAD (<2**32 wraps per KEK).
    key_id = keyring.active_id.encode()
    prefix = MAGIC + bytes([VERSION, kind, len(key_id)]) + key_id
    nonce = os.urandom(NONCE_SIZE)
    return prefix + nonce + keyring.keys[keyring.active_id].encrypt(nonce, dek, prefix)


def _unwrap(header: _KeyHeader, keyring: _Keyring) -> bytes:
    kek = keyring.keys.get(header.key_id)
    if kek is None:
        raise DecryptionError(_UNKNOWN_KEY)
    try:
        dek = kek.decrypt(header.nonce, header.wrapped, header.prefix)
    except InvalidTag:
        raise DecryptionError(_FAILED) from None
    if len(dek) != KEY_SIZE:
        raise DecryptionError(_MALFORMED)
    return dek


def key_id_of(envelope_or_header: bytes) -> str:
    """The id of the KEK that wraps this envelope or key header, without decrypting.

    Only the bytes up to the key id are needed, so a prefix of at most
    ``MAX_KEY_HEADER_SIZE`` bytes is enough. Raises DecryptionError for anything
    that is not a kreiswerk envelope or key header.
    """
    return _parse_prefix(bytes(envelope_or_header), (TYPE_ENVELOPE, TYPE_KEY_HEADER))[1]


def rewrap(envelope_or_header: bytes) -> bytes:
    """Re-wrap the DEK under the active KEK; the data ciphertext is kept byte for byte.

    Returns the input unchanged if it is already wrapped by the active KEK.
    """
    data = bytes(envelope_or_header)
    header = _parse_key_header(data, (TYPE_ENVELOPE, TYPE_KEY_HEADER))
    keyring = _keyring()
    if header.key_id == keyring.active_id:
        return envelope_or_header if isinstance(envelope_or_header, bytes) else data
    dek = _unwrap(header, keyring)
    return _wrap(keyring, header.kind, dek) + data[header.end :]


# --- values -----------------------------------------------------------------------------------


def encrypt(plaintext: bytes, *, aad: bytes = b"") -> bytes:
    """Encrypt ``plaintext`` into a self-contained envelope bound to ``aad``."""
    keyring = _keyring()
    dek = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(NONCE_SIZE)
    sealed = AESGCM(dek).encrypt(nonce, plaintext, _ENVELOPE_DATA_AAD + aad)
    return _wrap(keyring, TYPE_ENVELOPE, dek) + nonce + sealed


def decrypt(envelope: bytes, *, aad: bytes = b"") -> bytes:
    """Decrypt an envelope from ``encrypt``; raises DecryptionError on any problem."""
    data = bytes(envelope)
    header = _parse_key_header(data, (TYPE_ENVELOPE,))
    dek = _unwrap(header, _keyring())
    nonce = data[header.end : header.end + NONCE_SIZE]
    try:
        return AESGCM(dek).decrypt(nonce, data[header.end + NONCE_SIZE :], _ENVELOPE_DATA_AAD + aad)
    except InvalidTag:
        raise DecryptionError(_FAILED) from None


# --- streams ----------------------------------------------------------------------------------


def _segment_aad(stream_header: bytes, final: bool, aad: bytes) -> bytes:
    return stream_header + (b"\x01" if final else b"\x00") + aad


def encrypt_stream(
    chunks: Iterable[bytes],
    dst: BinaryIO,
    *,
    aad: bytes = b"",
    segment_size: int = SEGMENT_SIZE,
) -> bytes:
    """Encrypt ``chunks`` into ``dst`` segment by segment; returns the key header to store.

    Memory use is bounded by the segment size plus the largest chunk.
    """
    if not _MIN_SEGMENT_SIZE <= segment_size <= _MAX_SEGMENT_SIZE:
        raise ValueError("segment_size out of range")
    keyring = _keyring()
    dek = AESGCM.generate_key(bit_length=256)
    aead = AESGCM(dek)
    prefix = os.urandom(_STREAM_PREFIX_SIZE)
    stream_header = _STREAM_HEADER.pack(MAGIC, VERSION, TYPE_STREAM, segment_size, prefix)
    dst.write(stream_header)

    counter = 0

    def seal(segment: bytes | bytearray, final: bool) -> bytes:
        if counter >= _MAX_SEGMENTS:
            raise ValueError("stream too long for this segment size")
        nonce = prefix + counter.to_bytes(4, "big")
        return aead.encrypt(nonce, segment, _segment_aad(stream_header, final, aad))

    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        # Keep at least one byte back: the last segment must carry the final flag.
        while len(buffer) > segment_size:
            dst.write(seal(buffer[:segment_size], final=False))
            del buffer[:segment_size]
            counter += 1
    dst.write(seal(bytes(buffer), final=True))
    return _wrap(keyring, TYPE_KEY_HEADER, dek)


def _read_exact(src: BinaryIO, size: int) -> bytes:
    parts = []
    remaining = size
    while remaining:
        part = src.read(remaining)
        if not part:
            break
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)


def decrypt_stream(header: bytes, src: BinaryIO, *, aad: bytes = b"") -> Iterator[bytes]:
    """Decrypt a stream written by ``encrypt_stream``, yielding one segment at a time.

    The key, the stream header and the first segment are checked at once, so
    callers can fail before they start to answer. Every segment is authenticated
    before it is yielded; a stream that was truncated, reordered or extended
    further on raises DecryptionError when the damage is reached. Consumers must
    treat that as fatal and discard what they received so far.
    """
    key_header = _parse_key_header(bytes(header), (TYPE_KEY_HEADER,))
    aead = AESGCM(_unwrap(key_header, _keyring()))
    stream_header = _read_exact(src, _STREAM_HEADER.size)
    if len(stream_header) != _STREAM_HEADER.size:
        raise DecryptionError(_MALFORMED)
    magic, version, kind, segment_size, prefix = _STREAM_HEADER.unpack(stream_header)
    if magic != MAGIC or kind != TYPE_STREAM:
        raise DecryptionError(_MALFORMED)
    if version != VERSION:
        raise DecryptionError(_VERSION)
    if not _MIN_SEGMENT_SIZE <= segment_size <= _MAX_SEGMENT_SIZE:
        raise DecryptionError(_MALFORMED)
    segments = _open_segments(aead, src, stream_header, segment_size, prefix, aad)
    return _starting_with(next(segments), segments)


def _starting_with(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def _open_segments(
    aead: AESGCM,
    src: BinaryIO,
    stream_header: bytes,
    segment_size: int,
    prefix: bytes,
    aad: bytes,
) -> Iterator[bytes]:
    block = segment_size + TAG_SIZE
    current = _read_exact(src, block)
    counter = 0
    while True:
        if len(current) < block:
            final, following = True, b""  # a short read means end of file
        else:
            following = _read_exact(src, block)
            final = not following
        if len(current) < TAG_SIZE or counter >= _MAX_SEGMENTS:
            raise DecryptionError(_MALFORMED)
        nonce = prefix + counter.to_bytes(4, "big")
        try:
            plaintext = aead.decrypt(nonce, current, _segment_aad(stream_header, final, aad))
        except InvalidTag:
            raise DecryptionError(_FAILED) from None
        yield plaintext
        if final:
            return
        current = following
        counter += 1
