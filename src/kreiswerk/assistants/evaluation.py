"""The server's authority over answers: visibility, requiredness, computed values, checks.

The same JSON Logic rules run in the browser for instant feedback; what counts
is what is decided here, on every step and again, completely, at submit.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import fields, rules
from .definition import Check, Definition, Element, Step, localized


@dataclass(frozen=True)
class FieldError:
    """An error for one input; ``anchor`` is the id the error summary links to."""

    key: str
    anchor: str
    message: str


def rule_data(definition: Definition, answers: dict) -> dict:
    """The data rules read: answers with exact decimals, plus computed values."""
    data = typed_answers(definition.inputs(), answers)
    for computed in definition.computed:
        data[computed.key] = _computed_value(computed.type, rules.evaluate(computed.rule, data))
    return data


def typed_answers(elements: list[Element], answers: dict) -> dict:
    data: dict[str, Any] = {}
    for element in elements:
        value = answers.get(element.key)
        if element.type == "repeat" and isinstance(value, list):
            children = [leaf for child in element.elements for leaf in child.inputs()]
            data[element.key] = [typed_answers(children, item) for item in value]
        else:
            data[element.key] = fields.rule_value(element, value)
    return data


def _computed_value(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind in {"money", "decimal"}:
        try:
            number = Decimal(str(value))
        except ArithmeticError:
            return None
        return number.quantize(Decimal("0.01")) if kind == "money" else number
    if kind == "integer":
        try:
            return int(Decimal(str(value)))
        except ArithmeticError:
            return None
    if kind == "yesno":
        return rules.truthy(value)
    return str(value)


def computed_values(definition: Definition, answers: dict) -> dict[str, Any]:
    """Computed values as stored (decimals as strings)."""
    data = rule_data(definition, answers)
    result = {}
    for computed in definition.computed:
        value = data.get(computed.key)
        result[computed.key] = str(value) if isinstance(value, Decimal) else value
    return result


def step_visible(step: Step, data: dict) -> bool:
    return step.visible_if is None or rules.truthy(rules.evaluate(step.visible_if, data))


def visible_steps(definition: Definition, answers: dict) -> list[Step]:
    data = rule_data(definition, answers)
    return [step for step in definition.steps if step_visible(step, data)]


def element_visible(element: Element, data: dict) -> bool:
    return element.visible_if is None or rules.truthy(rules.evaluate(element.visible_if, data))


def element_required(element: Element, data: dict) -> bool:
    if element.required:
        return True
    return element.required_if is not None and rules.truthy(rules.evaluate(element.required_if, data))


def visible_inputs(elements, data: dict) -> list[Element]:
    """Inputs whose own and enclosing groups' conditions hold."""
    result = []
    for element in elements:
        if not element_visible(element, data):
            continue
        if element.type == "group":
            result.extend(visible_inputs(element.elements, data))
        elif element.is_input:
            result.append(element)
    return result


def prune(definition: Definition, answers: dict) -> dict:
    """Only the answers that count: hidden steps and fields are dropped.

    A hidden field may reveal another only through itself, so pruning repeats
    until nothing changes (bounded by the number of inputs).
    """
    current = dict(answers)
    for _round in range(len(definition.inputs()) + 1):
        data = rule_data(definition, current)
        kept: dict[str, Any] = {}
        for step in definition.steps:
            if not step_visible(step, data):
                continue
            for element in visible_inputs(step.elements, data):
                if element.key in current:
                    kept[element.key] = _prune_repeat(element, current[element.key], data)
        if kept == current:
            return kept
        current = kept
    return current


def _prune_repeat(element: Element, value: Any, data: dict) -> Any:
    if element.type != "repeat" or not isinstance(value, list):
        return value
    pruned = []
    for item in value:
        item_data = {**data, **typed_answers(_children(element), item)}
        pruned.append(
            {child.key: item[child.key] for child in visible_inputs(element.elements, item_data) if child.key in item}
        )
    return pruned


def _children(element: Element) -> list[Element]:
    return [leaf for child in element.elements for leaf in child.inputs()]


def step_errors(
    definition: Definition,
    step: Step,
    answers: dict,
    *,
    format_errors: dict[str, str] | None = None,
    today: datetime.date | None = None,
    data: dict | None = None,
) -> list[FieldError]:
    """Everything wrong on ``step`` given all answers; ``format_errors`` come from parsing."""
    today = today or timezone.localdate()
    format_errors = format_errors or {}
    data = rule_data(definition, answers) if data is None else data
    errors: list[FieldError] = []
    for element in visible_inputs(step.elements, data):
        errors.extend(_element_errors(element, answers.get(element.key), data, format_errors, today, prefix=""))
    if not errors:
        errors.extend(_check_errors(step.checks, data, step, definition))
    return errors


def _element_errors(element, value, data, format_errors, today, *, prefix: str) -> list[FieldError]:
    anchor = field_anchor(element, prefix)
    name = f"{prefix}{element.key}"
    if name in format_errors:
        return [FieldError(name, anchor, format_errors[name])]
    label = localized(element.label)
    if fields.is_empty(element, value):
        if element.type == "repeat":
            value = []
        elif element_required(element, data):
            return [FieldError(name, anchor, _required_message(element, label))]
        else:
            return []
    if element.type == "repeat":
        return _repeat_errors(element, value, data, format_errors, today, prefix=prefix)
    if element.type == "file":
        limit = element.file.get("max_files", 1)
        if len(value) > limit:
            return [
                FieldError(
                    name,
                    anchor,
                    ngettext(
                        "Bitte laden Sie höchstens eine Datei hoch.",
                        "Bitte laden Sie höchstens %(n)s Dateien hoch.",
                        limit,
                    )
                    % {"n": limit},
                )
            ]
        return []
    return [FieldError(name, anchor, message) for message in fields.constraint_errors(element, value, today=today)]


def _repeat_errors(element, items, data, format_errors, today, *, prefix) -> list[FieldError]:
    name = f"{prefix}{element.key}"
    errors = []
    if len(items) < element.min_items:
        errors.append(
            FieldError(
                name,
                field_anchor(element, prefix),
                ngettext(
                    "Bitte fügen Sie mindestens einen Eintrag hinzu.",
                    "Bitte fügen Sie mindestens %(n)s Einträge hinzu.",
                    element.min_items,
                )
                % {"n": element.min_items},
            )
        )
    if len(items) > element.max_items:
        errors.append(
            FieldError(
                name,
                field_anchor(element, prefix),
                ngettext(
                    "Es ist höchstens ein Eintrag möglich.",
                    "Es sind höchstens %(n)s Einträge möglich.",
                    element.max_items,
                )
                % {"n": element.max_items},
            )
        )
    for index, item in enumerate(items):
        item_data = {**data, **typed_answers(_children(element), item)}
        for child in visible_inputs(element.elements, item_data):
            errors.extend(
                _element_errors(
                    child,
                    item.get(child.key),
                    item_data,
                    format_errors,
                    today,
                    prefix=f"{name}__{index}__",
                )
            )
    return errors


def _check_errors(checks: tuple[Check, ...], data: dict, step: Step | None, definition: Definition) -> list[FieldError]:
    errors = []
    for check in checks:
        if rules.truthy(rules.evaluate(check.rule, data)):
            continue
        if check.field:
            anchor = field_anchor(definition.element(check.field))
            errors.append(FieldError(check.field, anchor, localized(check.message)))
        else:
            errors.append(FieldError(step.key if step else "", "", localized(check.message)))
    return errors


def _required_message(element: Element, label: str) -> str:
    if element.type in {"select", "radio", "yesno"}:
        return _("Bitte wählen Sie aus: %(label)s") % {"label": label}
    if element.type == "checkboxes":
        return _("Bitte wählen Sie mindestens eine Möglichkeit: %(label)s") % {"label": label}
    if element.type == "declaration":
        return _("Bitte bestätigen Sie: %(label)s") % {"label": label}
    if element.type == "file":
        return _("Bitte laden Sie eine Datei hoch: %(label)s") % {"label": label}
    if element.type == "repeat":
        return _("Bitte fügen Sie mindestens einen Eintrag hinzu: %(label)s") % {"label": label}
    return _("Bitte füllen Sie das Feld aus: %(label)s") % {"label": label}


def field_anchor(element: Element, prefix: str = "") -> str:
    """The id of the first focusable control of the field (what the summary links to)."""
    base = f"feld-{prefix}{element.key}"
    if element.type == "date":
        return f"{base}__day"
    if element.type == "address":
        return f"{base}__street"
    if element.type in {"radio", "checkboxes", "yesno"}:
        return f"{base}-0"
    return base


def all_errors(definition: Definition, answers: dict, *, today: datetime.date | None = None) -> list[FieldError]:
    """Full re-validation of stored answers, as done before a submission is accepted."""
    data = rule_data(definition, answers)
    errors: list[FieldError] = []
    for step in definition.steps:
        if step_visible(step, data):
            errors.extend(step_errors(definition, step, answers, today=today, data=data))
    if not errors:
        errors.extend(_check_errors(definition.checks, data, None, definition))
    return errors


def parse_step(step: Step, raw: fields.RawInput, answers: dict) -> tuple[dict, dict[str, str]]:
    """Read a step's posted values into ``answers``; returns (answers, format errors)."""
    updated = dict(answers)
    format_errors: dict[str, str] = {}
    for element in step.inputs():
        if element.type == "file":
            continue  # files arrive through the upload path and are referenced by id
        if element.type == "repeat":
            updated[element.key] = _parse_repeat(element, raw, answers.get(element.key) or [], format_errors)
            continue
        try:
            updated[element.key] = fields.parse(element, raw)
        except ValidationError as exc:
            format_errors[element.key] = exc.messages[0]
            updated.pop(element.key, None)
    return updated, format_errors


def _parse_repeat(element: Element, raw, previous: list, format_errors: dict) -> list:
    count = _int(raw.get(f"{element.key}__rows"), len(previous))
    items = []
    for index in range(min(count, element.max_items)):
        prefix = f"{element.key}__{index}__"
        item = dict(previous[index]) if index < len(previous) else {}
        for child in _children(element):
            if child.type == "file":
                continue
            try:
                item[child.key] = fields.parse(child, raw, prefix=prefix)
            except ValidationError as exc:
                format_errors[f"{prefix}{child.key}"] = exc.messages[0]
                item.pop(child.key, None)
        items.append(item)
    return items


def _int(value: Any, default: int) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return default
