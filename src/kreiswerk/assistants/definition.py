"""The assistant definition: parsing, validation and the typed view the runner uses.

A definition is our own format (``kreiswerk-assistant/1``), described in
docs/assistants.md and validated by ``schema/assistant-1.schema.json``.
"""

import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
import yaml
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import get_language

from . import rules

FORMAT = "kreiswerk-assistant/1"
INPUT_TYPES = {
    "text",
    "textarea",
    "integer",
    "decimal",
    "money",
    "date",
    "email",
    "phone",
    "address",
    "iban",
    "select",
    "radio",
    "checkboxes",
    "yesno",
    "file",
    "declaration",
    "repeat",
}
CHOICE_TYPES = {"select", "radio", "checkboxes"}
# The schema's patterns end in "$", which also matches before a final newline in Python.
_KEY = re.compile(r"[a-z][a-z0-9_]{0,62}")
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{1,62}")


class DefinitionError(ValueError):
    """A definition that cannot be used; ``problems`` are German sentences for the form builder."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def localized(value: Any, language: str | None = None) -> str:
    """A text of the definition in the citizen's language, falling back to German."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    language = (language or get_language() or "de")[:2]
    return value.get(language) or value.get("de", "")


@dataclass(frozen=True)
class Option:
    value: str
    label: Any


@dataclass(frozen=True)
class Element:
    key: str
    type: str
    label: Any = None
    help: Any = None
    text: Any = None
    required: bool = False
    required_if: Any = None
    visible_if: Any = None
    validation: dict = field(default_factory=dict)
    autocomplete: str = ""
    options: tuple[Option, ...] = ()
    codelist: str = ""
    file: dict = field(default_factory=dict)
    elements: tuple["Element", ...] = ()
    min_items: int = 0
    max_items: int = 10
    item_label: Any = None
    fim: dict = field(default_factory=dict)
    prefill: str = ""

    @property
    def is_input(self) -> bool:
        return self.type in INPUT_TYPES

    def inputs(self) -> list["Element"]:
        """Input elements at this level; groups are transparent, repeats are one input."""
        if self.type == "group":
            return [leaf for child in self.elements for leaf in child.inputs()]
        return [self] if self.is_input else []


@dataclass(frozen=True)
class Check:
    rule: Any
    message: Any
    field: str | None = None


@dataclass(frozen=True)
class Step:
    key: str
    title: Any
    elements: tuple[Element, ...]
    intro: Any = None
    visible_if: Any = None
    checks: tuple[Check, ...] = ()
    fim: dict = field(default_factory=dict)

    def inputs(self) -> list[Element]:
        return [leaf for element in self.elements for leaf in element.inputs()]


@dataclass(frozen=True)
class Computed:
    key: str
    label: Any
    rule: Any
    type: str = "money"


@dataclass(frozen=True)
class Definition:
    slug: str
    title: Any
    steps: tuple[Step, ...]
    summary: Any = None
    audience: str = "public"
    languages: tuple[str, ...] = ("de",)
    leika: str = ""
    keywords: tuple[str, ...] = ()
    start: dict = field(default_factory=dict)
    publication: dict = field(default_factory=dict)
    retention_days: int | None = None
    confirmation_email_field: str | None = None
    computed: tuple[Computed, ...] = ()
    fee: str | None = None
    fee_items: tuple[str, ...] = ()
    booking: dict = field(default_factory=dict)
    identity: dict = field(default_factory=dict)
    checks: tuple[Check, ...] = ()
    fim: dict = field(default_factory=dict)
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    def inputs(self) -> list[Element]:
        return [leaf for step in self.steps for leaf in step.inputs()]

    def element(self, key: str) -> Element:
        for element in self._all_elements():
            if element.key == key:
                return element
        raise KeyError(key)

    def _all_elements(self):
        for step in self.steps:
            yield from _walk(step.elements)

    def step(self, key: str) -> Step:
        for step in self.steps:
            if step.key == key:
                return step
        raise KeyError(key)

    def step_of(self, key: str) -> Step:
        for step in self.steps:
            if any(element.key == key for element in _walk(step.elements)):
                return step
        raise KeyError(key)


def _walk(elements):
    for element in elements:
        yield element
        yield from _walk(element.elements)


@cache
def json_schema() -> dict:
    text = resources.files("kreiswerk.assistants").joinpath("schema/assistant-1.schema.json")
    return json.loads(text.read_text(encoding="utf-8"))


class _DefinitionLoader(yaml.SafeLoader):
    """Safe YAML without aliases (no "billion laughs") and without implicit dates (not JSON)."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise DefinitionError(["YAML-Verweise (Anker und Aliase) sind in Definitionen nicht erlaubt."])
        return super().compose_node(parent, index)


_DefinitionLoader.yaml_implicit_resolvers = {
    first: [resolver for resolver in resolvers if resolver[0] != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_text(content: str | bytes) -> dict:
    """Read a definition file (JSON or YAML; JSON is YAML, but JSON first gives better errors)."""
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DefinitionError(["Die Datei ist nicht in UTF-8 kodiert."]) from exc
    try:
        try:
            data = json.loads(content)
        except ValueError:
            try:
                loader = _DefinitionLoader(content)
                try:
                    data = loader.get_single_data()
                finally:
                    loader.dispose()
            except yaml.YAMLError as exc:
                raise DefinitionError([f"Die Datei ist weder gültiges JSON noch YAML: {exc}"]) from exc
    except RecursionError as exc:
        raise DefinitionError(["Die Datei ist zu tief verschachtelt."]) from exc
    if not isinstance(data, dict):
        raise DefinitionError(["Die Datei enthält keine Assistenten-Definition (Objekt erwartet)."])
    return data


class _DefinitionDumper(yaml.SafeDumper):
    """Writes no anchors: the loader refuses them, so an export must re-import."""

    def ignore_aliases(self, data) -> bool:
        return True


def dump_text(data: dict, fmt: str = "yaml") -> str:
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return yaml.dump(data, Dumper=_DefinitionDumper, allow_unicode=True, sort_keys=False, width=100)


def parse(data: dict) -> Definition:
    """Validate ``data`` against the JSON Schema and the semantic rules, then build it."""
    validator = jsonschema.Draft202012Validator(json_schema())
    try:
        errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    except RecursionError as exc:
        raise DefinitionError(["Die Definition ist zu tief verschachtelt."]) from exc
    problems = [f"{'/'.join(str(p) for p in e.absolute_path) or '(Wurzel)'}: {_german(e)}" for e in errors]
    if problems:
        raise DefinitionError(problems)
    definition = build(data)
    problems = _semantic_problems(definition, data)
    for moment in definition.publication.values():
        try:
            parse_moment(moment)
        except DefinitionError as exc:
            problems.extend(exc.problems)
    if problems:
        raise DefinitionError(problems)
    return definition


def _german(error: jsonschema.ValidationError) -> str:
    """jsonschema's messages are English; form builders read German."""
    instance, expected = error.instance, error.validator_value
    kind = error.validator
    if kind == "required":
        missing = [key for key in expected if isinstance(instance, dict) and key not in instance]
        return f"Die Angabe „{', '.join(missing)}“ fehlt."
    if kind == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        extra = [key for key in instance if key not in allowed] if isinstance(instance, dict) else []
        return f"Unbekannte Angabe „{', '.join(map(str, extra))}“."
    if kind == "enum":
        return f"Der Wert „{instance}“ ist nicht erlaubt. Erlaubt: {', '.join(map(str, expected))}."
    if kind == "const":
        return f"Der Wert muss „{expected}“ lauten."
    if kind == "type":
        names = {
            "string": "Text",
            "object": "Objekt",
            "array": "Liste",
            "integer": "ganze Zahl",
            "number": "Zahl",
            "boolean": "ja/nein (true/false)",
            "null": "leer",
        }
        wanted = expected if isinstance(expected, list) else [expected]
        return f"Falscher Typ, erwartet: {' oder '.join(names.get(w, w) for w in wanted)}."
    if kind == "pattern":
        return f"„{instance}“ hat nicht das erwartete Format ({expected})."
    if kind in {"minItems", "minLength", "minimum", "exclusiveMinimum"}:
        return f"Der Wert ist zu klein oder zu kurz (Mindestwert {expected})."
    if kind in {"maxItems", "maxLength", "maximum"}:
        return f"Der Wert ist zu groß oder zu lang (Höchstwert {expected})."
    if kind == "uniqueItems":
        return "Die Liste enthält einen Eintrag doppelt."
    if kind == "contains":
        return "Die Liste muss „de“ (Deutsch) enthalten."
    if kind == "oneOf":
        return "Genau eine der Möglichkeiten muss angegeben sein (z. B. codelist oder options)."
    return f"Ungültiger Wert ({kind})."


def parse_moment(value):
    """An ISO date-time of the publication window; naive values are local time."""
    if not value:
        return None
    try:
        moment = parse_datetime(value)
    except ValueError:
        moment = None
    if moment is None:
        raise DefinitionError([f"„{value}“ ist kein gültiger Zeitpunkt (ISO 8601, z. B. 2026-04-01T00:00:00)."])
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def build(data: dict) -> Definition:
    codelists = data.get("codelists", {})

    def options_of(raw: dict) -> tuple[Option, ...]:
        items = raw.get("options")
        if items is None and raw.get("codelist") in codelists:
            items = codelists[raw["codelist"]]["items"]
        return tuple(Option(value=item["value"], label=item["label"]) for item in items or ())

    def element(raw: dict) -> Element:
        return Element(
            key=raw["key"],
            type=raw["type"],
            label=raw.get("label"),
            help=raw.get("help"),
            text=raw.get("text"),
            required=bool(raw.get("required", False)),
            required_if=raw.get("required_if"),
            visible_if=raw.get("visible_if"),
            validation=dict(raw.get("validation", {})),
            autocomplete=raw.get("autocomplete", ""),
            options=options_of(raw),
            codelist=raw.get("codelist", ""),
            file=dict(raw.get("file", {})),
            elements=tuple(element(child) for child in raw.get("elements", ())),
            min_items=raw.get("min_items", 1 if raw.get("required") else 0),
            max_items=raw.get("max_items", 10),
            item_label=raw.get("item_label"),
            fim=dict(raw.get("fim", {})),
            prefill=raw.get("prefill", ""),
        )

    def checks(raw: list) -> tuple[Check, ...]:
        return tuple(Check(rule=c["rule"], message=c["message"], field=c.get("field")) for c in raw)

    return Definition(
        slug=data["slug"],
        title=data["title"],
        summary=data.get("summary"),
        audience=data.get("audience", "public"),
        languages=tuple(data.get("languages", ["de"])),
        leika=data.get("leika", ""),
        keywords=tuple(data.get("keywords", ())),
        start=dict(data.get("start", {})),
        publication=dict(data.get("publication", {})),
        retention_days=data.get("retention_days"),
        confirmation_email_field=data.get("confirmation_email_field"),
        computed=tuple(
            Computed(key=c["key"], label=c["label"], rule=c["rule"], type=c.get("type", "money"))
            for c in data.get("computed", ())
        ),
        fee=data.get("fee"),
        fee_items=tuple(data.get("fee_items", ())),
        booking=dict(data.get("booking", {})),
        identity=dict(data.get("identity", {})),
        steps=tuple(
            Step(
                key=s["key"],
                title=s["title"],
                intro=s.get("intro"),
                visible_if=s.get("visible_if"),
                elements=tuple(element(e) for e in s["elements"]),
                checks=checks(s.get("checks", ())),
                fim=dict(s.get("fim", {})),
            )
            for s in data["steps"]
        ),
        checks=checks(data.get("checks", ())),
        fim=dict(data.get("fim", {})),
        raw=data,
    )


# Which field types take which attribute of a login (``prefill``); the rest go into text fields.
PREFILL_TYPES = {"address": {"address"}, "birth_date": {"date"}, "email": {"email", "text"}, "phone": {"phone", "text"}}


def _semantic_problems(definition: Definition, data: dict) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()

    def note_key(key: str, where: str) -> None:
        if not _KEY.fullmatch(key):
            problems.append(f"{where}: „{key!r}“ ist kein gültiger Schlüssel (a–z, 0–9, _).")
        if key in seen:
            problems.append(f"{where}: Der Schlüssel „{key}“ ist mehrfach vergeben.")
        seen.add(key)

    def note_rule(rule: Any, where: str) -> None:
        if rule is None:
            return
        for problem in rules.validate_rule(rule):
            problems.append(f"{where}: Regel ungültig: {problem}")

    if not _SLUG.fullmatch(definition.slug):
        problems.append(f"slug: „{definition.slug!r}“ ist kein gültiges Kürzel (a–z, 0–9, -).")
    step_keys = [step.key for step in definition.steps]
    for key in step_keys:
        if not _KEY.fullmatch(key):
            problems.append(f"Schritt: „{key!r}“ ist kein gültiger Schlüssel (a–z, 0–9, _).")
    for key in {key for key in step_keys if step_keys.count(key) > 1}:
        problems.append(f"Schritt {key}: Der Schlüssel „{key}“ ist mehrfach vergeben.")
    for step in definition.steps:
        note_rule(step.visible_if, f"Schritt {step.key}")
        for check in step.checks:
            note_rule(check.rule, f"Schritt {step.key}, Prüfung")
        for element in _walk(step.elements):
            where = f"Feld {element.key}"
            note_key(element.key, where)
            note_rule(element.visible_if, where)
            note_rule(element.required_if, where)
            if element.type in CHOICE_TYPES and not element.options:
                problems.append(f"{where}: Die Codeliste „{element.codelist}“ fehlt.")
            if element.type == "repeat" and element.min_items > element.max_items:
                problems.append(f"{where}: min_items ist größer als max_items.")
            if element.type == "repeat" and any(c.type == "repeat" for c in _walk(element.elements)):
                problems.append(f"{where}: Wiederholgruppen können nicht geschachtelt werden.")
            pattern = element.validation.get("pattern")
            if pattern:
                problems.extend(_pattern_problems(pattern, where))
            if element.prefill and element.type not in PREFILL_TYPES.get(element.prefill, {"text"}):
                problems.append(f"{where}: „{element.prefill}“ passt nicht zum Feldtyp „{element.type}“.")
            if element.type == "repeat" and any(child.prefill for child in _walk(element.elements)):
                problems.append(f"{where}: Felder in Wiederholgruppen können nicht vorbelegt werden.")
    for computed in definition.computed:
        note_key(computed.key, f"Berechneter Wert {computed.key}")
        note_rule(computed.rule, f"Berechneter Wert {computed.key}")
    for check in definition.checks:
        note_rule(check.rule, "Prüfung")
    field_keys = {e.key for e in definition._all_elements()}
    for check in [*definition.checks, *(c for s in definition.steps for c in s.checks)]:
        if check.field and check.field not in field_keys:
            problems.append(f"Prüfung: Das Feld „{check.field}“ gibt es nicht.")
    computed_keys = {c.key for c in definition.computed}
    if definition.fee and definition.fee not in computed_keys:
        problems.append(f"Gebühr: Der berechnete Wert „{definition.fee}“ fehlt.")
    if definition.fee_items and not definition.fee:
        problems.append("Gebühr: Positionen (fee_items) gibt es nur mit einer Gebühr (fee).")
    for key in definition.fee_items:
        if key not in computed_keys:
            problems.append(f"Gebühr: Die Position „{key}“ ist kein berechneter Wert.")
    email_field = definition.confirmation_email_field
    if email_field and (email_field not in field_keys or definition.element(email_field).type != "email"):
        problems.append(f"Bestätigung: „{email_field}“ ist kein E-Mail-Feld.")
    return problems


def _pattern_problems(pattern: str, where: str) -> list[str]:
    try:
        re.compile(pattern)
    except re.error as exc:
        return [f"{where}: Das Muster ist kein gültiger regulärer Ausdruck ({exc})."]
    return []
