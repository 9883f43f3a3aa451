"""The inbox as a spreadsheet: the same selection and order as on screen, one row per case."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kreiswerk.submissions.export import DATE, DATETIME, Column, Sheet, write_xlsx

from .models import Case
from .selectors import with_list_columns

# A case list is read by people; larger selections are narrowed by the filters.
MAX_ROWS = 20_000


class TooManyCases(Exception):
    pass


@dataclass
class CaseListLayout:
    sheets: list[Sheet] = field(default_factory=list)


def case_list_layout() -> CaseListLayout:
    columns = [
        Column(_("Aktenzeichen")),
        Column(_("Vorgangsart")),
        Column(_("Organisationseinheit")),
        Column(_("Antragsteller/in")),
        Column(_("Status")),
        Column(_("Eingegangen am"), DATETIME),
        Column(_("Frist"), DATE),
        Column(_("Bearbeitung")),
        Column(_("Ergebnis")),
        Column(_("Abgeschlossen am"), DATETIME),
    ]
    return CaseListLayout([Sheet(key="", title=_("Vorgänge"), filename="vorgaenge.csv", columns=columns)])


def _rows(cases: QuerySet[Case]) -> Iterator[tuple[int, list]]:
    for case in with_list_columns(cases).iterator(chunk_size=500):
        status = case.status_definition
        result = case.result_definition
        yield (
            0,
            [
                case.reference,
                case.case_type.title,
                case.unit.name,
                case.applicants[0].name if case.applicants else "",
                status.title if status else case.status,
                case.received_at,
                case.due_on,
                (case.assignee.get_full_name() or case.assignee.username) if case.assignee else "",
                result.title if result else "",
                case.closed_at,
            ],
        )


def case_list_xlsx(cases: QuerySet[Case]) -> tuple[bytes, int]:
    """The workbook's bytes and the number of cases; refuses more than MAX_ROWS."""
    count = cases.count()
    if count > MAX_ROWS:
        raise TooManyCases(count)
    with tempfile.TemporaryDirectory(prefix="kreiswerk-cases-") as directory:
        path = Path(directory) / "vorgaenge.xlsx"
        write_xlsx(_rows(cases), case_list_layout(), path, tmpdir=Path(directory))
        return path.read_bytes(), count
