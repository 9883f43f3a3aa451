"""What a step page shows for each element: ids, names, values, errors, options.

Values come from the stored answers, or, after a failed post, from what the
citizen typed, so nothing typed is lost when a page comes back with errors.
"""

import json
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from kreiswerk.assistants import evaluation, fields, rules, validators
from kreiswerk.assistants.definition import Element, Step, localized
from kreiswerk.submissions.filecheck import accept_attribute, type_labels
from kreiswerk.submissions.uploads import format_size


def step_fields(
    step: Step,
    *,
    answers: dict,
    data: dict,
    errors: dict[str, str],
    raw=None,
    attachments: dict | None = None,
    locked: set[str] = frozenset(),
) -> list[dict]:
    """Contexts for the step's elements; elements hidden by earlier answers are left out.

    ``locked`` fields came from an ID-card login: shown read-only, always with the stored value.
    """
    step_keys = {element.key for element in _walk(step.elements)}
    builder = _Builder(step_keys=step_keys, data=data, errors=errors, raw=raw, attachments=attachments or {})
    builder.locked = locked
    return builder.elements(step.elements, answers, prefix="")


def _walk(elements):
    for element in elements:
        yield element
        yield from _walk(element.elements)


class _Builder:
    def __init__(self, *, step_keys, data, errors, raw, attachments):
        self.step_keys = step_keys
        self.data = data
        self.errors = errors
        self.raw = raw
        self.attachments = attachments

    def elements(self, elements, answers: dict, *, prefix: str, item_data: dict | None = None) -> list[dict]:
        result = []
        data = item_data or self.data
        for element in elements:
            condition = element.visible_if
            dynamic = condition is not None and bool(rules.referenced_vars(condition) & self.step_keys)
            if condition is not None and not dynamic and not evaluation.element_visible(element, data):
                continue
            result.append(self.element(element, answers, prefix=prefix, data=data, dynamic=dynamic))
        return result

    locked: set[str] = frozenset()

    def element(self, element: Element, answers: dict, *, prefix: str, data: dict, dynamic: bool) -> dict:
        if not prefix and element.key in self.locked:
            raw, self.raw = self.raw, None
            try:
                context = self._element(element, answers, prefix=prefix, data=data, dynamic=dynamic)
            finally:
                self.raw = raw
            note = _("Aus Ihrer Anmeldung mit der BundID übernommen; hier nicht änderbar.")
            context.update(locked=True, help=f"{context['help']}\n{note}" if context["help"] else note)
            return context
        return self._element(element, answers, prefix=prefix, data=data, dynamic=dynamic)

    def _element(self, element: Element, answers: dict, *, prefix: str, data: dict, dynamic: bool) -> dict:
        name = f"{prefix}{element.key}"
        context: dict[str, Any] = {
            "type": element.type,
            "template": f"runner/fields/{element.type}.html",
            "key": element.key,
            "name": name,
            "id": f"feld-{name}",
            "label": localized(element.label),
            "help": localized(element.help),
            "text": localized(element.text),
            "required": element.required,
            "conditionally_required": element.required_if is not None,
            "error": self.errors.get(name),
            "autocomplete": element.autocomplete,
            "visible_if": json.dumps(element.visible_if) if dynamic else "",
            "required_if": json.dumps(element.required_if) if element.required_if is not None else "",
        }
        value = answers.get(element.key)
        if element.type == "group":
            context["children"] = self.elements(element.elements, answers, prefix=prefix, item_data=data)
        elif element.type == "repeat":
            context.update(self._repeat(element, value or [], name=name))
        elif element.type in {"select", "radio", "checkboxes", "yesno"}:
            context["options"] = self._options(element, value, name=name)
        elif element.type == "date":
            context["parts"] = self._date_parts(value, name)
        elif element.type == "address":
            context["parts"] = self._address_parts(value, name)
        elif element.type == "file":
            context["files"] = [self.attachments[i] for i in value or [] if i in self.attachments]
            context["accept"] = accept_attribute(element.file.get("types", []))
            context["types_label"] = type_labels(element.file.get("types", []))
            context["max_size"] = element.file.get("max_size_mb")
            context["max_files"] = element.file.get("max_files", 1)
            context["multiple"] = element.file.get("max_files", 1) > 1
            context["can_add"] = len(context["files"]) < context["max_files"]
        elif element.type == "declaration":
            context["checked"] = self._raw(name) == "ja" if self.raw is not None else bool(value)
        else:
            context["value"] = self._raw(name) if self.raw is not None else _input_text(element, value)
            context["inputmode"] = _INPUTMODE.get(element.type, "")
            context["input_type"] = _INPUT_TYPE.get(element.type, "text")
            context["kind"] = element.type
            if element.type in {"money", "decimal", "integer"}:
                context["unit"] = "€" if element.type == "money" else ""
        return context

    def _raw(self, name: str) -> str:
        return self.raw.get(name, "") if self.raw is not None else ""

    def _options(self, element: Element, value, *, name: str) -> list[dict]:
        if element.type == "yesno":
            choices = [
                ("ja", localized({"de": "Ja", "en": "Yes"})),
                ("nein", localized({"de": "Nein", "en": "No"})),
            ]
            selected = {"ja" if value else "nein"} if value is not None else set()
        else:
            choices = [(option.value, localized(option.label)) for option in element.options]
            selected = set(value) if isinstance(value, list) else ({value} if value else set())
        if self.raw is not None:
            selected = set(self.raw.getlist(name))
        return [
            {
                "value": code,
                "label": label,
                "checked": code in selected,
                "id": f"feld-{name}-{index}",
            }
            for index, (code, label) in enumerate(choices)
        ]

    def _date_parts(self, value, name: str) -> dict:
        if self.raw is not None:
            return {part: self.raw.get(f"{name}__{part}", "") for part in ("day", "month", "year")}
        if not value:
            return {"day": "", "month": "", "year": ""}
        year, month, day = value.split("-")
        return {"day": str(int(day)), "month": str(int(month)), "year": year}

    def _address_parts(self, value, name: str) -> dict:
        if self.raw is not None:
            return {part: self.raw.get(f"{name}__{part}", "") for part in fields.ADDRESS_PARTS}
        return {part: (value or {}).get(part, "") for part in fields.ADDRESS_PARTS}

    def _repeat(self, element: Element, items: list, *, name: str) -> dict:
        if self.raw is not None:
            count = min(_int(self.raw.get(f"{name}__rows"), len(items)), element.max_items)
            items = items + [{}] * max(0, count - len(items))
        if not items and element.min_items:
            items = [{}] * element.min_items
        children = [leaf for child in element.elements for leaf in child.inputs()]
        rendered = []
        for index, item in enumerate(items):
            item_data = {**self.data, **evaluation.typed_answers(children, item)}
            rendered.append(
                {
                    "index": index,
                    "number": index + 1,
                    "fields": self.elements(element.elements, item, prefix=f"{name}__{index}__", item_data=item_data),
                }
            )
        return {
            "items": rendered,
            "rows": len(rendered),
            "item_label": localized(element.item_label) or localized(element.label),
            "can_add": len(rendered) < element.max_items,
            "can_remove": len(rendered) > element.min_items,
            "min_items": element.min_items,
            "max_items": element.max_items,
        }


_INPUTMODE = {
    "integer": "numeric",
    "decimal": "decimal",
    "money": "decimal",
    "phone": "tel",
    "email": "email",
}
_INPUT_TYPE = {"email": "email", "phone": "tel"}


def _input_text(element: Element, value) -> str:
    """A stored value as the citizen would type it (German notation)."""
    if value is None:
        return ""
    if element.type == "money":
        return validators.format_decimal(Decimal(value)).replace(".", "")
    if element.type == "decimal":
        return str(value).replace(".", ",")
    if element.type == "iban":
        return validators.format_iban(value)
    return str(value)


def _int(value, default: int) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return default


def attachment_context(attachment) -> dict:
    return {
        "id": str(attachment.id),
        "name": attachment.filename,
        "size": format_size(attachment.size),
        "type": attachment.content_type,
    }
