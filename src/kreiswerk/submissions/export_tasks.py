"""Exports as background jobs: request, build, keep for seven days, purge.

The job chooses the rows when it runs, through the requester's permissions at
that moment (``submission_list``), so a role withdrawn in between also
withdraws the data. The spreadsheet is written in a private temporary
directory, encrypted into the files directory and the plaintext removed.
"""

from __future__ import annotations

import datetime
import logging
import tempfile
from pathlib import Path

from django.utils import timezone

from kreiswerk.crypto.files import delete_stored, store_encrypted
from kreiswerk.jobs import enqueue_on_commit, retrying_task

from .export import ascii_filename, build_export, file_chunks
from .models import Export
from .selectors import submission_list

logger = logging.getLogger(__name__)

EXPORT_NAMESPACE = "exports"
EXPORT_RETENTION = datetime.timedelta(days=7)
# An export still unfinished after this long is shown as failed (the worker died).
EXPORT_STALE_AFTER = datetime.timedelta(hours=1)
MAX_OPEN_EXPORTS_PER_USER = 3


def export_request(
    *,
    user,
    assistant,
    fmt: str,
    unit=None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    include_tests: bool = False,
) -> Export:
    """Record an export and start building it once the transaction commits."""
    export = Export.objects.create(
        requested_by=user,
        assistant=assistant,
        unit=unit,
        format=fmt,
        filters={
            "date_from": date_from.isoformat() if date_from else None,
            "date_to": date_to.isoformat() if date_to else None,
            "include_tests": bool(include_tests),
        },
    )
    enqueue_on_commit(export_build, export_id=str(export.pk))
    return export


def open_exports_count(user) -> int:
    cutoff = timezone.now() - EXPORT_STALE_AFTER
    return Export.objects.filter(
        requested_by=user,
        status__in=[Export.Status.PENDING, Export.Status.RUNNING],
        created_at__gte=cutoff,
    ).count()


def _date(value) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


@retrying_task(max_attempts=3, base_delay_seconds=30)
def export_build(*, export_id: str) -> None:
    """Build the file of export ``export_id``; a finished or purged export is left alone."""
    export = Export.objects.select_related("assistant", "requested_by").filter(pk=export_id).first()
    if export is None or export.status == Export.Status.DONE:
        return
    Export.objects.filter(pk=export.pk).update(status=Export.Status.RUNNING)
    stored = None
    try:
        user = export.requested_by
        filters = export.filters or {}
        submissions = submission_list(
            user=user,
            assistant_id=export.assistant_id,
            unit_id=export.unit_id,
            date_from=_date(filters.get("date_from")),
            date_to=_date(filters.get("date_to")),
            include_tests=bool(filters.get("include_tests")),
        )
        if not user.is_active:
            submissions = submissions.none()
        with tempfile.TemporaryDirectory(prefix="kreiswerk-export-") as directory:
            result = build_export(
                submissions=submissions,
                assistant=export.assistant,
                fmt=export.format,
                directory=Path(directory),
            )
            stored = store_encrypted(file_chunks(result.path), namespace=EXPORT_NAMESPACE)
        stamp = timezone.localtime(export.created_at).strftime("%Y%m%d-%H%M")
        filename = ascii_filename(f"antraege-{export.assistant.slug}-{stamp}.{result.extension}", default="export")
        updated = Export.objects.filter(pk=export.pk).update(
            status=Export.Status.DONE,
            finished_at=timezone.now(),
            row_count=result.row_count,
            filename=filename,
            path=stored.path,
            key=stored.key_header,
        )
        if not updated:  # purged while it was being built
            delete_stored(stored.path)
        logger.info("export %s built: %s rows", export.pk, result.row_count)
    except Exception:
        if stored is not None:
            delete_stored(stored.path)
        Export.objects.filter(pk=export.pk).update(status=Export.Status.FAILED, finished_at=timezone.now())
        logger.exception("export %s failed", export.pk)
        raise


def export_is_stale(export: Export, now: datetime.datetime | None = None) -> bool:
    now = now or timezone.now()
    return export.in_progress and export.created_at < now - EXPORT_STALE_AFTER


def export_is_expired(export: Export, now: datetime.datetime | None = None) -> bool:
    now = now or timezone.now()
    return export.created_at < now - EXPORT_RETENTION


def exports_purge(*, now: datetime.datetime | None = None, retention=EXPORT_RETENTION) -> int:
    """Delete exports (file first, then the row) requested before ``now - retention``."""
    cutoff = (now or timezone.now()) - retention
    count = 0
    for export in Export.objects.filter(created_at__lt=cutoff).only("pk", "path").iterator():
        if export.path:
            delete_stored(export.path)
        export.delete()
        count += 1
    return count
