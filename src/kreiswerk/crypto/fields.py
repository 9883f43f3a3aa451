"""Model fields that keep personal data encrypted at rest.

``EncryptedJSONField`` and ``EncryptedTextField`` store an envelope from
``kreiswerk.crypto.envelope.encrypt`` in a binary column (BLOB / bytea). The
associated data is ``"<app_label>.<model_name>.<field_name>"``, so a value copied
into another column does not decrypt; renaming the app label, model or field
therefore needs a data migration that decrypts under the old name and encrypts
under the new one.

The columns cannot be searched: every lookup except ``isnull`` (and ``=None``)
raises FieldError. ``EncryptionKeyField`` holds the key header of a file
encrypted by ``encrypt_stream``. ``kreiswerk keys rotate`` finds all three kinds
of column through the app registry.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core import checks
from django.core.exceptions import FieldError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.lookups import Exact

from . import envelope


def _lookup_error(field: models.Field, lookup_name: str) -> FieldError:
    name = getattr(field, "name", None) or "?"
    return FieldError(
        f"{type(field).__name__} {name!r} is encrypted and cannot be used in the lookup "
        f"{lookup_name!r}; only isnull (or =None) is supported."
    )


class _NullOnlyExact(Exact):
    """``field=None`` turns into ``isnull``; any other value is refused."""

    def __init__(self, lhs, rhs):
        if rhs is not None:
            raise _lookup_error(lhs.output_field, "exact")
        super().__init__(lhs, rhs)


class EncryptedFieldMixin:
    """A column holding an envelope; subclasses convert Python values to bytes and back."""

    _forbidden_options = ("primary_key", "unique", "db_index")

    def get_internal_type(self) -> str:
        return "BinaryField"

    def get_placeholder(self, value, compiler, connection):
        return connection.ops.binary_placeholder_sql(value)

    def associated_data(self) -> bytes:
        meta = self.model._meta
        return f"{meta.app_label}.{meta.model_name}.{self.name}".encode()

    def value_to_bytes(self, value: Any) -> bytes:
        raise NotImplementedError

    def value_from_bytes(self, data: bytes) -> Any:
        raise NotImplementedError

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None:
            return None
        return envelope.encrypt(self.value_to_bytes(value), aad=self.associated_data())

    def get_db_prep_value(self, value, connection, prepared=False):
        if not prepared:
            value = self.get_prep_value(value)
        if value is None:
            return None
        return connection.Database.Binary(value)

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return self.value_from_bytes(envelope.decrypt(bytes(value), aad=self.associated_data()))

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        if lookup_name == "exact":
            return _NullOnlyExact
        raise _lookup_error(self, lookup_name)

    def get_transform(self, lookup_name):
        raise _lookup_error(self, lookup_name)

    def check(self, **kwargs):
        errors = super().check(**kwargs)
        for option in self._forbidden_options:
            if getattr(self, option, False):
                errors.append(
                    checks.Error(
                        f"{type(self).__name__} cannot be {option}: the ciphertext differs on every save.",
                        obj=self,
                        id="kreiswerk_crypto.E001",
                    )
                )
        if self.has_db_default():
            errors.append(
                checks.Error(
                    f"{type(self).__name__} does not support db_default; use default.",
                    obj=self,
                    id="kreiswerk_crypto.E002",
                )
            )
        return errors


class EncryptedTextField(EncryptedFieldMixin, models.Field):
    """A text value, stored encrypted."""

    description = "Text (encrypted)"

    def to_python(self, value):
        if value is None or isinstance(value, str):
            return value
        return str(value)

    def value_to_bytes(self, value: Any) -> bytes:
        return self.to_python(value).encode()

    def value_from_bytes(self, data: bytes) -> str:
        return data.decode()

    def formfield(self, **kwargs):
        return super().formfield(**{"widget": forms.Textarea, **kwargs})


class EncryptedJSONField(EncryptedFieldMixin, models.Field):
    """Any JSON-serialisable value, stored encrypted.

    Python ``None`` is stored as SQL NULL. Values go through DjangoJSONEncoder,
    so Decimal, date and UUID come back as strings (as with Django's JSONField).
    """

    description = "JSON (encrypted)"
    empty_strings_allowed = False

    def value_to_bytes(self, value: Any) -> bytes:
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")).encode()

    def value_from_bytes(self, data: bytes) -> Any:
        return json.loads(data)

    def value_to_string(self, obj):
        return self.value_from_object(obj)

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": forms.JSONField, "encoder": DjangoJSONEncoder, **kwargs})


class EncryptionKeyField(models.BinaryField):
    """The key header of a file encrypted with ``envelope.encrypt_stream``.

    The value stays bytes (the header is useless without a configured KEK);
    ``kreiswerk keys rotate`` re-wraps it in place.
    """

    description = "Key header of an encrypted file"

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value:
            try:
                envelope.key_id_of(value)
            except envelope.DecryptionError:
                raise ValueError(
                    f"{type(self).__name__} {self.name!r} only holds key headers from encrypt_stream."
                ) from None
        return value

    def from_db_value(self, value, expression, connection):
        return None if value is None else bytes(value)
