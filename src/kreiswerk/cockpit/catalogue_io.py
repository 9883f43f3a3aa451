"""The Leistungskatalog as a spreadsheet: export to CSV/XLSX and import from them.

Columns
    ``mandant`` (Kürzel), ``leika`` (14 digits), ``bezeichnung``, ``einheit`` (the
    unit's Kürzel), ``zugang`` (value or German label of the channel),
    ``antragsassistent`` (Kürzel), ``fallzahl_jahr`` (as entered), ``online_seit``,
    then one column per maturity criterion (ja / nein / entfällt). The export adds
    what is derived (URN, levels, the volume the platform counts); the import
    accepts and ignores those, so an exported file imports unchanged.

Import
    Every row is checked before anything is written; one bad row refuses the whole
    file with a list of "Zeile N: problem" (N as the spreadsheet shows it, the
    header being line 1). Rows are matched by LeiKa key within their Mandant, a row
    without key by name; unmatched rows become new entries. All writes go through
    ``service_save`` (audit) inside one transaction.

Files are written by the submissions export (formula neutralising, XlsxWriter in
constant-memory mode) and read with limits on size, rows and unpacked size.
"""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from kreiswerk.assistants.models import Assistant
from kreiswerk.submissions.export import (
    DATE,
    FORMULA_TRIGGERS,
    INTEGER,
    TEXT,
    Column,
    ExportFile,
    Sheet,
    write_csv,
    write_xlsx,
)
from kreiswerk.tenancy.models import Mandant, OrganisationalUnit

from . import maturity
from .leika import leika_normalize
from .models import Channel, Service
from .selectors import programme_mandant_ids, service_volumes
from .services import service_check, service_save

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
# An XLSX is a ZIP: its unpacked size is capped so a small file cannot expand into gigabytes.
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_CELL_CHARS = 1000
MAX_PROBLEMS = 100

MANDANT, LEIKA, NAME, UNIT, CHANNEL, ASSISTANT, VOLUME, ONLINE_SINCE = (
    "mandant",
    "leika",
    "bezeichnung",
    "einheit",
    "zugang",
    "antragsassistent",
    "fallzahl_jahr",
    "online_seit",
)
IMPORTED = (MANDANT, LEIKA, NAME, UNIT, CHANNEL, ASSISTANT, VOLUME, ONLINE_SINCE)
# Written by the export for people to read; the import skips them.
DERIVED = ("urn", "reifegrad", "reifegrad_bezeichnung", "reifegrad_alt", "fallzahl_plattform")
REQUIRED = (NAME, UNIT)
CRITERION_KEYS = tuple(criterion.key for criterion in maturity.CRITERIA)
HEADERS = (*IMPORTED[:2], "urn", *IMPORTED[2:], *DERIVED[1:], *CRITERION_KEYS)

ANSWER_WORDS = {
    "ja": maturity.MET,
    "nein": maturity.NOT_MET,
    "entfällt": maturity.NOT_APPLICABLE,
    "entfaellt": maturity.NOT_APPLICABLE,
}
ANSWER_EXPORT = {maturity.MET: "ja", maturity.NOT_MET: "nein", maturity.NOT_APPLICABLE: "entfällt"}


class CatalogueFileError(Exception):
    """The file cannot be imported; ``problems`` are German, one per line of the list."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


# --- export -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogueLayout:
    """The one sheet of the catalogue, in the shape the submissions export writes."""

    sheets: list[Sheet]


def catalogue_layout() -> CatalogueLayout:
    kinds = {VOLUME: INTEGER, "reifegrad": INTEGER, "reifegrad_alt": INTEGER, "fallzahl_plattform": INTEGER}
    kinds[ONLINE_SINCE] = DATE
    columns = [Column(header=header, kind=kinds.get(header, TEXT)) for header in HEADERS]
    return CatalogueLayout(sheets=[Sheet(key="", title="Leistungen", filename="leistungskatalog.csv", columns=columns)])


def catalogue_services(*, mandant: Mandant):
    """The catalogue of ``mandant`` and its municipalities, in a stable order."""
    return (
        Service.objects.filter(mandant_id__in=programme_mandant_ids(mandant))
        .select_related("mandant", "unit", "assistant")
        .order_by("mandant__name", "name", "pk")
    )


def catalogue_rows(services: list[Service]) -> Iterator[tuple[int, list]]:
    volumes = service_volumes(services)
    for service in services:
        criteria = service.criteria or {}
        yield (
            0,
            [
                service.mandant.slug,
                service.leika_key or None,
                service.leika_urn or None,
                service.name,
                service.unit.code,
                service.channel,
                service.assistant.slug if service.assistant_id else None,
                service.yearly_volume,
                service.online_since,
                service.maturity_level,
                str(service.maturity_name),
                service.legacy_level,
                volumes.get(service.pk) if service.assistant_id else None,
                *[ANSWER_EXPORT.get(criteria.get(key, ""), "") or None for key in CRITERION_KEYS],
            ],
        )


def catalogue_export(*, mandant: Mandant, fmt: str, directory: Path) -> ExportFile:
    """Write the catalogue into ``directory`` (private, temporary) as CSV or XLSX."""
    layout = catalogue_layout()
    # A catalogue has hundreds of entries, not millions: one query, then constant-memory writing.
    services = list(catalogue_services(mandant=mandant))
    with translation.override("de"):
        rows = catalogue_rows(services)
        if fmt == "xlsx":
            work = directory / "work"
            work.mkdir(mode=0o700, exist_ok=True)
            path = directory / "leistungskatalog.xlsx"
            count = write_xlsx(rows, layout, path, tmpdir=work)
            return ExportFile(path=path, row_count=count, extension="xlsx")
        if fmt == "csv":
            path, count = write_csv(rows, layout, directory)
            return ExportFile(path=path, row_count=count, extension="csv")
    raise ValueError(f"unknown catalogue format {fmt!r}")


# --- reading a file ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    line: int  # as the spreadsheet numbers it: the header is line 1
    values: dict[str, str]


def _text(value) -> str:
    """A cell as text; an exported neutralising apostrophe is taken off again."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.strftime("%d.%m.%Y")
    text = str(value).strip()
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_TRIGGERS:
        text = text[1:]
    return text


def _header(value) -> str:
    return _text(value).lower().replace(" ", "_").replace("-", "_")


def _rows_from(table: Iterable[Iterable]) -> tuple[list[str], list[Row]]:
    iterator = iter(table)
    header_cells = next(iterator, None)
    if header_cells is None:
        raise CatalogueFileError([_("Die Datei ist leer.")])
    headers = [_header(cell) for cell in header_cells]
    while headers and not headers[-1]:
        headers.pop()
    problems = []
    known = set(IMPORTED) | set(DERIVED) | set(CRITERION_KEYS)
    unknown = [header for header in headers if header and header not in known]
    if unknown:
        problems.append(
            _("Zeile 1: unbekannte Spalte(n) %(columns)s. Erlaubt sind: %(allowed)s.")
            % {"columns": ", ".join(f"„{h}“" for h in unknown), "allowed": ", ".join(HEADERS)}
        )
    doubled = sorted({header for header in headers if header and headers.count(header) > 1})
    if doubled:
        problems.append(_("Zeile 1: doppelte Spalte(n) %(columns)s.") % {"columns": ", ".join(doubled)})
    missing = [header for header in REQUIRED if header not in headers]
    if missing:
        problems.append(_("Zeile 1: Es fehlt die Spalte %(columns)s.") % {"columns": ", ".join(missing)})
    if problems:
        raise CatalogueFileError(problems)
    rows = []
    for line, cells in enumerate(iterator, start=2):
        # Blank lines count too, so a sheet of a million empty rows is not read to its end.
        if line > MAX_ROWS + 1:
            raise CatalogueFileError(
                [_("Die Datei hat mehr als %(max)s Zeilen; bitte teilen Sie sie auf.") % {"max": MAX_ROWS}]
            )
        texts = [_text(cell) for cell in cells]
        if not any(texts):
            continue
        if any(len(text) > MAX_CELL_CHARS for text in texts):
            raise CatalogueFileError(
                [_("Zeile %(line)s: Ein Feld ist länger als %(max)s Zeichen.") % {"line": line, "max": MAX_CELL_CHARS}]
            )
        values = {header: (texts[index] if index < len(texts) else "") for index, header in enumerate(headers)}
        rows.append(Row(line=line, values=values))
    if not rows:
        raise CatalogueFileError([_("Die Datei enthält keine Leistungen, nur die Kopfzeile.")])
    return headers, rows


def _csv_table(content: bytes) -> list[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CatalogueFileError(
            [
                _(
                    "Die CSV-Datei ist nicht UTF-8-kodiert. Speichern Sie sie in Excel als "
                    "„CSV UTF-8 (durch Trennzeichen getrennt)“ oder laden Sie eine XLSX-Datei hoch."
                )
            ]
        ) from None
    if "\x00" in text:
        raise CatalogueFileError([_("Die Datei ist keine CSV-Datei.")])
    first_line = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        return list(reader)
    except csv.Error:
        raise CatalogueFileError(
            [
                _("Zeile %(line)s: Die CSV-Datei ist fehlerhaft (etwa ein Anführungszeichen ohne Gegenstück).")
                % {"line": reader.line_num}
            ]
        ) from None


def _xlsx_table(content: bytes) -> Iterator[tuple]:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise CatalogueFileError([_("Die XLSX-Datei ist beschädigt oder keine Excel-Datei.")]) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise CatalogueFileError([_("Die XLSX-Datei ist entpackt zu groß.")])
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - openpyxl belongs to the installation
        raise CatalogueFileError([_("XLSX-Dateien können hier nicht gelesen werden; bitte nutzen Sie CSV.")]) from None
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (KeyError, ValueError, XML errors) for broken files
        raise CatalogueFileError([_("Die XLSX-Datei ist beschädigt oder keine Excel-Datei.")]) from None
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise CatalogueFileError([_("Die XLSX-Datei enthält kein Tabellenblatt.")])
        yield from sheet.iter_rows(values_only=True)
    finally:
        workbook.close()


def catalogue_read(content: bytes, *, filename: str = "") -> list[Row]:
    """The rows of an uploaded catalogue file (CSV or XLSX, told apart by content)."""
    if len(content) > MAX_IMPORT_BYTES:
        raise CatalogueFileError([_("Die Datei ist größer als 5 MB und wurde nicht angenommen.")])
    if not content.strip():
        raise CatalogueFileError([_("Die Datei ist leer.")])
    if content.startswith(b"PK\x03\x04"):
        table = _xlsx_table(content)
    elif filename.lower().endswith((".xlsx", ".xls")):
        raise CatalogueFileError([_("Die Datei ist keine gültige XLSX-Datei (Excel 2007 oder neuer).")])
    else:
        table = _csv_table(content)
    try:
        _headers, rows = _rows_from(table)
    except CatalogueFileError:
        raise
    except Exception:  # a broken sheet may fail while streaming, not only when opened
        raise CatalogueFileError([_("Die XLSX-Datei ist beschädigt oder keine Excel-Datei.")]) from None
    return rows


# --- checking and importing -------------------------------------------------------------------


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0


@dataclass
class _Planned:
    line: int
    service: Service
    fields: dict


def _channel(value: str) -> str | None:
    wanted = value.strip().casefold()
    for choice in Channel:
        if wanted in (choice.value.casefold(), str(choice.label).casefold()):
            return choice.value
    return None


def _date(value: str) -> datetime.date | None:
    for pattern in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise ValueError(value)


def _volume(value: str) -> int:
    digits = value.replace(".", "").replace(" ", "").replace("\u202f", "")
    if not digits.isdigit() or not digits.isascii():
        raise ValueError(value)
    return int(digits)


class _Lookup:
    """What rows refer to, loaded once per import."""

    def __init__(self, mandant: Mandant):
        self.mandants = {m.slug: m for m in [mandant, *mandant.municipalities.all()]}
        ids = [m.pk for m in self.mandants.values()]
        self.units = {(u.mandant_id, u.code): u for u in OrganisationalUnit.objects.filter(mandant_id__in=ids)}
        self.assistants = {(a.mandant_id, a.slug): a for a in Assistant.objects.filter(mandant_id__in=ids)}
        self.by_key: dict[tuple[int, str], Service] = {}
        self.by_name: dict[tuple[int, str], list[Service]] = {}
        for service in Service.objects.filter(mandant_id__in=ids).select_related("unit", "assistant"):
            if service.leika_key:
                self.by_key[(service.mandant_id, service.leika_key)] = service
            self.by_name.setdefault((service.mandant_id, service.name.casefold()), []).append(service)
        self.default = mandant


def _row_fields(row: Row, lookup: _Lookup, problems: list[str]) -> tuple[Mandant, dict] | None:
    """The service fields a row asks for; its problems appended as "Zeile N: …"."""
    values, line = row.values, row.line
    own: list[str] = []
    slug = values.get(MANDANT, "")
    mandant = lookup.mandants.get(slug) if slug else lookup.default
    if mandant is None:
        own.append(_("Den Mandanten „%(slug)s“ gibt es hier nicht.") % {"slug": slug})
        problems.extend(_("Zeile %(line)s: %(problem)s") % {"line": line, "problem": p} for p in own)
        return None
    fields: dict = {"name": values.get(NAME, ""), "leika_key": leika_normalize(values.get(LEIKA, ""))}
    if "e+" in fields["leika_key"].casefold():
        own.append(
            _(
                "Der LeiKa-Schlüssel „%(value)s“ wurde von Excel als Zahl gekürzt; bitte die Spalte als Text "
                "formatieren oder die XLSX-Datei verwenden."
            )
            % {"value": values[LEIKA]}
        )
        fields["leika_key"] = ""
    unit_code = values.get(UNIT, "")
    unit = lookup.units.get((mandant.pk, unit_code))
    if not unit_code:
        own.append(_("Es fehlt das Kürzel der zuständigen Einheit."))
    elif unit is None:
        own.append(_("Eine Einheit mit dem Kürzel „%(code)s“ gibt es nicht.") % {"code": unit_code})
    fields["unit"] = unit
    channel_text = values.get(CHANNEL, "")
    channel = _channel(channel_text) if channel_text else Channel.OFFLINE.value
    if channel is None:
        own.append(
            _("Den Zugang „%(value)s“ gibt es nicht; möglich sind %(choices)s.")
            % {"value": channel_text, "choices": ", ".join(Channel.values)}
        )
    fields["channel"] = channel or Channel.OFFLINE.value
    assistant_slug = values.get(ASSISTANT, "")
    assistant = None
    if assistant_slug:
        assistant = lookup.assistants.get((mandant.pk, assistant_slug))
        if assistant is None:
            own.append(_("Einen Antragsassistenten „%(slug)s“ gibt es nicht.") % {"slug": assistant_slug})
    fields["assistant"] = assistant
    fields["yearly_volume"] = None
    if values.get(VOLUME):
        try:
            fields["yearly_volume"] = _volume(values[VOLUME])
        except ValueError:
            own.append(_("Die Fallzahl „%(value)s“ ist keine ganze Zahl.") % {"value": values[VOLUME]})
    fields["online_since"] = None
    if values.get(ONLINE_SINCE):
        try:
            fields["online_since"] = _date(values[ONLINE_SINCE])
        except ValueError:
            own.append(
                _("Das Datum „%(value)s“ ist ungültig; bitte als TT.MM.JJJJ angeben.") % {"value": values[ONLINE_SINCE]}
            )
    criteria = {}
    for criterion in maturity.CRITERIA:
        text = values.get(criterion.key, "").casefold()
        if not text:
            continue
        answer = ANSWER_WORDS.get(text)
        if answer is None:
            own.append(
                _("Spalte „%(column)s“: „%(value)s“ ist keine Antwort; möglich sind ja, nein, entfällt.")
                % {"column": criterion.key, "value": values[criterion.key]}
            )
        elif answer == maturity.NOT_APPLICABLE and not criterion.may_not_apply:
            own.append(
                _("Spalte „%(column)s“: „entfällt“ ist bei diesem Kriterium nicht möglich.") % {"column": criterion.key}
            )
        else:
            criteria[criterion.key] = answer
    fields["criteria"] = criteria
    problems.extend(_("Zeile %(line)s: %(problem)s") % {"line": line, "problem": p} for p in own)
    return (mandant, fields) if not own else None


def _target(mandant: Mandant, fields: dict, lookup: _Lookup) -> Service | str:
    """The entry a row updates, a new one, or the German reason it is ambiguous."""
    key = fields["leika_key"]
    named = lookup.by_name.get((mandant.pk, fields["name"].strip().casefold()), [])
    if key:
        existing = lookup.by_key.get((mandant.pk, key))
        if existing is not None:
            return existing
        # A catalogue first kept without keys gets them from a later file, matched by name.
        keyless = [service for service in named if not service.leika_key]
        return keyless[0] if len(keyless) == 1 else Service(mandant=mandant)
    if len(named) > 1:
        return _("Mehrere Leistungen heißen „%(name)s“; bitte geben Sie den LeiKa-Schlüssel an.") % {
            "name": fields["name"]
        }
    if named:
        fields["leika_key"] = named[0].leika_key  # a row without key leaves the entry's key alone
        return named[0]
    return Service(mandant=mandant)


def catalogue_check(rows: list[Row], *, mandant: Mandant) -> tuple[list[_Planned], list[str]]:
    """Every row's planned write, or the problems of all rows (nothing is written)."""
    lookup = _Lookup(mandant)
    problems: list[str] = []
    planned: list[_Planned] = []
    seen: dict[tuple, int] = {}
    for row in rows:
        if len(problems) > MAX_PROBLEMS:
            break
        result = _row_fields(row, lookup, problems)
        if result is None:
            continue
        row_mandant, fields = result
        identity = (row_mandant.pk, "key", fields["leika_key"]) if fields["leika_key"] else None
        identity = identity or (row_mandant.pk, "name", fields["name"].strip().casefold())
        if identity in seen:
            problems.append(
                _("Zeile %(line)s: dieselbe Leistung steht schon in Zeile %(first)s.")
                % {"line": row.line, "first": seen[identity]}
            )
            continue
        seen[identity] = row.line
        target = _target(row_mandant, fields, lookup)
        if isinstance(target, str):
            problems.append(_("Zeile %(line)s: %(problem)s") % {"line": row.line, "problem": target})
            continue
        if target.pk is not None:
            if ("entry", target.pk) in seen:
                problems.append(
                    _("Zeile %(line)s: dieselbe Leistung steht schon in Zeile %(first)s.")
                    % {"line": row.line, "first": seen[("entry", target.pk)]}
                )
                continue
            seen[("entry", target.pk)] = row.line
        # Checked on a copy: the entries stay untouched until the whole file has passed.
        candidate = Service(pk=target.pk, mandant=row_mandant, **fields)
        try:
            service_check(candidate)
        except ValidationError as exc:
            for messages in exc.message_dict.values():
                problems.extend(
                    _("Zeile %(line)s: %(problem)s") % {"line": row.line, "problem": message} for message in messages
                )
            continue
        planned.append(_Planned(line=row.line, service=target, fields=fields))
    assistants = {}
    for plan in planned:
        assistant = plan.fields.get("assistant")
        if assistant is not None:
            if assistant.pk in assistants:
                problems.append(
                    _("Zeile %(line)s: Der Antragsassistent „%(slug)s“ steht schon in Zeile %(first)s.")
                    % {"line": plan.line, "slug": assistant.slug, "first": assistants[assistant.pk]}
                )
            assistants[assistant.pk] = plan.line
    if len(problems) > MAX_PROBLEMS:
        problems = [*problems[:MAX_PROBLEMS], _("Weitere Probleme sind nicht aufgeführt.")]
    return planned, problems


def catalogue_import(rows: list[Row], *, mandant: Mandant, actor) -> ImportResult:
    """Write every row, or none: raises ``CatalogueFileError`` with the problems of all rows."""
    planned, problems = catalogue_check(rows, mandant=mandant)
    if problems:
        raise CatalogueFileError(problems)
    result = ImportResult()
    try:
        with transaction.atomic():
            # Entries that give up their assistant go first, so another row may take it over.
            order = sorted(planned, key=lambda plan: plan.fields.get("assistant") is not None)
            for plan in order:
                created = plan.service.pk is None
                service_save(service=plan.service, actor=actor, **plan.fields)
                if created:
                    result.created += 1
                else:
                    result.updated += 1
    except ValidationError as exc:
        # Rows that only clash with each other (a key moving from one entry to another) are caught here.
        raise CatalogueFileError([str(message) for message in exc.messages]) from None
    except IntegrityError:
        raise CatalogueFileError(
            [_("Die Datei widerspricht sich selbst oder dem Katalog (doppelter Schlüssel); nichts wurde gespeichert.")]
        ) from None
    return result


__all__ = [
    "HEADERS",
    "MAX_IMPORT_BYTES",
    "CatalogueFileError",
    "ImportResult",
    "Row",
    "catalogue_check",
    "catalogue_export",
    "catalogue_import",
    "catalogue_read",
    "catalogue_services",
]
