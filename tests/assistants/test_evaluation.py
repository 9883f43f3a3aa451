"""The server decides visibility, requiredness and cross-field checks."""

import datetime

from kreiswerk.assistants import evaluation
from kreiswerk.assistants.definition import parse
from tests.conftest import simple_definition


def period_definition() -> dict:
    return simple_definition(
        steps=[
            {
                "key": "zeitraum",
                "title": "Zeitraum",
                "elements": [
                    {"key": "beginn", "type": "date", "label": "Beginn", "required": True},
                    {"key": "ende", "type": "date", "label": "Ende", "required": True},
                    {"key": "email", "type": "email", "label": "E-Mail"},
                ],
                "checks": [
                    {
                        "rule": {">": [{"var": "ende"}, {"var": "beginn"}]},
                        "field": "ende",
                        "message": "Das Ende muss nach dem Beginn liegen.",
                    }
                ],
            }
        ]
    )


def test_a_failed_cross_field_check_links_to_the_first_input_of_its_field():
    definition = parse(period_definition())
    errors = evaluation.step_errors(
        definition,
        definition.steps[0],
        {"beginn": "2026-05-01", "ende": "2026-04-01"},
        today=datetime.date(2026, 1, 1),
    )
    assert [(e.key, e.anchor, e.message) for e in errors] == [
        ("ende", "feld-ende__day", "Das Ende muss nach dem Beginn liegen.")
    ]


def test_a_passing_check_gives_no_error():
    definition = parse(period_definition())
    assert evaluation.all_errors(definition, {"beginn": "2026-04-01", "ende": "2026-05-01"}) == []


def test_hidden_answers_are_pruned_before_they_count():
    data = simple_definition()
    data["steps"][0]["elements"][2]["visible_if"] = {"==": [{"var": "name"}, "mit Anzahl"]}
    definition = parse(data)
    answers = {"name": "ohne", "email": "a@example.org", "anzahl": 99}
    assert evaluation.prune(definition, answers) == {"name": "ohne", "email": "a@example.org"}
    assert evaluation.all_errors(definition, evaluation.prune(definition, answers)) == []
