"""Reads of the E-Akte: which cases a staff member may see, the inbox and the search.

Visibility is decided in one place, ``cases_visible_to``: every view, download and
export starts from it, so a case of another unit is simply not found (404).
The inbox pages by key (the last row's sort value and id), not by offset, so
page 1,000 costs what page 1 costs, even with millions of cases.
"""

from __future__ import annotations

import base64
import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from kreiswerk.crypto import blind_index
from kreiswerk.tenancy.models import OrganisationalUnit, Role
from kreiswerk.tenancy.permissions import unit_list_for

from .models import Case, CaseType, Decision, Party, SearchToken

PAGE_SIZE = 25
# What a list shows of a person: every column of auth_user costs compiling, fetching and converting.
NAME_FIELDS = ("first_name", "last_name", "username")

# Sort name → (field, descending)
SORTS = {
    "frist": ("due_sort", False),
    "eingang": ("received_at", True),
    "eingang_alt": ("received_at", False),
    "az": ("reference", False),
}
DUE_FILTERS = ("ueberfaellig", "7tage", "ohne")
SORTS_FIELDS = sorted({field for field, _descending in SORTS.values()})


def cases_visible_to(user) -> QuerySet[Case]:
    """Cases of the units in which ``user`` acts as caseworker (or administrator), subtrees included.

    The unit ids go in as a list, not a subquery: PostgreSQL then reads the inbox
    indexes in sort order for those units and stops after one page.
    """
    return Case.objects.filter(unit_id__in=visible_unit_ids(user))


def visible_unit_ids(user) -> list[int]:
    """The units ``cases_visible_to`` admits, for a query that reaches cases through a join."""
    return [unit.pk for unit in caseworker_units(user)]


def caseworker_units(user) -> list[OrganisationalUnit]:
    """The units of ``cases_visible_to``, ordered by path; read once per request."""
    return unit_list_for(user, Role.CASEWORKER)


def case_types_visible_to(user) -> QuerySet[CaseType]:
    return CaseType.objects.filter(unit_id__in=visible_unit_ids(user)).order_by("title")


@dataclass(frozen=True)
class InboxFilter:
    unit: OrganisationalUnit | None = None  # with its subtree
    mine: bool = False
    case_type: CaseType | None = None
    status: str = ""
    due: str = ""  # one of DUE_FILTERS
    unassigned: bool = False
    closed: bool = False
    query: str = ""
    received_from: datetime.date | None = None
    received_to: datetime.date | None = None
    sort: str = "frist"


@dataclass(frozen=True)
class InboxPage:
    cases: list[Case]
    next_cursor: str | None


def cursor_encode(value, pk) -> str:
    if isinstance(value, datetime.datetime):
        text = "t" + value.isoformat()
    elif isinstance(value, datetime.date):
        text = "d" + value.isoformat()
    else:
        text = "s" + str(value)
    return base64.urlsafe_b64encode(f"{text}|{pk}".encode()).decode().rstrip("=")


def cursor_decode(cursor: str):
    """The (value, id) of a cursor, or None for anything that is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        text, pk = raw.rsplit("|", 1)
        kind, value = text[0], text[1:]
        if kind == "t":
            value = datetime.datetime.fromisoformat(value)
        elif kind == "d":
            value = datetime.date.fromisoformat(value)
        elif kind != "s":
            return None
        return value, Case._meta.pk.to_python(pk)
    except (ValueError, TypeError, IndexError, ValidationError):
        return None


def _search(qs: QuerySet[Case], query: str) -> QuerySet[Case]:
    """Aktenzeichen by prefix, an e-mail address exactly, a name by all of its words (blind index)."""
    query = query.strip()
    if not query:
        return qs
    if "@" in query:
        digest = blind_index.digest(query, purpose="email")
        return qs.filter(Exists(SearchToken.objects.filter(case=OuterRef("pk"), kind="email", digest=digest)))
    if any(char.isdigit() for char in query):
        return qs.filter(reference__istartswith=query)
    for word in blind_index.words(query):
        digest = blind_index.digest(word, purpose="name")
        qs = qs.filter(Exists(SearchToken.objects.filter(case=OuterRef("pk"), kind="name", digest=digest)))
    return qs


def inbox_queryset(user, selection: InboxFilter) -> QuerySet[Case]:
    qs = cases_visible_to(user)
    if selection.mine:
        qs = qs.filter(assignee=user)
    if selection.unit is not None:
        # Only the user's own units are visible anyway: the subtree among them.
        path = selection.unit.path
        qs = qs.filter(unit_id__in=[unit.pk for unit in caseworker_units(user) if unit.path.startswith(path)])
    qs = qs.filter(is_open=not selection.closed)
    if selection.case_type is not None:
        qs = qs.filter(case_type=selection.case_type)
    if selection.status:
        qs = qs.filter(status=selection.status)
    if selection.unassigned:
        qs = qs.filter(assignee=None)
    today = timezone.localdate()
    if selection.due == "ueberfaellig":
        qs = qs.filter(due_on__lt=today)
    elif selection.due == "7tage":
        qs = qs.filter(due_on__lte=today + datetime.timedelta(days=7))
    elif selection.due == "ohne":
        qs = qs.filter(due_on=None)
    if selection.received_from:
        qs = qs.filter(received_at__date__gte=selection.received_from)
    if selection.received_to:
        qs = qs.filter(received_at__date__lte=selection.received_to)
    return _search(qs, selection.query)


def with_list_columns(qs: QuerySet[Case], *, unit: bool = True) -> QuerySet[Case]:
    """What a list row shows: type, unit (unless not shown), assignee and applicant; the version without its JSON."""
    # Only the name: every encrypted column loaded is a decryption per row.
    applicants = Prefetch(
        "parties",
        queryset=Party.objects.filter(role=Party.Role.APPLICANT)
        .only("id", "case_id", "name")
        .order_by("case_id", "created_at", "id"),
        to_attr="applicants",
    )
    related = ["version", "case_type", "assignee", "unit"] if unit else ["version", "case_type", "assignee"]
    return (
        qs.select_related(*related)
        .defer("version__definition")  # the built definition is cached per process
        .prefetch_related(applicants)
    )


def with_inbox_columns(qs: QuerySet[Case]) -> QuerySet[Case]:
    """``with_list_columns`` for the inbox page: only the columns its rows show and its cursor needs."""
    return with_list_columns(qs, unit=False).only(
        "reference",
        "status",
        "is_open",
        "received_at",
        "due_on",
        *SORTS_FIELDS,
        "version__created_at",  # with the id, the key of the built definition
        "case_type__title",
        *(f"assignee__{name}" for name in NAME_FIELDS),
    )


def inbox_order(selection: InboxFilter) -> list[str]:
    field, descending = SORTS.get(selection.sort, SORTS["frist"])
    return [f"-{field}", "-pk"] if descending else [field, "pk"]


def inbox_page(
    user, selection: InboxFilter, *, cursor: str = "", page_size: int = PAGE_SIZE, columns=with_list_columns
) -> InboxPage:
    """One page of the inbox; ``columns`` (``with_list_columns`` or ``with_inbox_columns``) loads the rows' parts."""
    field, descending = SORTS.get(selection.sort, SORTS["frist"])
    qs = inbox_queryset(user, selection)
    position = cursor_decode(cursor) if cursor else None
    if position is not None:
        value, pk = position
        # The plain bound beside the OR lets the index scan start at the cursor.
        if descending:
            qs = qs.filter(Q(**{f"{field}__lt": value}) | Q(**{field: value, "pk__lt": pk}), **{f"{field}__lte": value})
        else:
            qs = qs.filter(Q(**{f"{field}__gt": value}) | Q(**{field: value, "pk__gt": pk}), **{f"{field}__gte": value})
    rows = list(columns(qs.order_by(*inbox_order(selection)))[: page_size + 1])
    next_cursor = None
    if len(rows) > page_size:
        rows = rows[:page_size]
        last = rows[-1]
        next_cursor = cursor_encode(getattr(last, field), last.pk)
    return InboxPage(cases=rows, next_cursor=next_cursor)


def case_detail_queryset(user) -> QuerySet[Case]:
    # Five joins: planning more took longer than running the query on a large table. The version's
    # JSON stays in the database: its built definition is kept per process (``built_once``).
    return (
        cases_visible_to(user)
        .select_related("version", "unit", "assignee", "akte__filing_position")
        .defer("version__definition")
    )


def decisions_awaiting_cosign(user) -> QuerySet[Decision]:
    """Bescheide in the user's units that wait for a second person other than their author."""
    # The gate of cases_visible_to on the joined case: as a subquery it took longer to plan than to run.
    return (
        Decision.objects.filter(state=Decision.State.COSIGN, case__unit_id__in=visible_unit_ids(user))
        .exclude(drafted_by=user)
        .select_related("case", "drafted_by")
        .only("subject", "case__reference", *(f"drafted_by__{name}" for name in NAME_FIELDS))
        .order_by("drafted_at")
    )
