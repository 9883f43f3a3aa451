"""The JSON Schema (2020-12) of what an assistant's submissions hold, for Fachverfahren.

It describes ``{"answers": {...}, "computed": {...}}`` as stored and handed off: answers
are keyed by the fields' keys, groups are transparent, a repeat is an array of objects.
Decimal and money values are strings, so no cent is lost to a float. What depends on
other answers (``visible_if``, ``required_if``, cross-field checks) cannot be said in
the schema without re-implementing the rules, so a field is listed as required only
when nothing can hide it or make it optional; the server checks the rest. A field of an
assistant imported from FIM carries ``x-fim`` with the FIM id and version.
"""

from __future__ import annotations

from typing import Any

from .definition import Definition, Element, localized

DIALECT = "https://json-schema.org/draft/2020-12/schema"
DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
ADDRESS = {
    "type": "object",
    "properties": {
        "street": {"type": "string"},
        "house_number": {"type": "string"},
        "postal_code": {"type": "string", "pattern": "^[0-9]{5}$"},
        "city": {"type": "string"},
    },
    "required": ["street", "house_number", "postal_code", "city"],
    "additionalProperties": False,
}


def submission_schema(definition: Definition, *, schema_id: str = "") -> dict:
    answers = _object(
        [
            (element, shown and not step.visible_if)
            for step in definition.steps
            for element, shown in _inputs(step.elements)
        ]
    )
    schema: dict[str, Any] = {"$schema": DIALECT}
    if schema_id:
        schema["$id"] = schema_id
    schema.update(
        {
            "title": str(localized(definition.title, "de") or definition.slug),
            "type": "object",
            "properties": {
                "answers": answers,
                "computed": {
                    "type": "object",
                    "properties": {item.key: _computed(item.type) for item in definition.computed},
                    "additionalProperties": False,
                },
            },
            "required": ["answers"],
            "additionalProperties": False,
        }
    )
    if definition.fim:
        schema["x-fim"] = {key: definition.fim[key] for key in ("id", "version") if key in definition.fim}
    return schema


def _inputs(elements, *, always_shown: bool = True) -> list[tuple[Element, bool]]:
    """Inputs with whether nothing on their way (a group's condition, their own) can hide them."""
    found = []
    for element in elements:
        shown = always_shown and not element.visible_if
        if element.type == "group":
            found.extend(_inputs(element.elements, always_shown=shown))
        elif element.is_input:
            found.append((element, shown))
    return found


def _object(inputs: list[tuple[Element, bool]]) -> dict:
    properties, required = {}, []
    for element, shown in inputs:
        always_required = element.required and not element.required_if
        properties[element.key] = _value(element, nullable=not always_required)
        if always_required and shown:
            required.append(element.key)
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    return schema


def _value(element: Element, *, nullable: bool) -> dict:
    schema = _typed(element)
    label = localized(element.label, "de")
    if label:
        schema["title"] = str(label)
    if element.fim:
        schema["x-fim"] = {key: element.fim[key] for key in ("id", "version") if key in element.fim}
    if nullable and "type" in schema:
        schema["type"] = [schema["type"], "null"]
    return schema


def _typed(element: Element) -> dict:
    kind, rules = element.type, element.validation
    if kind == "repeat":
        item = _object(_inputs(element.elements))
        schema = {"type": "array", "items": item, "maxItems": element.max_items}
        if element.min_items:
            schema["minItems"] = element.min_items
        return schema
    if kind in {"select", "radio"}:
        return {"type": "string", "enum": [option.value for option in element.options]}
    if kind == "checkboxes":
        schema = {"type": "array", "items": {"enum": [option.value for option in element.options]}, "uniqueItems": True}
        if "min" in rules:
            schema["minItems"] = int(rules["min"])
        if "max" in rules:
            schema["maxItems"] = int(rules["max"])
        return schema
    if kind == "yesno":
        return {"type": "boolean"}
    if kind == "declaration":
        return {"const": True}
    if kind == "address":
        return dict(ADDRESS)
    if kind == "file":
        schema = {"type": "array", "items": {"type": "string", "format": "uuid"}}
        if element.file.get("max_files"):
            schema["maxItems"] = int(element.file["max_files"])
        return schema
    if kind == "integer":
        schema = {"type": "integer"}
        if "min" in rules:
            schema["minimum"] = rules["min"]
        if "max" in rules:
            schema["maximum"] = rules["max"]
        return schema
    if kind in {"decimal", "money"}:
        return {"type": "string", "pattern": DECIMAL_PATTERN}
    if kind == "date":
        return {"type": "string", "format": "date"}
    schema: dict[str, Any] = {"type": "string"}
    if kind == "email":
        schema["format"] = "email"
    for source, target in (("min_length", "minLength"), ("max_length", "maxLength")):
        if source in rules:
            schema[target] = rules[source]
    if rules.get("pattern"):
        schema["pattern"] = f"^(?:{rules['pattern']})$"  # the server matches the whole value
    return schema


def _computed(kind: str) -> dict:
    if kind == "integer":
        return {"type": ["integer", "null"]}
    if kind in {"money", "decimal"}:
        return {"type": ["string", "null"], "pattern": DECIMAL_PATTERN}
    return {}
