"""The idea scoring model: weights, inversion, missing values, the demand from case volumes, the ranking."""

from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from kreiswerk.audit.models import AuditEntry
from kreiswerk.cockpit import selectors, services
from kreiswerk.cockpit.models import ScoringCriterion, Service


def criterion(pk: int, weight: int, *, lower_is_better: bool = False) -> ScoringCriterion:
    return ScoringCriterion(pk=pk, key=f"k{pk}", label=f"K{pk}", weight=weight, lower_is_better=lower_is_better)


def test_it_weighs_the_values():
    criteria = [criterion(1, 3), criterion(2, 1)]
    assert services.score_compute({1: 5, 2: 0}, criteria) == Decimal("75.0")
    assert services.score_compute({1: 0, 2: 5}, criteria) == Decimal("25.0")
    assert services.score_compute({1: 5, 2: 5}, criteria) == Decimal("100.0")


def test_it_inverts_a_criterion_where_lower_is_better():
    effort = [criterion(1, 10, lower_is_better=True)]
    assert services.score_compute({1: 0}, effort) == Decimal("100.0")
    assert services.score_compute({1: 5}, effort) == Decimal("0.0")
    assert services.score_compute({1: 1}, effort) == Decimal("80.0")


def test_it_ignores_criteria_without_a_value():
    criteria = [criterion(1, 3), criterion(2, 1)]
    assert services.score_compute({2: 4}, criteria) == Decimal("80.0")
    # A value for a criterion outside the model does not count either.
    assert services.score_compute({2: 4, 99: 0}, criteria) == Decimal("80.0")


def test_without_values_or_weights_there_is_no_score():
    criteria = [criterion(1, 3), criterion(2, 1)]
    assert services.score_compute({}, criteria) is None
    assert services.score_compute({1: 5}, [criterion(1, 0)]) is None


@pytest.mark.parametrize(
    ("volume", "value"),
    [(None, None), (0, 0), (9, 0), (10, 1), (99, 1), (100, 2), (499, 2), (500, 3), (1999, 3), (2000, 4), (9999, 4)]
    + [(10000, 5), (10**9, 5)],
)
def test_the_demand_follows_the_volume_thresholds(volume, value):
    assert services.volume_value(volume) == value


CRITERIA = st.lists(
    st.tuples(st.integers(min_value=0, max_value=100), st.booleans(), st.one_of(st.none(), st.integers(0, 5))),
    min_size=1,
    max_size=8,
)


def _model(spec):
    criteria = [criterion(pk, weight, lower_is_better=lower) for pk, (weight, lower, _value) in enumerate(spec, 1)]
    values = {pk: value for pk, (_weight, _lower, value) in enumerate(spec, 1) if value is not None}
    return criteria, values


@given(CRITERIA)
def test_the_score_always_lies_between_0_and_100(spec):
    criteria, values = _model(spec)
    score = services.score_compute(values, criteria)
    assert score is None or Decimal(0) <= score <= Decimal(100)


@given(CRITERIA, st.data())
def test_raising_a_higher_is_better_value_never_lowers_the_score(spec, data):
    criteria, values = _model(spec)
    # Raising, not adding: a criterion rated for the first time joins the mean and may lower it.
    candidates = [c.pk for c in criteria if not c.lower_is_better and c.pk in values and values[c.pk] < 5]
    if not candidates:
        return
    pk = data.draw(st.sampled_from(candidates))
    before = services.score_compute(values, criteria)
    raised = {**values, pk: data.draw(st.integers(min_value=values[pk] + 1, max_value=5))}
    after = services.score_compute(raised, criteria)
    assert before is None or after >= before


# --- with the database ---------------------------------------------------------------------


@pytest.fixture
def criteria(mandant):
    return {c.key: c for c in services.scoring_criteria_ensure(mandant=mandant)}


def test_the_defaults_are_created_once_with_the_six_criteria(mandant, criteria):
    assert list(criteria) == ["nachfrage", "zeitersparnis", "aufwand", "rechtspflicht", "strategie", "nachnutzung"]
    assert criteria["aufwand"].lower_is_better
    assert criteria["nachfrage"].source == ScoringCriterion.Source.CASE_VOLUME
    services.scoring_criteria_ensure(mandant=mandant)
    assert ScoringCriterion.objects.filter(mandant=mandant).count() == 6


def test_the_demand_comes_from_the_linked_service_and_the_team_may_override_it(mandant, unit, criteria, team_member):
    service = Service.objects.create(mandant=mandant, unit=unit, name="Gewerbeanmeldung", yearly_volume=600)
    idea = services.idea_create(mandant=mandant, title="Gewerbe online", description="…")
    assert idea.score is None
    services.idea_service_set(idea=idea, service=service, actor=team_member)
    idea.refresh_from_db()
    assert idea.score == Decimal("60.0")  # 600 cases a year: demand 3 of 5
    services.idea_rate(idea=idea, values={criteria["nachfrage"]: 5}, actor=team_member)
    idea.refresh_from_db()
    assert idea.score == Decimal("100.0")
    services.idea_rate(idea=idea, values={criteria["nachfrage"]: None}, actor=team_member)
    idea.refresh_from_db()
    assert idea.score == Decimal("60.0")


def test_a_weight_change_recomputes_every_score_and_reranks_the_backlog(mandant, criteria, team_member):
    saves_time = services.idea_create(mandant=mandant, title="Spart Zeit", description="…")
    obligatory = services.idea_create(mandant=mandant, title="Pflicht", description="…")
    unscored = services.idea_create(mandant=mandant, title="Unbewertet", description="…")
    services.idea_rate(
        idea=saves_time, values={criteria["zeitersparnis"]: 5, criteria["rechtspflicht"]: 1}, actor=team_member
    )
    services.idea_rate(
        idea=obligatory, values={criteria["zeitersparnis"]: 2, criteria["rechtspflicht"]: 5}, actor=team_member
    )
    assert list(selectors.backlog(mandant=mandant)) == [saves_time, obligatory, unscored]

    services.scoring_weights_set(
        mandant=mandant,
        weights={criteria["zeitersparnis"]: 5, criteria["rechtspflicht"]: 60},
        actor=team_member,
    )
    assert list(selectors.backlog(mandant=mandant)) == [obligatory, saves_time, unscored]
    obligatory.refresh_from_db()
    assert obligatory.score == Decimal("95.4")  # (0.4·5 + 1·60) / 65


def test_a_weight_change_keeps_the_demand_from_the_linked_service(mandant, unit, criteria, team_member):
    service = Service.objects.create(mandant=mandant, unit=unit, name="Wohngeld", yearly_volume=150)
    idea = services.idea_create(mandant=mandant, title="Wohngeld", description="…", service=service)
    services.idea_rate(idea=idea, values={criteria["aufwand"]: 5}, actor=team_member)
    idea.refresh_from_db()
    assert idea.score == Decimal("22.2")  # (0.4·25 + 0·20) / 45
    services.scoring_weights_set(mandant=mandant, weights={criteria["aufwand"]: 0}, actor=team_member)
    idea.refresh_from_db()
    assert idea.score == Decimal("40.0")  # demand 2 of 5 alone
    assert AuditEntry.objects.filter(action="cockpit.scoring.weights").count() == 1


def test_the_team_sets_weights_on_the_scoring_page(mandant, criteria, team_member, staff_client):
    client = staff_client(team_member)
    page = client.get(reverse("cockpit:scoring")).content.decode()
    assert "Jeder Wert wird durch 5 geteilt" in page
    data = {f"kriterium_{key}": "10" for key in criteria}
    data["kriterium_aufwand"] = "0"
    response = client.post(reverse("cockpit:scoring"), data)
    assert response.status_code == 302
    assert ScoringCriterion.objects.get(mandant=mandant, key="aufwand").weight == 0
    assert ScoringCriterion.objects.get(mandant=mandant, key="strategie").weight == 10


def test_a_weight_out_of_range_is_refused_in_german(mandant, criteria, team_member, staff_client):
    data = {f"kriterium_{key}": "10" for key in criteria}
    data["kriterium_aufwand"] = "101"
    data["kriterium_strategie"] = "viel"
    response = staff_client(team_member).post(reverse("cockpit:scoring"), data)
    page = response.content.decode()
    assert response.status_code == 400
    assert "Bitte geben Sie ein Gewicht von 0 bis 100 an." in page
    assert "Bitte geben Sie ein Gewicht als ganze Zahl von 0 bis 100 an." in page
    assert ScoringCriterion.objects.get(mandant=mandant, key="aufwand").weight == 20


def test_readers_see_the_weights_but_cannot_change_them(mandant, criteria, reader, staff_client):
    client = staff_client(reader)
    page = client.get(reverse("cockpit:scoring")).content.decode()
    assert "Geltende Gewichte" in page and "Gewichte speichern" not in page
    data = {f"kriterium_{key}": "1" for key in criteria}
    assert client.post(reverse("cockpit:scoring"), data).status_code == 403
    assert ScoringCriterion.objects.get(mandant=mandant, key="aufwand").weight == 20
