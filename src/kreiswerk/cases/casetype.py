"""The Vorgangsart definition format ``kreiswerk-casetype/1``.

A Vorgangsart is written as YAML or JSON (see docs/cases.md), checked by
``casetype_build`` and stored unchanged in a version row. Everything the
product needs is read from the built, immutable ``CaseTypeDefinition``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from django.template import Engine, TemplateSyntaxError
from django.utils.translation import gettext as _

from .deadlines import Duration

FORMAT = "kreiswerk-casetype/1"
# Bescheid templates: Django's default tags and filters, no loaders, plain text out.
DECISION_TEMPLATES = Engine(autoescape=False, libraries={})
KEY = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
DISPOSALS = ("archive", "destroy", "offer")
RETENTION_STARTS = ("closure", "end_of_year")


class DefinitionError(ValueError):
    """Every problem of a definition, in German, one line each."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    title: str


@dataclass(frozen=True)
class Status:
    key: str
    title: str
    public: str  # what the applicant reads on "Mein Antrag"
    checklist: tuple[ChecklistItem, ...] = ()
    final: bool = False  # a case may be closed with a result from here


@dataclass(frozen=True)
class Result:
    key: str
    title: str
    public: str
    retention: Duration
    retention_start: str  # "closure" | "end_of_year" (end of the calendar year of closure)
    disposal: str  # "archive" | "destroy" | "offer" (the archive decides)


@dataclass(frozen=True)
class Applicant:
    """Where the applicant's data lies in the answers (keys of the assistant)."""

    name: tuple[str, ...] = ()
    email: str = ""
    phone: str = ""
    address: str = ""


@dataclass(frozen=True)
class Decision:
    requires_cosign: bool = False
    subject: str = ""
    template: str = ""  # Django template text of the Bescheid body


@dataclass(frozen=True)
class CaseTypeDefinition:
    key: str
    title: str
    filing_position: str
    statuses: tuple[Status, ...]
    transitions: dict[str, tuple[str, ...]]
    results: tuple[Result, ...]
    assistant: str = ""
    processing_deadline: Duration | None = None
    approval_fiction: bool = False
    applicant: Applicant = field(default_factory=Applicant)
    decision: Decision | None = None

    @property
    def initial_status(self) -> Status:
        return self.statuses[0]

    def status(self, key: str) -> Status | None:
        return next((status for status in self.statuses if status.key == key), None)

    def result(self, key: str) -> Result | None:
        return next((result for result in self.results if result.key == key), None)

    def next_statuses(self, key: str) -> list[Status]:
        return [status for status in self.statuses if status.key in self.transitions.get(key, ())]


class _Reader:
    """Collects problems instead of stopping at the first, so an author sees all of them."""

    def __init__(self):
        self.problems: list[str] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def text(self, data: dict, name: str, where: str, *, required: bool = True, max_length: int = 200) -> str:
        value = data.get(name, "")
        if value in ("", None):
            if required:
                self.problem(where, _("Angabe „%(name)s“ fehlt.") % {"name": name})
            return ""
        if not isinstance(value, str) or len(value) > max_length:
            self.problem(
                where,
                _("„%(name)s“ muss ein Text mit höchstens %(max)s Zeichen sein.") % {"name": name, "max": max_length},
            )
            return ""
        return value.strip()

    def key(self, data: dict, where: str) -> str:
        value = data.get("key")
        if not isinstance(value, str) or not KEY.match(value):
            self.problem(
                where, _("„key“ muss aus Kleinbuchstaben, Ziffern und _ bestehen und mit einem Buchstaben beginnen.")
            )
            return ""
        return value

    def duration(self, value: Any, where: str) -> Duration | None:
        try:
            return Duration.parse(str(value))
        except ValueError as exc:
            self.problem(where, str(exc))
            return None

    def mapping(self, value: Any, where: str) -> dict:
        if not isinstance(value, dict):
            self.problem(where, _("Hier wird eine Zuordnung (Schlüssel: Wert) erwartet."))
            return {}
        return value

    def items(self, value: Any, where: str) -> list:
        if not isinstance(value, list):
            self.problem(where, _("Hier wird eine Liste erwartet."))
            return []
        return value


def _unique(reader: _Reader, keys: list[str], where: str) -> None:
    seen = set()
    for key in keys:
        if key and key in seen:
            reader.problem(where, _("Der Schlüssel „%(key)s“ kommt mehrfach vor.") % {"key": key})
        seen.add(key)


def _statuses(reader: _Reader, data: dict) -> tuple[Status, ...]:
    statuses = []
    for index, raw in enumerate(reader.items(data.get("statuses"), "statuses"), start=1):
        where = f"statuses[{index}]"
        raw = reader.mapping(raw, where)
        items = []
        for number, item in enumerate(reader.items(raw.get("checklist", []), f"{where}.checklist"), start=1):
            item = reader.mapping(item, f"{where}.checklist[{number}]")
            items.append(
                ChecklistItem(reader.key(item, f"{where}.checklist[{number}]"), reader.text(item, "title", where))
            )
        _unique(reader, [item.key for item in items], f"{where}.checklist")
        statuses.append(
            Status(
                key=reader.key(raw, where),
                title=reader.text(raw, "title", where),
                public=reader.text(raw, "public", where, max_length=500),
                checklist=tuple(items),
                final=bool(raw.get("final", False)),
            )
        )
    if not statuses:
        reader.problem("statuses", _("Eine Vorgangsart braucht mindestens einen Status."))
    elif not any(status.final for status in statuses):
        # Without a marked final status, the last one closes.
        statuses[-1] = replace(statuses[-1], final=True)
    _unique(reader, [status.key for status in statuses], "statuses")
    return tuple(statuses)


def _transitions(reader: _Reader, data: dict, keys: set[str]) -> dict[str, tuple[str, ...]]:
    transitions = {}
    for source, targets in reader.mapping(data.get("transitions", {}), "transitions").items():
        where = f"transitions.{source}"
        if source not in keys:
            reader.problem(where, _("Unbekannter Status „%(key)s“.") % {"key": source})
        targets = [str(target) for target in reader.items(targets, where)]
        for target in targets:
            if target not in keys:
                reader.problem(where, _("Unbekannter Status „%(key)s“.") % {"key": target})
        transitions[str(source)] = tuple(targets)
    return transitions


def _results(reader: _Reader, data: dict) -> tuple[Result, ...]:
    results = []
    for index, raw in enumerate(reader.items(data.get("results"), "results"), start=1):
        where = f"results[{index}]"
        raw = reader.mapping(raw, where)
        start = raw.get("retention_start", "end_of_year")
        disposal = raw.get("disposal", "offer")
        if start not in RETENTION_STARTS:
            reader.problem(where, _("„retention_start“ muss „closure“ oder „end_of_year“ sein."))
        if disposal not in DISPOSALS:
            reader.problem(where, _("„disposal“ muss „archive“, „destroy“ oder „offer“ sein."))
        results.append(
            Result(
                key=reader.key(raw, where),
                title=reader.text(raw, "title", where),
                public=reader.text(raw, "public", where, max_length=500),
                retention=reader.duration(raw.get("retention", ""), f"{where}.retention"),
                retention_start=start,
                disposal=disposal,
            )
        )
    if not results:
        reader.problem("results", _("Eine Vorgangsart braucht mindestens ein Ergebnis."))
    _unique(reader, [result.key for result in results], "results")
    return tuple(results)


def _applicant(reader: _Reader, data: dict) -> Applicant:
    raw = reader.mapping(data.get("applicant", {}), "applicant")
    name = raw.get("name", [])
    name = [name] if isinstance(name, str) else name
    if not isinstance(name, list) or not all(isinstance(item, str) for item in name):
        reader.problem("applicant.name", _("Hier wird eine Liste von Feldschlüsseln erwartet."))
        name = []
    return Applicant(
        name=tuple(name),
        email=reader.text(raw, "email", "applicant", required=False),
        phone=reader.text(raw, "phone", "applicant", required=False),
        address=reader.text(raw, "address", "applicant", required=False),
    )


def _decision(reader: _Reader, data: dict) -> Decision | None:
    if "decision" not in data:
        return None
    raw = reader.mapping(data["decision"], "decision")
    decision = Decision(
        requires_cosign=bool(raw.get("requires_cosign", False)),
        subject=reader.text(raw, "subject", "decision"),
        template=reader.text(raw, "template", "decision", max_length=20000),
    )
    for name in ("subject", "template"):
        try:
            DECISION_TEMPLATES.from_string(getattr(decision, name))
        except TemplateSyntaxError as error:
            reader.problem(f"decision.{name}", _("Die Vorlage ist fehlerhaft: %(error)s") % {"error": error})
    return decision


def casetype_build(data: Any) -> CaseTypeDefinition:
    """Check ``data`` and build the definition; raises DefinitionError listing every problem."""
    reader = _Reader()
    data = reader.mapping(data, _("Definition"))
    if data and data.get("format") != FORMAT:
        reader.problem("format", _("Erwartet wird „%(format)s“.") % {"format": FORMAT})
    statuses = _statuses(reader, data) if data else ()
    deadline = data.get("processing_deadline")
    definition = CaseTypeDefinition(
        key=reader.key(data, "key") if data else "",
        title=reader.text(data, "title", "title"),
        filing_position=reader.text(data, "filing_position", "filing_position", max_length=40),
        statuses=statuses,
        transitions=_transitions(reader, data, {status.key for status in statuses}) if data else {},
        results=_results(reader, data) if data else (),
        assistant=reader.text(data, "assistant", "assistant", required=False, max_length=63),
        processing_deadline=reader.duration(deadline, "processing_deadline") if deadline else None,
        approval_fiction=bool(data.get("approval_fiction", False)),
        applicant=_applicant(reader, data),
        decision=_decision(reader, data),
    )
    if reader.problems:
        raise DefinitionError(reader.problems)
    return definition
