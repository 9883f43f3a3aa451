"""``kreiswerk keys rotate|status|generate``: manage the key-encryption keys.

Rotation without downtime:

1. ``kreiswerk keys generate`` and put the printed line in FRONT of KREISWERK_KEYS,
   keeping the old keys behind it; deploy to every process (web and workers).
2. ``kreiswerk keys rotate``: re-wraps every data key still under an old KEK.
   The data ciphertext (and every encrypted file) stays as it is. Runs in small
   transactions, may run while the application serves traffic, and may be
   re-run at any time.
3. ``kreiswerk keys status`` until no value is left under the old key, then
   remove the old key from KREISWERK_KEYS.
"""

from __future__ import annotations

import base64
import os
import re
from collections import Counter
from datetime import UTC, datetime

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import models, router, transaction
from django.db.models import ExpressionWrapper, F, Value
from django.db.models.functions import Substr

from kreiswerk.crypto import envelope
from kreiswerk.crypto.fields import EncryptedFieldMixin, EncryptionKeyField

KEY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
EMPTY = "(empty)"
INVALID = "(not an envelope)"


def encrypted_models() -> list[tuple[type[models.Model], list[models.Field]]]:
    """Every concrete model with columns holding envelopes or key headers."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy:
            continue
        fields = [
            field
            for field in model._meta.local_concrete_fields
            if isinstance(field, EncryptedFieldMixin | EncryptionKeyField)
        ]
        if fields:
            found.append((model, fields))
    return found


def _raw(field: models.Field) -> ExpressionWrapper:
    # The column's bytes as stored, bypassing the field's decryption.
    return ExpressionWrapper(F(field.attname), output_field=models.BinaryField())


def _head(field: models.Field) -> Substr:
    # Enough bytes to read the key id without transferring the whole value.
    return Substr(F(field.attname), 1, envelope.MAX_KEY_HEADER_SIZE, output_field=models.BinaryField())


def _key_id(raw) -> str:
    if raw is None or len(raw) == 0:
        return EMPTY
    try:
        return envelope.key_id_of(bytes(raw))
    except envelope.DecryptionError:
        return INVALID


def _batches(model, fields, database, batch_size):
    """Yield lists of (pk, head, head, ...) in primary-key order, one query per batch."""
    heads = {f"_kw_head_{index}": _head(field) for index, field in enumerate(fields)}
    queryset = model._base_manager.using(database).order_by("pk").annotate(**heads)
    last = None
    while True:
        page = queryset if last is None else queryset.filter(pk__gt=last)
        rows = list(page.values_list("pk", *heads)[:batch_size])
        if not rows:
            return
        yield rows
        last = rows[-1][0]


class Command(BaseCommand):
    help = "Manage the key-encryption keys (KREISWERK_KEYS): rotate, status, generate."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        rotate = actions.add_parser("rotate", help="Re-wrap every data key under the active key (the first one).")
        rotate.add_argument("--batch-size", type=int, default=500, dest="batch_size")
        rotate.add_argument("--database", default=None, help="Database alias (default: router).")
        status = actions.add_parser("status", help="Count values per key id and model.")
        status.add_argument("--database", default=None, help="Database alias (default: router).")
        generate = actions.add_parser("generate", help="Print a new id:base64 key line.")
        generate.add_argument("--id", dest="key_id", default=None, help="Key id to use.")

    def handle(self, *args, **options):
        try:
            return self.dispatch(options)
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from None

    def dispatch(self, options):
        action = options["action"]
        if action == "generate":
            return self.generate(options["key_id"])
        if action == "status":
            return self.status(options["database"])
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        return self.rotate(options["database"], options["batch_size"])

    # --- generate ---------------------------------------------------------------------------

    def generate(self, key_id: str | None) -> None:
        if key_id is None:
            key_id = f"k{datetime.now(UTC):%Y%m%d}-{os.urandom(2).hex()}"
        if not KEY_ID.fullmatch(key_id):
            raise CommandError("The key id must match [A-Za-z0-9][A-Za-z0-9._-]{0,63}.")
        configured = {str(entry[0]) for entry in getattr(settings, "KREISWERK_KEYS", ()) or ()}
        if key_id in configured:
            raise CommandError(f"The key id {key_id!r} is already configured.")
        self.stdout.write(f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}")
        self.stderr.write(
            "Put this line in front of KREISWERK_KEYS (comma-separated), keep the old keys, "
            "deploy, then run `kreiswerk keys rotate`."
        )

    # --- status -----------------------------------------------------------------------------

    def status(self, database: str | None) -> None:
        active = envelope.active_key_id()
        configured = envelope.configured_key_ids()
        totals: Counter[str] = Counter()
        self.stdout.write(f"Active key: {active}")
        for model, fields in encrypted_models():
            alias = database or router.db_for_read(model)
            counts: Counter[str] = Counter()
            for rows in _batches(model, fields, alias, 1000):
                for row in rows:
                    counts.update(_key_id(raw) for raw in row[1:])
            totals.update(counts)
            summary = ", ".join(f"{key}={count}" for key, count in sorted(counts.items()))
            self.stdout.write(f"{model._meta.label}: {summary or 'no rows'}")
        stale = sum(n for key, n in totals.items() if key not in (active, EMPTY))
        unused = [key for key in configured[1:] if not totals[key]]
        unknown = sorted(set(totals) - set(configured) - {EMPTY, INVALID})
        self.stdout.write(f"Values not under the active key: {stale}")
        if unused:
            self.stdout.write(f"Old keys no registered column uses: {', '.join(unused)}")
        if unknown or totals[INVALID]:
            self.stdout.write(
                self.style.ERROR(
                    f"Undecryptable: {totals[INVALID]} invalid value(s); unknown key ids: {', '.join(unknown) or '-'}"
                )
            )

    # --- rotate -----------------------------------------------------------------------------

    def rotate(self, database: str | None, batch_size: int) -> None:
        active = envelope.active_key_id()
        self.stdout.write(f"Active key: {active}")
        failed_total = 0
        for model, fields in encrypted_models():
            alias = database or router.db_for_write(model)
            scanned = rewrapped = failed = changed = 0
            for rows in _batches(model, fields, alias, batch_size):
                scanned += len(rows)
                stale = [row[0] for row in rows if any(_key_id(raw) not in (active, EMPTY) for raw in row[1:])]
                if stale:
                    done, bad, moved = self._rewrap_rows(model, fields, alias, stale)
                    rewrapped, failed, changed = rewrapped + done, failed + bad, changed + moved
            failed_total += failed
            line = f"{model._meta.label}: {rewrapped} value(s) re-wrapped, {scanned} row(s) scanned"
            if changed:
                line += f", {changed} row(s) changed meanwhile (re-run to check)"
            if failed:
                line += f", {failed} value(s) FAILED"
            self.stdout.write(self.style.ERROR(line) if failed else line)
        if failed_total:
            raise CommandError(
                f"{failed_total} value(s) could not be re-wrapped (unknown key or corrupt); "
                "keep the old keys configured."
            )

    def _rewrap_rows(self, model, fields, alias, pks) -> tuple[int, int, int]:
        """Re-wrap the stale values of ``pks`` in one transaction, rows locked where supported."""
        raws = {f"_kw_raw_{index}": _raw(field) for index, field in enumerate(fields)}
        manager = model._base_manager.using(alias)
        rewrapped = failed = changed = 0
        with transaction.atomic(using=alias):
            locked = (
                manager.select_for_update().filter(pk__in=pks).order_by("pk").annotate(**raws).values_list("pk", *raws)
            )
            for pk, *values in locked:
                updates, expected = {}, {}
                for index, (field, raw) in enumerate(zip(fields, values, strict=True)):
                    if raw is None or len(raw) == 0:
                        continue
                    raw = bytes(raw)
                    try:
                        new = envelope.rewrap(raw)
                    except envelope.DecryptionError:
                        failed += 1
                        self.stderr.write(
                            f"{model._meta.label} pk={pk} {field.name}: cannot re-wrap (unknown key or corrupt)"
                        )
                        continue
                    if new is not raw:
                        updates[field.attname] = Value(new, output_field=models.BinaryField())
                        expected[f"_kw_raw_{index}"] = raw
                if not updates:
                    continue
                # Compare-and-set: only overwrite the bytes that were read.
                count = (
                    manager.filter(pk=pk)
                    .alias(**{name: raws[name] for name in expected})
                    .filter(**expected)
                    .update(**updates)
                )
                if count:
                    rewrapped += len(updates)
                else:
                    changed += 1
        return rewrapped, failed, changed
