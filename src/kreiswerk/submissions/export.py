"""Spreadsheets of the submissions of one assistant: XLSX and CSV.

Layout
    One row per submission on the main sheet: Aktenzeichen, Eingegangen am,
    Version, Testeingang, one column per field, then the computed values. The
    columns are the union of the fields of all versions, in definition order
    (the newest version's order; a field only older versions had is placed after
    its predecessor there), headed with the newest version's label. An address
    becomes four columns (Straße, Hausnummer, PLZ, Ort); a repeating group becomes
    a count column here and a sheet of its own (Aktenzeichen, Nr., its fields).

Values
    XLSX: numbers and money as numbers (money with a € number format), dates
    and the receipt time as real dates. CSV (UTF-8 with BOM, ";" separated):
    German notation, decimal comma without thousands separator, dates as
    TT.MM.JJJJ, so German Excel reads numbers as numbers. A CSV export of an
    assistant with repeating groups is a ZIP with one CSV per sheet.

Formula injection
    Every text cell (headers included) starting with =, +, -, @, tab or CR gets a
    leading apostrophe (OWASP "CSV Injection"), in CSV and XLSX alike; XLSX text
    is written with ``write_string`` and is never a formula. Numbers and dates come
    from validated values and are written as such.

Memory
    Submissions are read with ``iterator(chunk_size=1000)``, each version's
    definition is parsed once, XlsxWriter runs in ``constant_memory`` mode and
    CSV rows are written straight to files, so memory stays flat however many
    submissions there are. Work files live in the caller's (private, temporary)
    directory.
"""

from __future__ import annotations

import csv
import datetime
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import xlsxwriter
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kreiswerk.assistants import fields
from kreiswerk.assistants.definition import Element, localized
from kreiswerk.assistants.models import Assistant, AssistantVersion

from .models import Attachment, Submission

CHUNK_SIZE = 1000
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_ROWS = 1_048_576
CSV_DELIMITER = ";"
ADDRESS_LABELS = {
    "street": "Straße",
    "house_number": "Hausnummer",
    "postal_code": "PLZ",
    "city": "Ort",
}

# Column kinds: how a value is formatted (the value's own type decides how it is written).
TEXT, INTEGER, DECIMAL, MONEY, DATE, DATETIME = (
    "text",
    "integer",
    "decimal",
    "money",
    "date",
    "datetime",
)
_KIND_OF_TYPE = {"integer": INTEGER, "decimal": DECIMAL, "money": MONEY, "date": DATE}
_COMPUTED_KIND = {"integer": INTEGER, "decimal": DECIMAL, "money": MONEY}

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "zip": "application/zip",
}


def neutralise(text: str) -> str:
    """Prefix an apostrophe to text a spreadsheet would take for a formula."""
    if text and text[0] in FORMULA_TRIGGERS:
        return "'" + text
    return text


_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"})


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.translate(_UMLAUTS))
    text = text.encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._-")


def ascii_filename(name: str, *, default: str = "datei", max_length: int = 100) -> str:
    """A file name safe in a Content-Disposition header: ASCII letters, digits, ``._-``."""
    name = name or ""
    stem, dot, extension = name.rpartition(".")
    extension = _ascii(extension) if dot else ""
    if not re.fullmatch(r"[A-Za-z0-9]{1,10}", extension):
        stem, extension = name, ""
    stem = _ascii(stem)[: max_length - len(extension) - 1].rstrip("._-") or default
    return f"{stem}.{extension}" if extension else stem


# --- layout -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = TEXT
    key: str = ""
    part: str = ""  # an address part, for the four address columns
    count: bool = False  # the number of items of a repeating group

    @property
    def width(self) -> int:
        minimum = {DATE: 12, DATETIME: 17, MONEY: 14}.get(self.kind, 10)
        return max(minimum, min(50, len(self.header) + 2))


@dataclass
class Sheet:
    key: str  # "" for the main sheet, else the repeating group's key
    title: str  # the worksheet name (valid in Excel, unique)
    filename: str  # the CSV file name inside the ZIP
    columns: list[Column] = field(default_factory=list)


def _inputs_of_repeat(element: Element) -> list[Element]:
    return [leaf for child in element.elements for leaf in child.inputs()]


def _merge(orders: list[list[tuple[str, Any]]]) -> list[tuple[str, Any]]:
    """Union of keyed lists: the first list's order and items win.

    An item only a later list has goes right after its predecessor there.
    """
    keys: list[str] = []
    items: dict[str, Any] = {}
    for order in orders:
        previous = None
        for key, item in order:
            if key not in items:
                items[key] = item
                keys.insert(keys.index(previous) + 1 if previous is not None else 0, key)
            previous = key
    return [(key, items[key]) for key in keys]


def _field_columns(element: Element) -> list[Column]:
    label = localized(element.label, "de") or element.key
    if element.type == "address":
        return [
            Column(header=f"{label}: {ADDRESS_LABELS[part]}", key=element.key, part=part)
            for part in fields.ADDRESS_PARTS
        ]
    if element.type == "repeat":
        return [Column(header=f"{label}: Anzahl", kind=INTEGER, key=element.key, count=True)]
    return [Column(header=label, kind=_KIND_OF_TYPE.get(element.type, TEXT), key=element.key)]


_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(label: str, used: set[str]) -> str:
    base = " ".join(_SHEET_FORBIDDEN.sub(" ", label).split()).strip("'")[:31] or "Liste"
    title, number = base, 2
    while title.lower() in used:
        suffix = f" ({number})"
        title = base[: 31 - len(suffix)].rstrip() + suffix
        number += 1
    used.add(title.lower())
    return title


class ExportLayout:
    """Sheets and columns for a set of versions of one assistant, and rows for submissions."""

    def __init__(self, versions: Iterable[AssistantVersion]):
        ordered = sorted(versions, key=lambda version: version.number, reverse=True)
        self.versions = {version.pk: version for version in ordered}
        definitions = [version.parsed for version in ordered]
        inputs = _merge([[(e.key, e) for e in d.inputs()] for d in definitions])
        computed = _merge([[(c.key, c) for c in d.computed] for d in definitions])

        self.field_columns = [column for _key, element in inputs for column in _field_columns(element)]
        self.computed_columns = [
            Column(
                header=localized(c.label, "de") or c.key,
                kind=_COMPUTED_KIND.get(c.type, TEXT),
                key=c.key,
            )
            for _key, c in computed
        ]
        used = {"history"}  # reserved by Excel
        self.main = Sheet(
            key="",
            title=_sheet_title("Anträge", used),
            filename="antraege.csv",
            columns=[
                Column(header="Aktenzeichen"),
                Column(header="Eingegangen am", kind=DATETIME),
                Column(header="Version", kind=INTEGER),
                Column(header="Testeingang"),
                *self.field_columns,
                *self.computed_columns,
            ],
        )
        self.repeats: list[Sheet] = []
        self._repeat_fields: list[list[Column]] = []
        for key, element in inputs:
            if element.type != "repeat":
                continue
            children = _merge(
                [
                    [(child.key, child) for child in _inputs_of_repeat(d.element(key))]
                    for d in definitions
                    if _has_repeat(d, key)
                ]
            )
            columns = [column for _k, child in children for column in _field_columns(child)]
            label = localized(element.label, "de") or key
            self._repeat_fields.append(columns)
            self.repeats.append(
                Sheet(
                    key=key,
                    title=_sheet_title(label, used),
                    filename=f"{key}.csv" if key != "antraege" else "antraege_eintraege.csv",
                    columns=[
                        Column(header="Aktenzeichen"),
                        Column(header="Nr.", kind=INTEGER),
                        *columns,
                    ],
                )
            )
        self.needs_files = any(element.type == "file" for d in definitions for element in _all_inputs(d))
        self._readers: dict[int, _VersionReader] = {}

    @classmethod
    def for_submissions(cls, assistant: Assistant, submissions: QuerySet[Submission]) -> ExportLayout:
        """The layout over every version in use: all but unused drafts (tests may run on drafts)."""
        used = submissions.order_by().values("version_id").distinct()
        versions = AssistantVersion.objects.filter(assistant=assistant).filter(
            ~Q(state=AssistantVersion.State.DRAFT) | Q(pk__in=used)
        )
        return cls(list(versions))

    @property
    def sheets(self) -> list[Sheet]:
        return [self.main, *self.repeats]

    def reader(self, version_id: int) -> _VersionReader:
        reader = self._readers.get(version_id)
        if reader is None:
            version = self.versions.get(version_id) or AssistantVersion.objects.get(pk=version_id)
            reader = self._readers[version_id] = _VersionReader(self, version)
        return reader

    def rows(self, submission: Submission, files: dict[str, str]) -> Iterator[tuple[int, list]]:
        """(sheet index, values) for one submission: its main row, then its repeat items."""
        reader = self.reader(submission.version_id)
        payload = submission.payload or {}
        answers = payload.get("answers") or {}
        computed = payload.get("computed") or {}
        yield (
            0,
            [
                submission.reference,
                submission.submitted_at,
                reader.number,
                reader.yes if submission.is_test else reader.no,
                *[read(answers, files) for read in reader.fields],
                *[read(computed) for read in reader.computed],
            ],
        )
        for index, repeat in enumerate(reader.repeats, start=1):
            if repeat is None:
                continue
            key, readers = repeat
            items = answers.get(key)
            if not isinstance(items, list):
                continue
            for number, item in enumerate(items, start=1):
                if isinstance(item, dict):
                    yield (
                        index,
                        [submission.reference, number, *[read(item, files) for read in readers]],
                    )


def _has_repeat(definition, key: str) -> bool:
    try:
        return definition.element(key).type == "repeat"
    except KeyError:
        return False


def _all_inputs(definition):
    for element in definition.inputs():
        yield element
        if element.type == "repeat":
            yield from _inputs_of_repeat(element)


# --- reading values ---------------------------------------------------------------------------

Reader = Callable[[dict, dict], Any]


class _VersionReader:
    """Per version, one function per column that turns stored answers into a cell value."""

    def __init__(self, layout: ExportLayout, version: AssistantVersion):
        definition = version.parsed
        self.number = version.number
        self.yes, self.no = _("Ja"), _("Nein")
        by_key = {element.key: element for element in definition.inputs()}
        self.fields: list[Reader] = [_reader(column, by_key.get(column.key)) for column in layout.field_columns]
        kinds = {c.key: c.type for c in definition.computed}
        self.computed = [_computed_reader(column.key, kinds.get(column.key)) for column in layout.computed_columns]
        self.repeats: list[tuple[str, list[Reader]] | None] = []
        for sheet, columns in zip(layout.repeats, layout._repeat_fields, strict=True):
            element = by_key.get(sheet.key)
            if element is None or element.type != "repeat":
                self.repeats.append(None)
                continue
            children = {child.key: child for child in _inputs_of_repeat(element)}
            self.repeats.append((sheet.key, [_reader(column, children.get(column.key)) for column in columns]))


def _none(data: dict, files: dict) -> None:
    return None


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def _reader(column: Column, element: Element | None) -> Reader:
    """How this version's ``element`` fills ``column`` (the newest version's layout)."""
    if element is None:
        return _none
    key, kind = element.key, element.type
    if column.part:
        if kind == "address":
            part = column.part

            def address_part(data: dict, files: dict) -> Any:
                value = data.get(key)
                return _text(value.get(part)) if isinstance(value, dict) else None

            return address_part
        if column.part != fields.ADDRESS_PARTS[0]:
            return _none  # an older version held something else here: it goes in the first column
    convert = _converter(element)

    def read(data: dict, files: dict) -> Any:
        value = data.get(key)
        if value is None or value == "" or value == []:
            return None
        try:
            return convert(value, files)
        except (ArithmeticError, TypeError, ValueError, KeyError, AttributeError):
            return str(value)  # a stored value of an unexpected form: show it as it is

    return read


def _converter(element: Element) -> Callable[[Any, dict], Any]:
    kind = element.type
    if kind in {"money", "decimal"}:
        return lambda value, files: _decimal(value)
    if kind == "integer":
        return lambda value, files: int(value)
    if kind == "date":
        return lambda value, files: datetime.date.fromisoformat(value)
    if kind == "repeat":
        return lambda value, files: len(value) if isinstance(value, list) else str(value)
    if kind == "file":
        return lambda value, files: ", ".join(files.get(str(item), str(item)) for item in value)
    if kind in {"text", "textarea", "email", "phone"}:
        return lambda value, files: value if type(value) is str else str(value)
    if kind == "yesno":
        yes, no = _("Ja"), _("Nein")
        return lambda value, files: yes if value else no
    # select, radio, checkboxes (joined), yesno, declaration, iban, address: as a person reads it
    return lambda value, files: fields.display(element, value, language="de") or None


def _decimal(value: Any) -> Decimal:
    number = Decimal(str(value))
    if not number.is_finite():
        raise InvalidOperation
    return number


def _computed_reader(key: str, kind: str | None) -> Callable[[dict], Any]:
    if kind is None:
        return lambda computed: None

    def read(computed: dict) -> Any:
        value = computed.get(key)
        if value is None or value == "":
            return None
        try:
            if kind in {"money", "decimal"}:
                return _decimal(value)
            if kind == "integer":
                return int(value)
            if kind == "yesno":
                return _("Ja") if value else _("Nein")
        except (ArithmeticError, TypeError, ValueError):
            pass
        return str(value)

    return read


# --- rows -------------------------------------------------------------------------------------


def export_queryset(submissions: QuerySet[Submission], layout: ExportLayout) -> QuerySet[Submission]:
    """Only the columns the export reads, oldest first; attachment names only when needed."""
    qs = submissions.order_by("submitted_at", "pk").only(
        "id", "reference", "submitted_at", "version_id", "is_test", "payload"
    )
    if layout.needs_files:
        qs = qs.prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.only("id", "submission_id", "filename"))
        )
    return qs


def export_rows(submissions: QuerySet[Submission], layout: ExportLayout) -> Iterator[tuple[int, list]]:
    """(sheet index, cell values) for every submission, streamed in chunks of 1000."""
    with translation.override("de"):
        for submission in export_queryset(submissions, layout).iterator(chunk_size=CHUNK_SIZE):
            files = {}
            if layout.needs_files:
                files = {str(a.pk): a.filename for a in submission.attachments.all()}
            yield from layout.rows(submission, files)


def _local(moment: datetime.datetime) -> datetime.datetime:
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment.replace(tzinfo=None)


# --- XLSX -------------------------------------------------------------------------------------


def write_xlsx(rows: Iterable[tuple[int, list]], layout: ExportLayout, path: Path, *, tmpdir: Path) -> int:
    """Write the workbook; returns the number of submissions (main-sheet rows)."""
    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "tmpdir": str(tmpdir),
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    try:
        header = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top"})
        number_formats = {
            MONEY: workbook.add_format({"num_format": '#,##0.00 "€"'}),
            DECIMAL: workbook.add_format({"num_format": "0.00##########"}),
            INTEGER: None,
            DATE: workbook.add_format({"num_format": "dd.mm.yyyy"}),
            DATETIME: workbook.add_format({"num_format": "dd.mm.yyyy hh:mm"}),
        }
        date_format = number_formats[DATE]
        datetime_format = number_formats[DATETIME]
        sheets = []
        for sheet in layout.sheets:
            worksheet = workbook.add_worksheet(sheet.title)
            for column_index, column in enumerate(sheet.columns):
                worksheet.set_column(column_index, column_index, column.width)
            for column_index, column in enumerate(sheet.columns):
                worksheet.write_string(0, column_index, neutralise(column.header), header)
            worksheet.freeze_panes(1, 1)
            formats = [number_formats.get(column.kind) for column in sheet.columns]
            sheets.append([worksheet, formats, 0, len(sheet.columns)])

        for index, values in rows:
            state = sheets[index]
            worksheet, formats = state[0], state[1]
            row = state[2] + 1
            if row >= XLSX_MAX_ROWS:
                raise ExportTooLarge(_("Die Tabelle hätte mehr Zeilen, als Excel aufnehmen kann."))
            state[2] = row
            write_string, write_number, write_datetime = (
                worksheet.write_string,
                worksheet.write_number,
                worksheet.write_datetime,
            )
            for column_index, value in enumerate(values):
                # The innermost loop: type checks in order of frequency, neutralise inlined.
                kind = type(value)
                if kind is str:
                    if value:
                        if value[0] in FORMULA_TRIGGERS:
                            value = "'" + value
                        write_string(row, column_index, value)  # XlsxWriter truncates at 32767
                elif value is None:
                    continue
                elif kind is int or kind is Decimal or kind is float:
                    if kind is Decimal:
                        value = float(value)
                    write_number(row, column_index, value, formats[column_index])
                elif kind is datetime.date:
                    write_datetime(row, column_index, value, date_format)
                elif kind is datetime.datetime:
                    write_datetime(row, column_index, _local(value), datetime_format)
                elif kind is bool:
                    write_string(row, column_index, _("Ja") if value else _("Nein"))
                else:
                    write_string(row, column_index, neutralise(str(value)))

        for worksheet, _formats, last_row, width in sheets:
            worksheet.autofilter(0, 0, max(last_row, 1), max(width - 1, 0))
        return sheets[0][2]
    finally:
        workbook.close()


class ExportTooLarge(Exception):
    pass


# --- CSV --------------------------------------------------------------------------------------


def csv_cell(value: Any) -> str:
    """A value in German CSV notation; text is neutralised."""
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, bool):
        return _("Ja") if value else _("Nein")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return f"{value:f}".replace(".", ",")
    if isinstance(value, float):
        return repr(value).replace(".", ",")
    if isinstance(value, datetime.datetime):
        return _local(value).strftime("%d.%m.%Y %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%d.%m.%Y")
    return neutralise(str(value))


def _open_csv(path: Path):
    handle = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed by write_csv
    handle.write("\ufeff")
    writer = csv.writer(handle, delimiter=CSV_DELIMITER, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    return handle, writer


def write_csv(rows: Iterable[tuple[int, list]], layout: ExportLayout, directory: Path) -> tuple[Path, int]:
    """One CSV, or a ZIP of one CSV per sheet when there are repeating groups.

    Returns the file written and the number of submissions.
    """
    sheets = layout.sheets
    files = []
    try:
        for sheet in sheets:
            handle, writer = _open_csv(directory / sheet.filename)
            files.append((handle, writer))
            writer.writerow([neutralise(column.header) for column in sheet.columns])
        count = 0
        for index, values in rows:
            if index == 0:
                count += 1
            files[index][1].writerow([csv_cell(value) for value in values])
    finally:
        for handle, _writer in files:
            handle.close()
    if len(sheets) == 1:
        return directory / sheets[0].filename, count
    archive = directory / "export.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for sheet in sheets:
            bundle.write(directory / sheet.filename, arcname=sheet.filename)
            (directory / sheet.filename).unlink()
    return archive, count


# --- building a file --------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFile:
    path: Path
    row_count: int
    extension: str  # "xlsx", "csv" or "zip"

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.extension]


def build_export(*, submissions: QuerySet[Submission], assistant: Assistant, fmt: str, directory: Path) -> ExportFile:
    """Write the export of ``submissions`` (all of ``assistant``) into ``directory``."""
    submissions = submissions.filter(assistant=assistant)
    layout = ExportLayout.for_submissions(assistant, submissions)
    rows = export_rows(submissions, layout)
    if fmt == "xlsx":
        path = directory / "export.xlsx"
        work = directory / "work"
        work.mkdir(mode=0o700, exist_ok=True)
        count = write_xlsx(rows, layout, path, tmpdir=work)
        return ExportFile(path=path, row_count=count, extension="xlsx")
    if fmt == "csv":
        path, count = write_csv(rows, layout, directory)
        return ExportFile(path=path, row_count=count, extension=path.suffix.lstrip("."))
    raise ValueError(f"unknown export format {fmt!r}")


def file_chunks(path: Path, size: int = 64 * 1024) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while chunk := handle.read(size):
            yield chunk


__all__ = [
    "CONTENT_TYPES",
    "Column",
    "ExportFile",
    "ExportLayout",
    "Sheet",
    "ascii_filename",
    "build_export",
    "csv_cell",
    "export_rows",
    "file_chunks",
    "neutralise",
    "write_csv",
    "write_xlsx",
]
