"""Read XDatenfelder 2.0/3.0 messages and genericode code lists into a neutral model.

The XML comes from outside (the FIM portal, XRepository, a colleague's e-mail), so
it is parsed like defusedxml would: no DTD, no entity expansion, no network.
"""

import json
import re
from dataclasses import dataclass, field

from lxml import etree

NS_XDF2 = "urn:xoev-de:fim:standard:xdatenfelder_2"
NS_XDF3 = "urn:xoev-de:fim:standard:xdatenfelder_3.0.0"
STANDARDS = {NS_XDF2: "2.0", NS_XDF3: "3.0"}
MAX_BYTES = 20 * 1024 * 1024
MAX_DEPTH = 40
_ANZAHL = re.compile(r"\s*(\d+)\s*:\s*(\d+|\*|n|N)\s*")


class FimError(ValueError):
    """Input that cannot be imported; ``problems`` are German sentences."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else problems
        super().__init__("; ".join(self.problems))


class MissingCodelistsError(FimError):
    """The schema refers to code lists that were not given (one problem per list)."""


@dataclass
class Rule:
    id: str
    version: str
    name: str
    text: str
    script: str


@dataclass
class CodeListRef:
    id: str
    uri: str
    version: str
    version_uri: str

    @property
    def label(self) -> str:
        return self.id or self.version_uri or self.uri


@dataclass
class Value:
    code: str
    name: str
    help: str = ""


@dataclass
class Field:
    id: str
    version: str
    name: str
    label: str
    help: str
    bezug: list[str]
    feldart: str
    datentyp: str
    praezisierung: dict
    praezisierung_error: str
    inhalt: str
    codelist: CodeListRef | None
    values: list[Value]
    code_key: str
    name_key: str
    media_types: list[str]
    max_size: str
    rules: list[Rule]


@dataclass
class Group:
    id: str
    version: str
    name: str
    label: str
    help: str
    bezug: list[str]
    rules: list[Rule]
    children: list["Child"]


@dataclass
class Child:
    element: Field | Group
    min: int
    max: int | None  # None: unbounded ("n", "*")
    anzahl: str
    anzahl_valid: bool
    bezug: list[str]


@dataclass
class Message:
    standard: str  # "2.0" or "3.0"
    kind: str  # "stammdatenschema" or "datenfeldgruppe"
    root: Group  # the schema itself is a group without a multiplicity
    codelist_refs: list[CodeListRef] = field(default_factory=list)


@dataclass
class CodeList:
    uri: str
    version: str
    version_uri: str
    name: str
    columns: list[str]
    key_column: str
    name_column: str
    rows: list[dict[str, str]]
    source: str = ""

    def items(self, code_key: str = "", name_key: str = "") -> list[Value]:
        code_col = code_key if code_key in self.columns else self.key_column
        name_col = name_key if name_key in self.columns else self.name_column
        return [
            Value(code=row.get(code_col, ""), name=row.get(name_col, "") or row.get(code_col, "")) for row in self.rows
        ]


def parse_xml(content: bytes, name: str) -> etree._Element:
    """Parse untrusted XML: no DTD, no entities, no network, no huge trees."""
    if len(content) > MAX_BYTES:
        raise FimError(f"„{name}“ ist zu groß (höchstens {MAX_BYTES // (1024 * 1024)} MB).")
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as exc:
        raise FimError(f"„{name}“ ist kein wohlgeformtes XML (Zeile {exc.lineno}): {exc.msg}") from exc
    if root is None:
        raise FimError(f"„{name}“ enthält kein XML-Element.")
    if root.getroottree().docinfo.internalDTD is not None:
        raise FimError(f"„{name}“ enthält eine DTD; das ist aus Sicherheitsgründen nicht erlaubt.")
    return root


def _local(element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


class _Reader:
    def __init__(self, ns: str, name: str):
        self.ns = ns
        self.name = name
        self.standard = STANDARDS[ns]
        self.refs: list[CodeListRef] = []

    def q(self, tag: str) -> str:
        return f"{{{self.ns}}}{tag}"

    def child(self, element, tag: str):
        return element.find(self.q(tag))

    def text(self, element, tag: str, *, keep_lines: bool = False) -> str:
        node = element.find(self.q(tag))
        return _clean(node.text if node is not None else "", keep_lines=keep_lines)

    def code(self, element, tag: str) -> str:
        node = element.find(self.q(tag))
        if node is None:
            return ""
        code = node.find("code")
        if code is None:
            code = node.find(self.q("code"))
        return _clean(code.text if code is not None else "")

    def bezug(self, element) -> list[str]:
        refs = []
        for node in element.findall(self.q("bezug")):
            text = _clean(node.text or "")
            link = (node.get("link") or "").strip()
            if text and link:
                refs.append(f"{text} ({link})")
            elif text or link:
                refs.append(text or link)
        return refs

    def identification(self, element, what: str) -> tuple[str, str]:
        ident = self.child(element, "identifikation")
        id_ = self.text(ident, "id") if ident is not None else ""
        if not id_:
            raise FimError(f"„{self.name}“: Ein Element „{what}“ hat keine Identifikation (xdf:identifikation/xdf:id).")
        return id_, self.text(ident, "version")

    def rules(self, element) -> list[Rule]:
        rules = []
        for node in element.findall(self.q("regel")):
            id_, version = self.identification(node, "regel")
            text = (
                self.text(node, "freitextRegel", keep_lines=True)
                or self.text(node, "definition", keep_lines=True)
                or self.text(node, "beschreibung", keep_lines=True)
            )
            script = self.text(node, "skript", keep_lines=True) or self.text(node, "script", keep_lines=True)
            rules.append(
                Rule(
                    id=id_,
                    version=version,
                    name=self.text(node, "name") or self.text(node, "bezeichnungEingabe") or id_,
                    text=text,
                    script=script,
                )
            )
        return rules

    def group(self, element, depth: int) -> Group:
        if depth > MAX_DEPTH:
            raise FimError(f"„{self.name}“ ist zu tief verschachtelt (mehr als {MAX_DEPTH} Ebenen).")
        id_, version = self.identification(element, "datenfeldgruppe")
        name = self.text(element, "name")
        return Group(
            id=id_,
            version=version,
            name=name,
            label=self.text(element, "bezeichnungEingabe") or self.text(element, "bezeichnung") or name or id_,
            help=self.text(element, "hilfetextEingabe", keep_lines=True)
            or self.text(element, "hilfetext", keep_lines=True),
            bezug=self.bezug(element),
            rules=self.rules(element),
            children=self.children(element, depth),
        )

    def children(self, element, depth: int) -> list[Child]:
        children = []
        for struktur in element.findall(self.q("struktur")):
            anzahl = self.text(struktur, "anzahl")
            match = _ANZAHL.fullmatch(anzahl)
            low, high, valid = 0, 1, bool(match)
            if match:
                low = int(match.group(1))
                high = None if match.group(2) in {"*", "n", "N"} else int(match.group(2))
            enthaelt = self.child(struktur, "enthaelt")
            for node in enthaelt if enthaelt is not None else ():
                kind = _local(node)
                if kind == "datenfeldgruppe":
                    item: Field | Group = self.group(node, depth + 1)
                elif kind == "datenfeld":
                    item = self.field(node)
                else:
                    continue
                bezug = self.bezug(struktur)
                children.append(Child(element=item, min=low, max=high, anzahl=anzahl, anzahl_valid=valid, bezug=bezug))
        return children

    def field(self, element) -> Field:
        id_, version = self.identification(element, "datenfeld")
        name = self.text(element, "name")
        praezisierung, problem = self.praezisierung(element)
        values = []
        werte = self.child(element, "werte")
        if werte is not None:
            for wert in werte.findall(self.q("wert")):
                code = self.text(wert, "code")
                values.append(Value(code=code, name=self.text(wert, "name") or code, help=self.text(wert, "hilfe")))
        ref = self.codelist_ref(element.find(self.q("codelisteReferenz")))
        if ref is not None:
            self.refs.append(ref)
        return Field(
            id=id_,
            version=version,
            name=name,
            label=self.text(element, "bezeichnungEingabe") or name or id_,
            help=self.text(element, "hilfetextEingabe", keep_lines=True),
            bezug=self.bezug(element),
            feldart=self.code(element, "feldart") or "input",
            datentyp=self.code(element, "datentyp") or "text",
            praezisierung=praezisierung,
            praezisierung_error=problem,
            inhalt=self.text(element, "inhalt", keep_lines=True),
            codelist=ref,
            values=values,
            code_key=self.text(element, "codeKey"),
            name_key=self.text(element, "nameKey"),
            media_types=[_clean(n.text or "") for n in element.findall(self.q("mediaType")) if _clean(n.text or "")],
            max_size=self.text(element, "maxSize"),
            rules=self.rules(element),
        )

    def praezisierung(self, element) -> tuple[dict, str]:
        node = self.child(element, "praezisierung")
        if node is None:
            return {}, ""
        found = {key: value for key, value in node.attrib.items() if value != ""}
        text = _clean(node.text or "")
        if text.startswith("{"):
            # XDatenfelder 2 writes the constraints as a JSON object in the element text.
            try:
                data = json.loads(text)
            except ValueError:
                return found, text
            if not isinstance(data, dict):
                return found, text
            found.update({str(key): str(value) for key, value in data.items() if value not in (None, "")})
        elif text:
            return found, text
        return found, ""

    def codelist_ref(self, node) -> CodeListRef | None:
        if node is None:
            return None
        ident = self.child(node, "identifikation")
        gc = self.child(node, "genericodeIdentification")
        holder = gc if gc is not None else node
        return CodeListRef(
            id=self.text(ident, "id") if ident is not None else "",
            uri=self.text(holder, "canonicalIdentification"),
            version=self.text(holder, "version"),
            version_uri=self.text(holder, "canonicalVersionUri"),
        )


def _clean(text: str, *, keep_lines: bool = False) -> str:
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    if keep_lines:
        lines = [" ".join(line.split()) for line in text.split("\n")]
        return "\n".join(lines).strip()
    return " ".join(text.split())


def read_message(content: bytes, name: str = "Datei") -> Message:
    """An XDatenfelder Stammdatenschema or Datenfeldgruppe message (2.0 or 3.0)."""
    root = parse_xml(content, name)
    ns = etree.QName(root).namespace or ""
    local = etree.QName(root).localname
    if ns not in STANDARDS:
        raise FimError(
            f"„{name}“ ist keine XDatenfelder-Nachricht der Version 2.0 oder 3.0 "
            f"(Wurzelelement „{local}“, Namensraum „{ns or 'keiner'}“)."
        )
    if local.startswith("xdatenfelder.stammdatenschema"):
        kind = "stammdatenschema"
    elif local.startswith("xdatenfelder.datenfeldgruppe"):
        kind = "datenfeldgruppe"
    else:
        raise FimError(
            f"„{name}“: Die Nachricht „{local}“ wird nicht unterstützt. "
            "Importiert werden Stammdatenschemata und Datenfeldgruppen."
        )
    reader = _Reader(ns, name)
    body = reader.child(root, kind)
    if body is None:
        raise FimError(f"„{name}“: Das Element „xdf:{kind}“ fehlt.")
    group = reader.group(body, 0)
    if kind == "stammdatenschema":
        group.label = reader.text(body, "bezeichnung") or group.label
        group.help = group.help or reader.text(body, "hilfetext", keep_lines=True)
    return Message(standard=reader.standard, kind=kind, root=group, codelist_refs=reader.refs)


def read_codelist(content: bytes, name: str = "Codeliste") -> CodeList:
    """A genericode 1.0 code list (as published in XRepository)."""
    root = parse_xml(content, name)
    if _local(root) != "CodeList":
        raise FimError(f"„{name}“ ist keine genericode-Codeliste (Wurzelelement „{_local(root)}“).")

    def find(parent, tag):
        for node in parent if parent is not None else ():
            if _local(node) == tag:
                return node
        return None

    def find_all(parent, tag):
        return [node for node in (parent if parent is not None else ()) if _local(node) == tag]

    def text(parent, tag):
        node = find(parent, tag)
        return _clean(node.text or "") if node is not None else ""

    ident = find(root, "Identification")
    uri = text(ident, "CanonicalUri")
    if not uri:
        raise FimError(f"„{name}“: Der genericode-Codeliste fehlt die Kennung (CanonicalUri).")
    column_set = find(root, "ColumnSet")
    columns = [node.get("Id", "") for node in find_all(column_set, "Column")]
    keys = {node.get("Id", ""): find(node, "ColumnRef") for node in find_all(column_set, "Key")}
    key_refs = {key: node.get("Ref", "") for key, node in keys.items() if node is not None}
    key_column = key_refs.get("codeKey") or next(iter(key_refs.values()), "") or (columns[0] if columns else "")
    name_column = key_refs.get("codenameKey") or ""
    if not name_column:
        named = [c for c in columns if c.lower() in {"name", "wert", "bezeichnung", "beschreibung"}]
        others = [c for c in columns if c != key_column]
        name_column = named[0] if named else (others[0] if others else key_column)
    rows = []
    for row in find_all(find(root, "SimpleCodeList"), "Row"):
        values: dict[str, str] = {}
        for position, value in enumerate(find_all(row, "Value")):
            column = value.get("ColumnRef") or (columns[position] if position < len(columns) else "")
            values[column] = text(value, "SimpleValue")
        rows.append(values)
    return CodeList(
        uri=uri,
        version=text(ident, "Version"),
        version_uri=text(ident, "CanonicalVersionUri"),
        name=text(ident, "ShortName") or uri,
        columns=columns,
        key_column=key_column,
        name_column=name_column,
        rows=rows,
        source=name,
    )
