"""Reads of the Aussonderung: who sees which reviews, packages and deletion records.

The Aussonderung belongs to the role Aktenverwaltung/Archiv (and Administration, which
includes every role) of the case's unit or a unit above it, through the one permission
check in ``tenancy.permissions``. Downloading an Akte's package reads case content, so it
goes through ``cases.selectors.cases_visible_to`` instead: every case of the Akte must be
visible to the user.
"""

from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from kreiswerk.cases.models import Akte, Case
from kreiswerk.cases.selectors import cases_visible_to
from kreiswerk.tenancy.models import OrganisationalUnit, Role
from kreiswerk.tenancy.permissions import units_for

from .models import Decision, DeletionRecord, DisposalReview, HandOver


def archive_units(user) -> QuerySet[OrganisationalUnit]:
    return units_for(user, Role.ARCHIVE)


def disposal_reviews_visible_to(user) -> QuerySet[DisposalReview]:
    return DisposalReview.objects.filter(unit__in=archive_units(user))


def handovers_visible_to(user) -> QuerySet[HandOver]:
    return HandOver.objects.filter(unit__in=archive_units(user))


def deletion_records_visible_to(user) -> QuerySet[DeletionRecord]:
    return DeletionRecord.objects.filter(unit__in=archive_units(user))


def disposal_review_list(user, *, state: str = "") -> QuerySet[DisposalReview]:
    """Reviews of the user's units; without ``state`` the ones not yet completed."""
    reviews = disposal_reviews_visible_to(user).select_related("unit", "handover", "decided_by")
    if state:
        return reviews.filter(state=state)
    return reviews.exclude(state=DisposalReview.State.COMPLETED)


def cases_expired(*, today: datetime.date | None = None) -> QuerySet[Case]:
    """Closed cases whose retention ran out (the last day of keeping lies before today), not yet listed."""
    today = today or timezone.localdate()
    return Case.objects.filter(is_open=False, retention_until__lt=today, disposal_review__isnull=True)


def akte_cases_all_visible(user, akte: Akte) -> bool:
    """Whether ``user`` may see every case of ``akte`` (and there is at least one)."""
    total = Case.objects.filter(akte=akte).count()
    return total > 0 and cases_visible_to(user).filter(akte=akte).count() == total


def akte_handover_blockers(akte: Akte) -> list[Case]:
    """Cases of ``akte`` that keep it from being handed over: not decided 'keep' (or still open)."""
    return [
        case
        for case in Case.objects.filter(akte=akte).select_related("disposal_review").order_by("received_at")
        if not _kept(case)
    ]


def _kept(case: Case) -> bool:
    review = getattr(case, "disposal_review", None)
    return (
        review is not None
        and review.decision == Decision.KEEP
        and review.state in {DisposalReview.State.DECIDED, DisposalReview.State.HANDED_OVER}
    )
