"""Encrypted files under ``settings.KREISWERK_FILES_DIR``.

A stored file is ``<namespace>/<2 hex>/<32 hex>.kwe`` relative to the files
directory: the name is random and never contains user input. The database keeps
the path and the key header; the file alone cannot be decrypted.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import tempfile
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from .envelope import decrypt_stream, encrypt_stream

__all__ = ["StoredFile", "delete_stored", "open_decrypted", "store_encrypted"]

_NAMESPACE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_PATH = re.compile(r"(?P<namespace>[a-z0-9][a-z0-9_-]{0,63})/[0-9a-f]{2}/[0-9a-f]{32}\.kwe")
DIR_MODE = 0o700
FILE_MODE = 0o600


@dataclass(frozen=True)
class StoredFile:
    path: str  # relative to KREISWERK_FILES_DIR
    key_header: bytes  # store next to the path (EncryptionKeyField)
    size: int  # plaintext bytes
    sha256: str  # hex digest of the plaintext


def _root() -> Path:
    return Path(settings.KREISWERK_FILES_DIR)


def _absolute(path: str) -> Path:
    if not isinstance(path, str) or not _PATH.fullmatch(path):
        raise ValueError("Not a path of an encrypted file.")
    return _root() / path


def _make_dirs(directory: Path) -> None:
    missing = []
    while not directory.is_dir():
        missing.append(directory)
        directory = directory.parent
    for new in reversed(missing):
        try:
            new.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(new, DIR_MODE)  # mkdir's mode is subject to the umask
        _fsync_dir(new.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def store_encrypted(chunks: Iterable[bytes], *, namespace: str) -> StoredFile:
    """Encrypt ``chunks`` into a new file; the final name appears only once it is complete."""
    if not _NAMESPACE.fullmatch(namespace):
        raise ValueError("namespace must match [a-z0-9][a-z0-9_-]{0,63}")
    name = secrets.token_hex(16)
    relative = f"{namespace}/{name[:2]}/{name}.kwe"
    final = _root() / relative
    _make_dirs(final.parent)

    digest = hashlib.sha256()
    size = 0

    def counted() -> Iterator[bytes]:
        nonlocal size
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            yield chunk

    fd, temporary = tempfile.mkstemp(dir=final.parent, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), FILE_MODE)
            key_header = encrypt_stream(counted(), handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_dir(final.parent)
    return StoredFile(path=relative, key_header=key_header, size=size, sha256=digest.hexdigest())


class _DecryptedFile(Iterator[bytes]):
    """The plaintext in segments; closes the file when exhausted or on ``close()``.

    Django's StreamingHttpResponse/FileResponse call ``close()`` when done.
    """

    def __init__(self, handle, segments: Generator[bytes, None, None]):
        self._handle = handle
        self._segments = segments

    def __next__(self) -> bytes:
        try:
            return next(self._segments)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        try:
            self._segments.close()
        finally:
            self._handle.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def open_decrypted(path: str, key_header: bytes) -> Iterator[bytes]:
    """Decrypt a stored file lazily.

    The key, the file header and the first segment are checked before this returns
    (FileNotFoundError, DecryptionError); later segments raise DecryptionError if the
    file was damaged.
    """
    handle = open(_absolute(path), "rb")  # noqa: SIM115 - closed by _DecryptedFile
    try:
        segments = decrypt_stream(key_header, handle)
    except BaseException:
        handle.close()
        raise
    return _DecryptedFile(handle, segments)


def delete_stored(path: str) -> None:
    """Remove a stored file; a file that is already gone is not an error."""
    with contextlib.suppress(FileNotFoundError):
        _absolute(path).unlink()
