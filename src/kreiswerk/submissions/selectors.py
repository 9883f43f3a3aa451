"""Which submissions a staff member may see, and the filtered list of the inbox.

Visibility is decided in one place: ``submissions_visible_to``. Every view and
the export job start from it, so a submission of another unit is simply not
found (a 404, which does not reveal that it exists).
"""

import datetime

from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from kreiswerk.assistants.models import Assistant
from kreiswerk.tenancy.models import OrganisationalUnit, Role
from kreiswerk.tenancy.permissions import units_for

from .models import Export, Submission


def submissions_visible_to(user) -> QuerySet[Submission]:
    """Submissions received by a unit in which ``user`` acts as caseworker (or administrator).

    An application still waiting for its fee, or expired unpaid, has not arrived yet: it
    shows up once it is paid, here and in the API, as it does in the E-Akte.
    """
    return Submission.objects.filter(
        unit__in=units_for(user, Role.CASEWORKER), awaiting_payment_since__isnull=True, payment_expired_at__isnull=True
    )


def caseworker_units(user) -> QuerySet[OrganisationalUnit]:
    return units_for(user, Role.CASEWORKER).order_by("path")


def assistants_with_submissions(user) -> QuerySet[Assistant]:
    """Assistants of which ``user`` can see at least one submission (for the filter)."""
    visible = submissions_visible_to(user).filter(assistant=OuterRef("pk"))
    return Assistant.objects.filter(Exists(visible)).order_by("title")


def day_start(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of ``day`` in the configured time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def submission_list(
    *,
    user,
    assistant_id=None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    include_tests: bool = False,
    unit_id=None,
) -> QuerySet[Submission]:
    """The inbox of ``user``, newest first; ``date_from`` and ``date_to`` are inclusive days.

    Filtering by a range of ``submitted_at`` (not by its date) keeps the list index usable.
    """
    qs = submissions_visible_to(user)
    if assistant_id is not None:
        qs = qs.filter(assistant_id=assistant_id)
    if unit_id is not None:
        qs = qs.filter(unit_id=unit_id)
    if date_from is not None:
        qs = qs.filter(submitted_at__gte=day_start(date_from))
    if date_to is not None:
        qs = qs.filter(submitted_at__lt=day_start(date_to + datetime.timedelta(days=1)))
    if not include_tests:
        qs = qs.filter(is_test=False)
    return qs.order_by("-submitted_at", "-pk")


def submission_table(qs: QuerySet[Submission]) -> QuerySet[Submission]:
    """The columns of the inbox table, without decrypting any payload."""
    return qs.select_related("assistant", "unit").defer("payload").annotate(version_number=F("version__number"))


def exports_of(user) -> QuerySet[Export]:
    """Exports ``user`` requested; nobody else may see or download them."""
    if not user.is_authenticated:
        return Export.objects.none()
    return Export.objects.filter(requested_by=user).select_related("assistant")
