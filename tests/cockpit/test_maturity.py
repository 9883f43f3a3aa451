"""The OZG maturity level derived from the checklist, and the LeiKa key format."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from kreiswerk.cockpit import maturity
from kreiswerk.cockpit.leika import leika_normalize, leika_urn, leika_validate
from kreiswerk.cockpit.maturity import CRITERIA, MET, NOT_APPLICABLE, NOT_MET

YES = MET


def met_up_to(level: int, *, legacy: bool = False) -> dict[str, str]:
    """Every criterion gating ``level`` or below answered "ja"."""
    attribute = "legacy_level" if legacy else "level"
    return {c.key: YES for c in CRITERIA if getattr(c, attribute) is not None and getattr(c, attribute) <= level}


def test_it_rates_an_unanswered_checklist_zero():
    assert maturity.maturity_level({}) == 0
    assert maturity.legacy_level({}) == 0


@pytest.mark.parametrize("level", range(0, maturity.MAX_LEVEL + 1))
def test_it_reaches_each_level_when_its_gate_and_the_lower_ones_hold(level):
    assert maturity.maturity_level(met_up_to(level)) == level


@pytest.mark.parametrize("level", range(1, maturity.MAX_LEVEL + 1))
def test_it_stops_below_a_level_when_one_of_its_criteria_fails(level):
    for criterion in [c for c in CRITERIA if c.level == level]:
        answers = {**met_up_to(maturity.MAX_LEVEL), criterion.key: NOT_MET}
        assert maturity.maturity_level(answers) == level - 1


def test_it_needs_the_lower_levels_even_when_higher_criteria_hold():
    answers = {**met_up_to(maturity.MAX_LEVEL), "information": NOT_MET}
    assert maturity.maturity_level(answers) == 0
    assert maturity.legacy_level(answers) == 0


def test_it_counts_entfaellt_where_a_criterion_may_not_apply():
    answers = {**met_up_to(3), "payment_online": NOT_APPLICABLE, "identification": NOT_APPLICABLE}
    assert maturity.maturity_level(answers) == 3


@pytest.mark.parametrize("criterion", [c for c in CRITERIA if not c.may_not_apply], ids=lambda c: c.key)
def test_it_does_not_count_entfaellt_where_a_criterion_always_applies(criterion):
    answers = {**met_up_to(maturity.MAX_LEVEL), criterion.key: NOT_APPLICABLE}
    assert maturity.maturity_level(answers) == criterion.level - 1
    assert criterion.key not in maturity.answers_clean(answers)


def test_it_offers_entfaellt_for_fee_identification_evidence_and_once_only():
    assert {c.key for c in CRITERIA if c.may_not_apply} == {
        "identification",
        "evidence_upload",
        "payment_online",
        "once_only",
    }


def test_answers_clean_drops_unknown_keys_and_answers():
    raw = {"information": "ja", "contact": "vielleicht", "unbekannt": "ja", "once_only": "entfaellt"}
    assert maturity.answers_clean(raw) == {"information": "ja", "once_only": "entfaellt"}
    assert maturity.answers_clean(None) == {}


@pytest.mark.parametrize(
    ("level", "legacy"),
    [(0, 0), (1, 1), (2, 2), (3, 3), (4, 3), (5, 4), (6, 4), (7, 4)],
)
def test_it_maps_the_current_levels_to_the_older_model(level, legacy):
    assert maturity.legacy_level(met_up_to(level)) == legacy


def test_the_older_model_ignores_back_office_and_automation():
    answers = met_up_to(5)
    assert maturity.maturity_level(answers) == 5
    assert maturity.legacy_level(answers) == maturity.LEGACY_MAX_LEVEL
    assert all(c.legacy_level is None for c in CRITERIA if c.level >= 6)


def test_missing_for_next_level_names_the_open_criteria():
    answers = {**met_up_to(2), "application_online": YES, "payment_online": NOT_APPLICABLE}
    assert maturity.maturity_level(answers) == 2
    assert [c.key for c in maturity.missing_for_next_level(answers)] == ["identification", "evidence_upload"]
    assert maturity.missing_for_next_level(met_up_to(maturity.MAX_LEVEL)) == []


def test_every_level_has_a_name_and_a_gate():
    assert set(maturity.LEVEL_NAMES) == set(range(maturity.MAX_LEVEL + 1))
    assert set(maturity.LEGACY_LEVEL_NAMES) == set(range(maturity.LEGACY_MAX_LEVEL + 1))
    assert {c.level for c in CRITERIA} == set(range(1, maturity.MAX_LEVEL + 1))


# --- properties -------------------------------------------------------------------------------

answer_values = st.sampled_from([MET, NOT_MET, NOT_APPLICABLE, "", "quatsch"])
checklists = st.fixed_dictionaries({}, optional={c.key: answer_values for c in CRITERIA})


def _level3_holds(answers: dict) -> bool:
    return all(
        answers.get(c.key) == MET or (answers.get(c.key) == NOT_APPLICABLE and c.may_not_apply)
        for c in CRITERIA
        if c.level <= 3
    )


@given(checklists, st.sampled_from(CRITERIA))
def test_flipping_a_criterion_to_ja_never_lowers_a_level(answers, criterion):
    before = dict(answers, **{criterion.key: NOT_MET})
    after = dict(answers, **{criterion.key: MET})
    assert maturity.maturity_level(after) >= maturity.maturity_level(before)
    assert maturity.legacy_level(after) >= maturity.legacy_level(before)


@given(checklists)
def test_levels_stay_in_range(answers):
    assert 0 <= maturity.maturity_level(answers) <= maturity.MAX_LEVEL
    assert 0 <= maturity.legacy_level(answers) <= maturity.LEGACY_MAX_LEVEL


@given(checklists)
def test_legacy_level_is_three_or_more_exactly_when_all_level_3_criteria_hold(answers):
    assert (maturity.legacy_level(answers) >= 3) == _level3_holds(answers)
    assert (maturity.maturity_level(answers) >= 3) == _level3_holds(answers)


@given(checklists)
def test_the_level_is_the_same_after_cleaning(answers):
    cleaned = maturity.answers_clean(answers)
    assert maturity.maturity_level(cleaned) == maturity.maturity_level(answers)
    assert maturity.legacy_level(cleaned) == maturity.legacy_level(answers)


@given(checklists)
def test_the_older_level_never_exceeds_the_current_one_below_level_4(answers):
    level, legacy = maturity.maturity_level(answers), maturity.legacy_level(answers)
    assert legacy <= max(level, 3) if level < 5 else legacy <= 4
    assert min(level, 3) == min(legacy, 3)


@given(checklists)
def test_nothing_is_missing_only_at_the_top(answers):
    missing = maturity.missing_for_next_level(answers)
    if maturity.maturity_level(answers) < maturity.MAX_LEVEL:
        assert missing
        completed = dict(answers, **{c.key: MET for c in missing})
        assert maturity.maturity_level(completed) > maturity.maturity_level(answers)
    else:
        assert missing == []


# --- LeiKa keys -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("9905001210400", "leika_format"),  # 13 digits
        ("990500121040000", "leika_format"),  # 15 digits
        ("99O50012104000", "leika_format"),  # letter O
        ("99-05001210400", "leika_format"),
        ("10050012104000", "leika_prefix"),
    ],
)
def test_leika_validate_refuses(value, code):
    with pytest.raises(ValidationError) as info:
        leika_validate(value)
    assert info.value.code == code


def test_leika_keys_may_be_typed_with_spaces_and_dots():
    assert leika_normalize(" 99 050 012 104 000 ") == "99050012104000"
    assert leika_normalize("99.050.012.104.000") == "99050012104000"
    leika_validate("99 050 012 104 000")


def test_leika_urn():
    assert leika_urn("99050012104000") == "urn:de:fim:leika:leistung:99050012104000"
    assert leika_urn("") == ""


def _accepted(value: str) -> bool:
    try:
        leika_validate(value)
    except ValidationError:
        return False
    return True


@given(st.from_regex(r"99[0-9]{12}", fullmatch=True))
def test_leika_validate_accepts_every_14_digit_key_starting_with_99(key):
    assert _accepted(key)


@given(st.text(alphabet="0123456789abcXO-_/ß٣", max_size=20))
def test_leika_validate_accepts_exactly_14_ascii_digits_starting_with_99(value):
    key = leika_normalize(value)
    expected = len(key) == 14 and key.isascii() and key.isdigit() and key.startswith("99")
    assert _accepted(value) == expected


def test_leika_validate_refuses_digits_of_other_scripts():
    assert not _accepted("99" + "٣" * 12)
    assert not _accepted("99" + "１" * 12)  # fullwidth digits
