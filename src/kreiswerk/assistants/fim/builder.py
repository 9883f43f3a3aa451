"""Turn a read XDatenfelder message into a ``kreiswerk-assistant/1`` definition and a report.

Nothing is dropped silently: whatever cannot be carried over exactly is either
kept as a note on the element (``fim.notes``) or listed in the report, usually both.
"""

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from ..definition import FORMAT
from .reader import Child, CodeList, CodeListRef, Field, FimError, Group, Message, MissingCodelistsError, Rule, Value

MAX_REPEAT = 100  # the most a kreiswerk repeat allows; FIM's "n" becomes this
RADIO_LIMIT = 7  # up to this many options as radio buttons (GOV.UK advice), more as a drop-down
_TYPES = {
    "text": "text",
    "text_latin": "text",
    "date": "date",
    "time": "text",
    "datetime": "text",
    "bool": "yesno",
    "num": "decimal",
    "num_int": "integer",
    "num_currency": "money",
    "file": "file",
    "obj": "file",
}
_MEDIA_TYPES = {
    "application/pdf": "pdf",
    "image/jpeg": "jpeg",
    "image/png": "png",
    "image/tiff": "tiff",
    "text/plain": "txt",
    "text/csv": "csv",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/xml": "xml",
    "text/xml": "xml",
}
DEFAULT_FILE_TYPES = ["pdf", "jpeg", "png"]
_EMPTY_GROUP = "enthält keine übernehmbaren Felder; nicht übernommen."
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_TRIVIAL_SCRIPT = re.compile(r"function\s+script\s*\(\s*\)\s*\{\s*\}")
# The FIM editor's standard wording for "field B is required when field A has value x".
_REQUIRED_RULE = re.compile(
    r"Wenn (?:im|in dem) Datenfeld (?P<cond>F\d+) (?P<neg>nicht )?(?:der|den) Wert "
    r"(?:\"(?P<q>[^\"]*)\"|„(?P<g>[^“”\"]*)[“”\"]|(?P<bare>[^\s,\"„]+)) "
    r"(?:angegeben|ausgewählt|gewählt|eingetragen|eingegeben) wurde,? (?:dann )?soll "
    r"(?:das (?:Daten)?[Ff]eld )?(?P<target>[FG]\d+) (?:zum|ein) Pflichtfeld werden\.?"
)
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"})


@dataclass
class ReviewItem:
    kind: str  # Feld, Gruppe, Codeliste, Regel, Schema
    fim_id: str
    label: str
    reason: str
    imported: bool = True  # False: the thing is not in the definition at all
    # For rules: the field, group or schema that carries the rule (shown beside it on the assistant's page).
    element_id: str = ""
    element_label: str = ""

    def line(self) -> str:
        label = f" „{self.label}“" if self.label and self.label != self.fim_id else ""
        return f"{self.kind} {self.fim_id}{label}: {self.reason}"


@dataclass
class ImportReport:
    standard: str = ""
    kind: str = ""
    schema_id: str = ""
    schema_version: str = ""
    title: str = ""
    fields_found: int = 0
    fields_imported: int = 0
    groups_found: int = 0
    groups_as_steps: int = 0
    groups_as_groups: int = 0
    groups_as_repeats: int = 0
    codelists_found: int = 0
    codelists_imported: int = 0
    rules_found: int = 0
    rules_translated: int = 0
    items: list[ReviewItem] = field(default_factory=list)

    def review(self, kind: str) -> list[ReviewItem]:
        return [item for item in self.items if item.kind == kind]

    def as_dict(self) -> dict:
        data = asdict(self)
        data["counts"] = {kind: len(self.review(kind)) for kind in ("Schema", "Feld", "Gruppe", "Codeliste", "Regel")}
        return data

    def summary(self) -> str:
        return (
            f"FIM-Import {self.schema_id} V{self.schema_version} (XDatenfelder {self.standard}): "
            f"{self.fields_imported} Felder, {self.rules_translated} Regeln übersetzt, "
            f"{len(self.items)} Punkte zur Prüfung"
        )

    def text(self) -> str:
        kind = "Stammdatenschema" if self.kind == "stammdatenschema" else "Datenfeldgruppe"
        lines = [
            f"FIM-Importbericht: {self.schema_id} Version {self.schema_version} "
            f"(XDatenfelder {self.standard}, {kind}) – „{self.title}“",
            f"  Felder:     {self.fields_found} gefunden, {self.fields_imported} übernommen, "
            f"{len(self.review('Feld'))} zur Prüfung",
            f"  Gruppen:    {self.groups_found} gefunden, {self.groups_as_steps} als Schritt, "
            f"{self.groups_as_groups} als Gruppe, {self.groups_as_repeats} als Wiederholgruppe, "
            f"{len(self.review('Gruppe'))} zur Prüfung",
            f"  Codelisten: {self.codelists_found} gefunden, {self.codelists_imported} übernommen, "
            f"{len(self.review('Codeliste'))} zur Prüfung",
            f"  Regeln:     {self.rules_found} gefunden, {self.rules_translated} übersetzt, "
            f"{len(self.review('Regel'))} zur Prüfung (als Hinweis am Element behalten)",
        ]
        if self.items:
            lines.append(f"Zur Prüfung ({len(self.items)}):")
            lines.extend(f"  - {item.line()}" for item in self.items)
        else:
            lines.append("Nichts zur Prüfung offen.")
        return "\n".join(lines)


@dataclass
class _Entry:
    """An element built from a FIM field or group, for resolving rule references."""

    element: dict
    repeat: str | None
    is_input: bool


@dataclass
class _Optional:
    """An optional FIM group (0:1): its required fields are required once any of its fields is filled."""

    keys: list[str] = field(default_factory=list)
    required: list[dict] = field(default_factory=list)


@dataclass
class _Context:
    repeat: str | None = None
    optional: list[_Optional] = field(default_factory=list)  # innermost last, reset at a repeat
    scopes: list[dict] = field(default_factory=list)  # rule scopes, innermost last

    def inner(self, *, repeat: str | None = None, optional: _Optional | None = None, scope: dict | None = None):
        return _Context(
            repeat=repeat or self.repeat,
            optional=[] if repeat else [*self.optional, *([optional] if optional else [])],
            scopes=[*self.scopes, *([scope] if scope is not None else [])],
        )


class _Builder:
    def __init__(self, message: Message, codelists: list[CodeList], allow_missing_codelists: bool):
        self.message = message
        self.report = ImportReport(
            standard=message.standard,
            kind=message.kind,
            schema_id=message.root.id,
            schema_version=message.root.version,
            title=message.root.label,
        )
        self.keys: set[str] = set()
        self.step_keys: set[str] = set()
        self.codelist_defs: dict[str, dict] = {}
        self.codelist_keys: dict[tuple, str] = {}
        self.pending_rules: list[tuple[Rule, list[dict], dict | None, str, str]] = []
        self.available = codelists
        self.reported_lists: set[str] = set()
        self.resolved: dict[tuple, CodeList | None] = {}
        self._resolve_codelists(allow_missing_codelists)

    # -- code lists -------------------------------------------------------------------------

    def _match(self, ref: CodeListRef) -> CodeList | None:
        for codelist in self.available:
            if ref.version_uri and codelist.version_uri == ref.version_uri:
                return codelist
        candidates = [c for c in self.available if ref.uri and c.uri == ref.uri]
        exact = [c for c in candidates if c.version == ref.version]
        return (exact or candidates or [None])[0]

    def _resolve_codelists(self, allow_missing: bool) -> None:
        missing = []
        for ref in self.message.codelist_refs:
            key = (ref.uri, ref.version, ref.version_uri)
            if key in self.resolved:
                continue
            found = self._match(ref)
            self.resolved[key] = found
            if found is None:
                missing.append(ref)
        if missing and not allow_missing:
            raise MissingCodelistsError(
                [
                    f"Die Codeliste {ref.label} ({ref.uri or 'ohne Kennung'}, Version {ref.version or 'unbekannt'}) "
                    "fehlt. Geben Sie die genericode-Datei aus dem XRepository als weitere Datei an."
                    for ref in missing
                ]
            )

    def _codelist_key(self, name: str) -> str:
        key = _key_from(name, "codeliste")
        candidate, n = key, 2
        while candidate in self.codelist_defs:
            candidate, n = f"{key[:58]}_{n}", n + 1
        return candidate

    def _options(self, fim_field: Field, label: str) -> tuple[dict | None, str]:
        """``{"codelist": key}`` or ``{"options": [...]}`` for a choice field, else a problem."""
        if fim_field.codelist is not None:
            ref = fim_field.codelist
            codelist = self.resolved.get((ref.uri, ref.version, ref.version_uri))
            if codelist is None:
                if ref.label not in self.reported_lists:
                    self.reported_lists.add(ref.label)
                    self.report.items.append(
                        ReviewItem("Codeliste", ref.label, ref.uri, "fehlt; Felder damit als Textfelder.", False)
                    )
                return None, f"Codeliste {ref.label} fehlt"
            cache_key = (ref.uri, ref.version, ref.version_uri, fim_field.code_key, fim_field.name_key)
            if cache_key in self.codelist_keys:
                return {"codelist": self.codelist_keys[cache_key]}, ""
            items, problem = self._items(codelist.items(fim_field.code_key, fim_field.name_key))
            if not items:
                if ref.label not in self.reported_lists:
                    self.reported_lists.add(ref.label)
                    reason = f"enthält keine Werte; nicht übernommen. {problem}".strip()
                    self.report.items.append(ReviewItem("Codeliste", ref.label, codelist.name, reason, False))
                return None, f"Codeliste {ref.label} ist leer"
            if problem:
                self.report.items.append(ReviewItem("Codeliste", ref.label, codelist.name, problem))
            if codelist.version and ref.version and codelist.version != ref.version:
                self.report.items.append(
                    ReviewItem(
                        "Codeliste",
                        ref.label,
                        codelist.name,
                        f"Version {codelist.version} statt der verlangten {ref.version} übernommen.",
                    )
                )
            key = self._codelist_key(ref.id or codelist.name)
            self.codelist_defs[key] = {
                "name": codelist.name,
                "source": codelist.version_uri or f"{codelist.uri}_{codelist.version}",
                "items": items,
            }
            self.codelist_keys[cache_key] = key
            self.report.codelists_imported += 1
            return {"codelist": key}, ""
        if fim_field.values:
            self.report.codelists_found += 1
            items, problem = self._items(fim_field.values)
            if not items:
                self.report.items.append(
                    ReviewItem("Codeliste", fim_field.id, label, "Die eingebettete Werteliste ist leer.", False)
                )
                return None, "Werteliste leer"
            if problem:
                self.report.items.append(ReviewItem("Codeliste", fim_field.id, label, problem))
            self.report.codelists_imported += 1
            return {"options": items}, ""
        return None, "Auswahlfeld ohne Codeliste"

    @staticmethod
    def _items(values: list[Value]) -> tuple[list[dict], str]:
        items, seen, skipped = [], set(), []
        for value in values:
            code = value.code.strip()
            if not code or len(code) > 100 or code in seen:
                skipped.append(code or "(leer)")
                continue
            seen.add(code)
            items.append({"value": code, "label": value.name.strip() or code})
        if not skipped:
            return items, ""
        return items, f"{len(skipped)} Wert(e) leer, doppelt oder zu lang, ausgelassen: {', '.join(skipped[:5])}"

    # -- keys -------------------------------------------------------------------------------

    def key(self, text: str, fallback: str) -> str:
        base = _key_from(text, fallback)
        candidate, n = base, 2
        while candidate in self.keys:
            candidate, n = f"{base}_{n}", n + 1
        self.keys.add(candidate)
        return candidate

    def step_key(self, text: str) -> str:
        base = _key_from(text, "schritt")
        candidate, n = base, 2
        while candidate in self.step_keys:
            candidate, n = f"{base}_{n}", n + 1
        self.step_keys.add(candidate)
        return candidate

    # -- structure --------------------------------------------------------------------------

    def build(self, slug: str) -> dict:
        root = self.message.root
        self.report.codelists_found += len(self.resolved)
        root_scope: dict = {}
        ctx = _Context(scopes=[root_scope])
        steps: list[dict] = []
        loose: list[dict] = []

        def is_step(child: Child) -> bool:
            return isinstance(child.element, Group) and child.max is not None and child.max <= 1

        # Fields between the top-level groups share a step of their own, in document order.
        loose_title = "Weitere Angaben" if any(is_step(c) for c in root.children) else "Angaben"

        def flush_loose() -> None:
            if loose:
                steps.append({"key": self.step_key(loose_title), "title": loose_title, "elements": list(loose)})
                loose.clear()

        for child in root.children:
            if is_step(child):
                flush_loose()
                step = self.step(child, ctx)
                if step is not None:
                    steps.append(step)
            else:
                element = self.element(child, ctx)
                if element is not None:
                    loose.append(element)
        flush_loose()
        if not steps:
            raise FimError(f"„{root.label}“ enthält keine Felder, die übernommen werden können.")
        root_fim = self.fim(root, [])
        for rule in root.rules:
            self.pending_rules.append((rule, [root_scope], root_fim, root.id, root.label))
        self.resolve_rules()
        used = {(key[0], key[1], key[2]) for key in self.codelist_keys}
        for (uri, version, version_uri), codelist in self.resolved.items():
            label = next(
                r.label
                for r in self.message.codelist_refs
                if (r.uri, r.version, r.version_uri) == (uri, version, version_uri)
            )
            if codelist is not None and (uri, version, version_uri) not in used and label not in self.reported_lists:
                reason = "nur von nicht übernommenen Feldern verwendet; nicht übernommen."
                self.report.items.append(ReviewItem("Codeliste", label, codelist.name, reason, False))
        definition: dict[str, Any] = {
            "format": FORMAT,
            "slug": slug,
            "title": root.label[:200],
            "languages": ["de"],
        }
        start = {}
        if root.help:
            start["description"] = root.help
        if root.bezug:
            start["legal_basis"] = "; ".join(root.bezug)
        if start:
            definition["start"] = start
        if self.codelist_defs:
            definition["codelists"] = self.codelist_defs
        root_fim["standard"] = f"xdatenfelder-{self.message.standard}"
        definition["fim"] = root_fim
        definition["steps"] = steps
        return definition

    def fim(self, item: Field | Group, extra_bezug: list[str]) -> dict:
        fim: dict[str, Any] = {"id": item.id, "version": item.version}
        if item.name and item.name != item.label:
            fim["name"] = item.name
        bezug = [*item.bezug, *(b for b in extra_bezug if b not in item.bezug)]
        if bezug:
            fim["legal_basis"] = "; ".join(bezug)
        return fim

    def note(self, element: dict | None, fim: dict | None, text: str) -> None:
        target = fim if fim is not None else (element or {}).get("fim")
        if target is not None:
            target.setdefault("notes", []).append(text)

    def check_anzahl(self, child: Child) -> None:
        if not child.anzahl_valid:
            item = child.element
            kind = "Gruppe" if isinstance(item, Group) else "Feld"
            self.report.items.append(
                ReviewItem(kind, item.id, item.label, f"Anzahl „{child.anzahl}“ unverständlich; als 0:1 übernommen.")
            )

    def step(self, child: Child, ctx: _Context) -> dict | None:
        group: Group = child.element  # type: ignore[assignment]
        self.report.groups_found += 1
        self.check_anzahl(child)
        scope: dict = {}
        optional = _Optional() if child.min == 0 else None
        inner = ctx.inner(optional=optional, scope=scope)
        elements = [e for e in (self.element(c, inner) for c in group.children) if e is not None]
        fim = self.fim(group, child.bezug)
        if not elements:
            self.report.items.append(ReviewItem("Gruppe", group.id, group.label, _EMPTY_GROUP, False))
            self._drop_rules(group)
            return None
        if optional is not None:
            self._finish_optional(optional)
        self.report.groups_as_steps += 1
        self.register(ctx, group.id, {"fim": fim, "key": "", "type": "step"}, is_input=False)
        step: dict[str, Any] = {"key": self.step_key(group.label), "title": group.label}
        if group.help:
            step["intro"] = group.help
        step["elements"] = elements
        step["fim"] = fim
        for rule in group.rules:
            self.pending_rules.append((rule, [*inner.scopes][::-1], fim, group.id, group.label))
        return step

    def register(self, ctx: _Context, fim_id: str, element: dict, *, is_input: bool) -> None:
        entry = _Entry(element=element, repeat=ctx.repeat, is_input=is_input)
        for scope in ctx.scopes:
            scope.setdefault(fim_id, []).append(entry)

    def element(self, child: Child, ctx: _Context) -> dict | None:
        self.check_anzahl(child)
        if isinstance(child.element, Group):
            return self.group(child, ctx)
        return self.field(child, ctx)

    def _finish_optional(self, optional: _Optional) -> None:
        if not optional.required or not optional.keys:
            return
        rule = {"!": [{"missing_some": [1, list(optional.keys)]}]}
        for element in optional.required:
            element["required_if"] = rule

    def _note_input(self, ctx: _Context, key: str, element: dict, required: bool) -> None:
        for optional in ctx.optional:
            optional.keys.append(key)
        if required:
            if ctx.optional:
                ctx.optional[-1].required.append(element)
            else:
                element["required"] = True

    def group(self, child: Child, ctx: _Context) -> dict | None:
        group: Group = child.element  # type: ignore[assignment]
        self.report.groups_found += 1
        fim = self.fim(group, child.bezug)
        repeating = child.max is None or child.max > 1
        if repeating and ctx.repeat:
            repeating = False
            self.report.items.append(
                ReviewItem(
                    "Gruppe",
                    group.id,
                    group.label,
                    f"Wiederholung ({child.anzahl}) innerhalb einer Wiederholgruppe ist nicht möglich; "
                    "als einfache Gruppe übernommen.",
                )
            )
            self.note(None, fim, f"FIM-Anzahl {child.anzahl} (Wiederholung) nicht übernommen.")
        key = self.key(group.name or group.label, "gruppe")
        scope: dict = {}
        optional = _Optional() if child.min == 0 and not repeating else None
        inner = ctx.inner(repeat=key, scope=scope) if repeating else ctx.inner(optional=optional, scope=scope)
        elements = [e for e in (self.element(c, inner) for c in group.children) if e is not None]
        if not elements:
            self.keys.discard(key)
            self.report.items.append(ReviewItem("Gruppe", group.id, group.label, _EMPTY_GROUP, False))
            self._drop_rules(group)
            return None
        element: dict[str, Any] = {"key": key, "type": "repeat" if repeating else "group", "label": group.label}
        if group.help:
            element["help"] = group.help
        if repeating:
            self.report.groups_as_repeats += 1
            min_items, max_items = self._bounds(child, group, fim, "Gruppe")
            if ctx.optional and min_items > 0:
                self.report.items.append(
                    ReviewItem(
                        "Gruppe",
                        group.id,
                        group.label,
                        f"Mindestens {min_items} Einträge verlangt, die Gruppe liegt aber in einer optionalen "
                        "Gruppe; als 0 übernommen.",
                    )
                )
                self.note(None, fim, f"FIM verlangt mindestens {min_items} Einträge (optional übernommen).")
                min_items = 0
            element.update({"item_label": group.label, "min_items": min_items, "max_items": max_items})
            self._note_input(ctx, key, element, required=False)
        else:
            self.report.groups_as_groups += 1
            if optional is not None:
                self._finish_optional(optional)
        element["elements"] = elements
        element["fim"] = fim
        self.register(ctx, group.id, element, is_input=repeating)
        for rule in group.rules:
            self.pending_rules.append((rule, inner.scopes[::-1], fim, group.id, group.label))
        return element

    def _bounds(self, child: Child, item: Field | Group, fim: dict, kind: str) -> tuple[int, int]:
        max_items = MAX_REPEAT if child.max is None else child.max
        if max_items > MAX_REPEAT:
            self.report.items.append(
                ReviewItem(kind, item.id, item.label, f"Höchstanzahl {child.max} auf {MAX_REPEAT} begrenzt.")
            )
            max_items = MAX_REPEAT
        min_items = min(child.min, max_items)
        return min_items, max(max_items, 1)

    def field(self, child: Child, ctx: _Context) -> dict | None:
        fim_field: Field = child.element  # type: ignore[assignment]
        self.report.fields_found += 1
        label = fim_field.label
        fim = self.fim(fim_field, child.bezug)
        review: list[str] = []
        if fim_field.feldart == "hidden":
            self.report.items.append(
                ReviewItem(
                    "Feld",
                    fim_field.id,
                    label,
                    "verstecktes Feld (feldart hidden) nicht übernommen"
                    + (f"; Inhalt „{fim_field.inhalt}“" if fim_field.inhalt else "")
                    + ".",
                    False,
                )
            )
            self._drop_rules(fim_field)
            return None
        key = self.key(fim_field.name or label, "feld")
        if fim_field.feldart in {"label", "locked"}:
            text = fim_field.inhalt or label
            if fim_field.feldart == "locked":
                text = f"{label}: {fim_field.inhalt}" if fim_field.inhalt else label
            element: dict[str, Any] = {"key": key, "type": "info", "text": text, "fim": fim}
            self.report.fields_imported += 1
            self.register(ctx, fim_field.id, element, is_input=False)
            self._queue_rules(fim_field, ctx, fim)
            return element

        kind = _TYPES.get(fim_field.datentyp)
        if kind is None:
            kind = "text"
            review.append(f"unbekannter Datentyp „{fim_field.datentyp}“; als Textfeld übernommen.")
        if fim_field.datentyp in {"datetime", "obj"}:
            review.append(f"Datentyp „{fim_field.datentyp}“ als {'Text' if kind == 'text' else 'Datei'} übernommen.")
        element = {"key": key, "type": kind, "label": label}
        choice = fim_field.feldart == "select" or fim_field.codelist is not None or bool(fim_field.values)
        if fim_field.feldart not in {"input", "select"}:
            review.append(f"unbekannte Feldart „{fim_field.feldart}“; als Eingabefeld übernommen.")
        multiple = child.max is None or child.max > 1
        if choice:
            options, problem = self._options(fim_field, label)
            if options is None:
                review.append(f"{problem}; als Textfeld übernommen.")
                element["type"] = "text"
            else:
                count = len(options.get("options") or self.codelist_defs[options["codelist"]]["items"])
                if multiple:
                    element["type"] = "checkboxes"
                    validation = {}
                    if child.min > 1:
                        validation["min"] = child.min
                    if child.max is not None:
                        validation["max"] = child.max
                    if validation:
                        element["validation"] = validation
                    multiple = False
                else:
                    element["type"] = "radio" if count <= RADIO_LIMIT else "select"
                element.update(options)
        if element["type"] == "file":
            types, problems = self._file_types(fim_field)
            review.extend(problems)
            spec: dict[str, Any] = {"types": types}
            if multiple:
                _, max_files = self._bounds(child, fim_field, fim, "Feld")
                spec["max_files"] = min(max_files, 20)
                multiple = False
            element["file"] = spec
            if fim_field.max_size:
                review.append(f"maxSize={fim_field.max_size} nicht übernommen (es gilt die Serverobergrenze).")
        if fim_field.datentyp == "time" and element["type"] == "text":
            element["validation"] = {
                "pattern": "([01][0-9]|2[0-3]):[0-5][0-9]",
                "pattern_message": "Bitte geben Sie die Uhrzeit in der Form 14:30 ein.",
            }
        if fim_field.help:
            element["help"] = fim_field.help
        review.extend(self._praezisierung(fim_field, element))
        if fim_field.inhalt and fim_field.feldart in {"input", "select"}:
            review.append(f"Vorbelegung „{fim_field.inhalt}“ nicht übernommen (kreiswerk kennt keine Vorbelegung).")
        element["fim"] = fim
        self.report.fields_imported += 1
        for problem in review:
            self.report.items.append(ReviewItem("Feld", fim_field.id, label, problem))
            self.note(element, None, problem)

        if multiple and ctx.repeat:
            problem = (
                f"Mehrfachangabe ({child.anzahl}) in einer Wiederholgruppe nicht möglich; als Einzelfeld übernommen."
            )
            self.report.items.append(ReviewItem("Feld", fim_field.id, label, problem))
            self.note(element, None, problem)
            multiple = False
        if multiple:
            # A repeated single field becomes a repeat with the field as its only entry.
            min_items, max_items = self._bounds(child, fim_field, fim, "Feld")
            if ctx.optional and min_items > 0:
                problem = f"Mindestens {min_items} Angaben verlangt, aber in einer optionalen Gruppe; als 0 übernommen."
                self.report.items.append(ReviewItem("Feld", fim_field.id, label, problem))
                self.note(element, None, problem)
                min_items = 0
            wrapper = {
                "key": self.key(f"{key}_liste", "liste"),
                "type": "repeat",
                "label": label,
                "item_label": label,
                "min_items": min_items,
                "max_items": max_items,
                "elements": [element],
            }
            element["required"] = True
            self.register(ctx, fim_field.id, wrapper, is_input=True)
            self._note_input(ctx, wrapper["key"], wrapper, required=False)
            self._queue_rules(fim_field, ctx, fim)
            return wrapper
        self.register(ctx, fim_field.id, element, is_input=True)
        self._note_input(ctx, key, element, required=child.min >= 1)
        self._queue_rules(fim_field, ctx, fim)
        return element

    def _drop_rules(self, item: Field | Group) -> None:
        for rule in item.rules:
            self.report.rules_found += 1
            reason = f"gehört zum nicht übernommenen Element {item.id}; nicht übernommen."
            self.report.items.append(ReviewItem("Regel", rule.id, rule.name, reason, False, item.id, item.label))

    def _queue_rules(self, fim_field: Field, ctx: _Context, fim: dict) -> None:
        for rule in fim_field.rules:
            self.pending_rules.append((rule, ctx.scopes[::-1], fim, fim_field.id, fim_field.label))

    def _file_types(self, fim_field: Field) -> tuple[list[str], list[str]]:
        if not fim_field.media_types:
            return list(DEFAULT_FILE_TYPES), []
        types, unknown = [], []
        for media in fim_field.media_types:
            mapped = _MEDIA_TYPES.get(media.lower())
            if mapped and mapped not in types:
                types.append(mapped)
            elif not mapped:
                unknown.append(media)
        problems = []
        if unknown:
            problems.append(f"Dateiformate {', '.join(unknown)} werden nicht unterstützt.")
        if not types:
            types = list(DEFAULT_FILE_TYPES)
            problems.append(f"keine unterstützten Dateiformate; {', '.join(types)} angenommen.")
        return types, problems

    def _praezisierung(self, fim_field: Field, element: dict) -> list[str]:
        problems = []
        if fim_field.praezisierung_error:
            problems.append(f"Präzisierung „{fim_field.praezisierung_error}“ unverständlich; nicht übernommen.")
        kind = element["type"]
        validation = element.get("validation", {})
        for name, raw in fim_field.praezisierung.items():
            value = raw.strip()
            applied = False
            if kind in {"radio", "select", "checkboxes"} and name in {"minLength", "maxLength"}:
                continue  # the code list fixes the values, so their length is given
            if kind in {"text", "textarea"} and name in {"minLength", "maxLength"} and value.isdigit():
                number = int(value)
                if name == "minLength" and number > 0:
                    validation["min_length"] = number
                elif name == "maxLength" and number > 0:
                    validation["max_length"] = number
                applied = True
            elif kind in {"text", "textarea"} and name == "pattern":
                if _pattern_ok(value):
                    validation["pattern"] = value
                    applied = True
            elif kind in {"integer", "decimal", "money"} and name in {"minValue", "maxValue"}:
                if _NUMBER.fullmatch(value) and (kind != "integer" or "." not in value):
                    number = float(value) if "." in value else int(value)
                    validation["min" if name == "minValue" else "max"] = number
                    applied = True
            elif kind == "date" and name in {"minValue", "maxValue"} and _ISO_DATE.fullmatch(value):
                validation["min" if name == "minValue" else "max"] = value
                applied = True
            if not applied:
                problems.append(f"Präzisierung {name}=„{value}“ passt nicht zum Feldtyp {kind}; nicht übernommen.")
        if validation.get("min_length", 0) > validation.get("max_length", 10**9):
            problems.append("minLength ist größer als maxLength; minLength nicht übernommen.")
            validation.pop("min_length")
        if validation:
            element["validation"] = validation
        return problems

    # -- rules ------------------------------------------------------------------------------

    def resolve_rules(self) -> None:
        for rule, scopes, fim, owner_id, owner_label in self.pending_rules:
            self.report.rules_found += 1
            problem = self.translate(rule, scopes)
            if problem is None:
                self.report.rules_translated += 1
                continue
            text = rule.text or "(ohne Beschreibung)"
            note = f"Regel {rule.id} V{rule.version} „{rule.name}“: {text}"
            if rule.script and not _TRIVIAL_SCRIPT.fullmatch(" ".join(rule.script.split())):
                note += f" Skript: {rule.script}"
            self.note(None, fim, note)
            reason = f"an {owner_id} „{owner_label}“: {problem}; als Hinweis behalten."
            self.report.items.append(ReviewItem("Regel", rule.id, rule.name, reason, True, owner_id, owner_label))

    def translate(self, rule: Rule, scopes: list[dict]) -> str | None:
        """Translate the standard "required when" wording into ``required_if``; else why not."""
        script = " ".join(rule.script.split())
        if script and not _TRIVIAL_SCRIPT.fullmatch(script):
            return "Skript kann nicht sicher übersetzt werden"
        match = _REQUIRED_RULE.fullmatch(" ".join(rule.text.split()))
        if not match:
            return "Freitextregel nicht automatisch übersetzbar"
        value = next((match.group(g) for g in ("q", "g", "bare") if match.group(g) is not None), "")
        cond, problem = _resolve(match.group("cond"), scopes)
        if cond is None:
            return problem
        target, problem = _resolve(match.group("target"), scopes)
        if target is None:
            return problem
        if not cond.is_input or cond.element.get("type") in {"repeat", "file", "checkboxes"}:
            return f"Bedingungsfeld {match.group('cond')} ist kein einfaches Eingabefeld"
        if not target.is_input and target.element.get("type") != "group":
            return f"Ziel {match.group('target')} ist kein Eingabefeld"
        if target.element.get("type") in {"group", "repeat"}:
            return f"Ziel {match.group('target')} ist eine Gruppe (Pflichtgruppe nicht abbildbar)"
        if cond.repeat and cond.repeat != target.repeat:
            return "Bedingungsfeld liegt in einer anderen Wiederholgruppe"
        var = {"var": cond.element["key"]}
        if value == "":
            condition: Any = {"!": [{"missing": [cond.element["key"]]}]}
            if not match.group("neg"):
                condition = {"!!": [{"missing": [cond.element["key"]]}]}
        else:
            kind = cond.element.get("type")
            if kind in {"radio", "select"}:
                options = cond.element.get("options") or self.codelist_defs[cond.element["codelist"]]["items"]
                if value not in {item["value"] for item in options}:
                    return f"Wert „{value}“ gibt es in der Auswahl von {match.group('cond')} nicht"
            elif kind not in {"text", "textarea"}:
                return f"Vergleich mit „{value}“ bei einem Feld vom Typ {kind} nicht sicher übersetzbar"
            condition = {"!=" if match.group("neg") else "==": [var, value]}
        element = target.element
        if element.get("required") is True:
            return None
        existing = element.get("required_if")
        element["required_if"] = condition if existing is None else {"or": [existing, condition]}
        element.setdefault("fim", {}).setdefault("rules", []).append(rule.id)
        return None


def _resolve(fim_id: str, scopes: list[dict]) -> tuple[_Entry | None, str]:
    for scope in scopes:
        entries = scope.get(fim_id)
        if entries:
            if len(entries) > 1:
                return None, f"{fim_id} kommt im Geltungsbereich mehrfach vor"
            return entries[0], ""
    return None, f"{fim_id} gibt es im Geltungsbereich der Regel nicht"


def _pattern_ok(pattern: str) -> bool:
    if len(pattern) > 500:
        return False
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


def _key_from(text: str, fallback: str) -> str:
    key = re.sub(r"[^a-z0-9]+", "_", text.translate(_UMLAUTS).lower()).strip("_")
    if len(key) > 40:
        key = key[:40].rsplit("_", 1)[0] or key[:40]
    if not key or not key[0].isalpha():
        key = f"{fallback}_{key}".strip("_")
    return key[:50]


def default_slug(message: Message) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", f"fim-{message.root.id}".lower()).strip("-")
    return slug[:63]


def build_definition(
    message: Message,
    codelists: list[CodeList] | None = None,
    *,
    slug: str | None = None,
    allow_missing_codelists: bool = False,
) -> tuple[dict, ImportReport]:
    """The draft definition for ``message`` and the import report."""
    builder = _Builder(message, codelists or [], allow_missing_codelists)
    definition = builder.build(slug or default_slug(message))
    return definition, builder.report
