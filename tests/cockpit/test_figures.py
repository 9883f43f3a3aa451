"""The dashboard's figures against counts done directly on the platform's own tables.

A small county: three assistants (one with a Vorgangsart, one with an online fee, one
handed to a Fachverfahren by e-mail), applications on several days and in several
months (and one test application that must not count), abandoned drafts, cases
closed after a known number of days, a Rückfrage, a booked and an open payment and a
delivered hand-off, all made through the real services at the moment they happen.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import io
import math
import re
import threading
from collections import Counter
from decimal import Decimal
from unittest import mock

import httpx
import pytest
from devtools.paypage import PayPage
from django.apps import apps
from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kreiswerk.cases import services as case_services
from kreiswerk.cases.inquiries import inquiry_ask
from kreiswerk.cases.models import Case, Inquiry
from kreiswerk.cockpit import rollup
from kreiswerk.cockpit.models import (
    Channel,
    ClosedCaseDay,
    ClosedCaseMonth,
    Service,
    StaleDay,
    SubmissionDay,
    SubmissionMonth,
)
from kreiswerk.cockpit.selectors import Period, figures_compute, period_last_year
from kreiswerk.cockpit.services import service_save
from kreiswerk.handoff import services as handoff_services
from kreiswerk.handoff.models import Delivery
from kreiswerk.payments.models import Payment, PaymentEvent, Status
from kreiswerk.payments.services import fee_of, payment_refresh, payment_start
from kreiswerk.runner.models import Draft, StepCountMonth
from kreiswerk.runner.services import draft_save, draft_start
from kreiswerk.submissions.models import Submission
from kreiswerk.submissions.services import submission_submit
from tests.cases.conftest import casetype_definition
from tests.conftest import run_together, simple_definition
from tests.payments.conftest import CLIENT_ID, CLIENT_SECRET, fee_definition

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def moment(days_ago: int, hour: int = 12) -> datetime.datetime:
    """Noon (local) ``days_ago`` days before today: far from midnight, whatever the time zone."""
    day = TODAY - datetime.timedelta(days=days_ago)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@contextlib.contextmanager
def at(when: datetime.datetime):
    """Everything that asks ``timezone.now()`` (auto_now_add, the services) sees ``when``."""
    with mock.patch("django.utils.timezone.now", return_value=when):
        yield


def apply(version, *, days_ago: int, is_test: bool = False, anzahl: int = 2) -> Submission:
    """A citizen fills in and submits the assistant, ``days_ago`` days ago."""
    with at(moment(days_ago)):
        draft = draft_start(version=version, language="de", is_test=is_test)
        answers = {"name": "Erika Mustermann", "email": "erika@example.org", "anzahl": anzahl}
        draft = draft_save(draft=draft, answers=answers, completed_step="person")
        return submission_submit(draft=draft, submit_key=str(draft.submit_key))


def abandon(version, *, days_ago: int, after_first_step: bool) -> Draft:
    with at(moment(days_ago)):
        draft = draft_start(version=version, language="de")
        if after_first_step:
            draft = draft_save(draft=draft, answers={"name": "Max"}, completed_step="person")
        return draft


def close(case: Case, caseworker, *, days_ago: int) -> Case:
    with at(moment(days_ago, hour=15)):
        case = case_services.case_assign(case=case, assignee=caseworker, actor=caseworker)
        case = case_services.case_status_change(case=case, status="in_pruefung", actor=caseworker)
        case = case_services.checklist_check(case=case, item="angaben", actor=caseworker)
        case = case_services.case_status_change(case=case, status="entscheidung", actor=caseworker)
        return case_services.case_close(case=case, result="bewilligt", actor=caseworker)


def pay(paypage: PayPage, submission: Submission, *, days_ago: int, complete: bool) -> Payment:
    """The citizen goes to the pay page; with ``complete`` pays there and comes back."""
    with at(moment(days_ago, hour=13)):
        payment = payment_start(submission=submission, return_url_for=lambda p: f"http://testserver/zahlung/{p.pk}/")
        if complete:
            answer = httpx.post(payment.pay_url, data={"action": "pay", "method": "CREDITCARD"})
            assert answer.status_code == 303
            payment = payment_refresh(payment=payment, source=PaymentEvent.Source.RETURN)
            assert payment.status == Status.BOOKED
    return payment


@pytest.fixture
def paypage(settings):
    service = PayPage(client_id=CLIENT_ID, client_secret=CLIENT_SECRET).start()
    settings.KREISWERK_PAYMENT_PROVIDER = "epaybl"
    settings.KREISWERK_EPAYBL_URL = service.url + "/"
    settings.KREISWERK_EPAYBL_TOKEN_URL = ""
    settings.KREISWERK_EPAYBL_CLIENT_ID = CLIENT_ID
    settings.KREISWERK_EPAYBL_CLIENT_SECRET = CLIENT_SECRET
    settings.KREISWERK_EPAYBL_ORIGINATOR_ID = "kreiswerk"
    settings.KREISWERK_EPAYBL_ENDPOINT_ID = "musterkreis"
    yield service
    service.stop()


LEVEL_CRITERIA = {
    0: {},
    1: {"information": "ja", "contact": "ja"},
    3: {
        "information": "ja",
        "contact": "ja",
        "form_online": "ja",
        "application_online": "ja",
        "identification": "entfaellt",
        "evidence_upload": "ja",
        "payment_online": "entfaellt",
    },
}


@pytest.fixture
def county(mandant, unit, publish_assistant, caseworker, team_member, paypage):
    """The data set; returns the assistants' versions and the objects later tests change."""
    gewerbe = publish_assistant(simple_definition(slug="gewerbeanmeldung", title={"de": "Gewerbeanmeldung"}))
    case_services.filing_position_ensure(mandant=mandant, number="82", title="Gewerbe")
    case_services.filing_position_ensure(mandant=mandant, number="82.10", title="Gewerbeanzeigen")
    case_services.casetype_import(
        data=casetype_definition(assistant="gewerbeanmeldung"), mandant=mandant, unit=unit, publish=True
    )
    fees = fee_definition()
    fees.update(slug="fischereischein", title={"de": "Fischereischein"})
    fischerei = publish_assistant(fees)
    hund = publish_assistant(simple_definition(slug="hundesteuer", title={"de": "Hundesteuer-Anmeldung"}))
    handoff_services.destination_create(
        assistant=hund.assistant, name="Steueramt", kind="email", email="steuer@kreis.example"
    )

    for name, level, channel, assistant in [
        ("Gewerbeanmeldung", 3, "kreiswerk", gewerbe.assistant),
        ("Fischereischein", 3, "kreiswerk", fischerei.assistant),
        ("Hundesteuer", 1, "kreiswerk", hund.assistant),
        ("Jagdschein", 1, "landesportal", None),
        ("Baugenehmigung", 0, "offline", None),
    ]:
        service_save(
            service=Service(mandant=mandant),
            actor=team_member,
            name=name,
            unit=unit,
            channel=channel,
            assistant=assistant,
            criteria=LEVEL_CRITERIA[level],
        )

    # Gewerbe: two in one month, one later, a test one, one more than a year ago.
    first = apply(gewerbe, days_ago=100)
    second = apply(gewerbe, days_ago=99)
    third = apply(gewerbe, days_ago=40)
    apply(gewerbe, days_ago=40, is_test=True)
    apply(gewerbe, days_ago=400)
    abandon(gewerbe, days_ago=99, after_first_step=False)
    abandon(gewerbe, days_ago=40, after_first_step=True)
    cases = {}
    for submission in (first, second, third):
        with at(submission.submitted_at):
            cases[submission.pk] = case_services.case_open_for_submission(submission=submission)
    close(cases[first.pk], caseworker, days_ago=95)  # 5 days
    with at(moment(97)):
        inquiry_ask(
            case=cases[second.pk],
            question="Bitte reichen Sie die Gewerbeerlaubnis nach.",
            answer_by=TODAY - datetime.timedelta(days=80),
            allows_upload=True,
            suspends=False,
            actor=caseworker,
        )
    close(Case.objects.get(pk=cases[second.pk].pk), caseworker, days_ago=87)  # 12 days

    # Fischerei: both wait for their fee; one is paid three days later, the other never.
    paid = apply(fischerei, days_ago=70)
    unpaid = apply(fischerei, days_ago=70, anzahl=3)
    assert paid.awaiting_payment_since is not None
    pay(paypage, paid, days_ago=67, complete=True)
    pay(paypage, unpaid, days_ago=69, complete=False)

    # Hundesteuer: handed to the Fachverfahren by e-mail.
    dog = apply(hund, days_ago=10)
    with at(moment(10, hour=14)):
        (delivery,) = handoff_services.deliveries_create(submission=dog)
        handoff_services.delivery_attempt(delivery_id=delivery.pk)
    assert Delivery.objects.get(pk=delivery.pk).status == Delivery.Status.DELIVERED

    return {
        "gewerbe": gewerbe,
        "fischerei": fischerei,
        "hund": hund,
        "open_case": cases[third.pk],
        "unpaid": unpaid,
    }


# --- the counts done directly on the test data --------------------------------------------------


def local_day(value: datetime.datetime) -> datetime.date:
    return timezone.localtime(value).date()


def in_period(period: Period):
    return [
        submission
        for submission in Submission.objects.filter(is_test=False)
        if period.start <= local_day(submission.submitted_at) <= period.end
    ]


def nearest_rank(values: list[int], fraction: float) -> int | None:
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(1, math.ceil(round(fraction * len(ordered), 9))) - 1]


def expected(mandant, period: Period) -> dict:
    submissions = in_period(period)
    ids = {submission.pk for submission in submissions}
    with_case = set(Case.objects.filter(submission_id__in=ids).values_list("submission_id", flat=True))
    delivered = set(
        Delivery.objects.filter(submission_id__in=ids, status=Delivery.Status.DELIVERED).values_list(
            "submission_id", flat=True
        )
    )
    inquired = set(Inquiry.objects.filter(case__submission_id__in=ids).values_list("case__submission_id", flat=True))
    with_fee = {submission.pk for submission in submissions if fee_of(submission)[0] > 0}
    paid = set(
        Payment.objects.filter(submission_id__in=ids, status=Status.BOOKED).values_list("submission_id", flat=True)
    )
    months = Counter(local_day(submission.submitted_at).replace(day=1) for submission in submissions)
    per_assistant = Counter(
        (submission.assistant.title, local_day(submission.submitted_at).replace(day=1)) for submission in submissions
    )
    durations: dict[str, list[int]] = {}
    for case in Case.objects.filter(closed_at__isnull=False).select_related("case_type"):
        if period.start <= local_day(case.closed_at) <= period.end:
            days = (local_day(case.closed_at) - local_day(case.received_at)).days
            durations.setdefault(case.case_type.title, []).append(days)
    services = Service.objects.filter(mandant=mandant)
    return {
        "submissions": len(submissions),
        "digital_intake": len(with_case | delivered),
        "with_inquiry": len(inquired),
        "with_fee": len(with_fee),
        "paid_online": len(paid),
        "months": months,
        "per_assistant": per_assistant,
        "durations": {
            title: (len(values), nearest_rank(values, 0.5), nearest_rank(values, 0.9))
            for title, values in durations.items()
        },
        "by_level": Counter(services.values_list("maturity_level", flat=True)),
        "by_legacy_level": Counter(services.values_list("legacy_level", flat=True)),
        "by_channel": Counter(services.values_list("channel", flat=True)),
        "services_total": services.count(),
        "online": services.filter(maturity_level__gte=3).count(),
    }


def assert_figures_match(figures, mandant) -> dict:
    want = expected(mandant, figures.period)
    assert figures.submissions == want["submissions"]
    assert figures.digital_intake == want["digital_intake"]
    assert figures.with_inquiry == want["with_inquiry"]
    assert figures.with_fee == want["with_fee"]
    assert figures.paid_online == want["paid_online"]
    assert {month: count for month, count in figures.monthly_totals.items() if count} == dict(want["months"])
    got = Counter()
    for row in figures.per_service:
        for month, count in row.by_month.items():
            if count:
                got[row.assistant.title, month] += count
    assert got == want["per_assistant"]
    assert {row.case_type.title: (row.cases, row.median, row.p90) for row in figures.durations} == want["durations"]
    assert {level: count for level, count in figures.by_level.items() if count} == dict(want["by_level"])
    assert {level: count for level, count in figures.by_legacy_level.items() if count} == dict(want["by_legacy_level"])
    assert figures.by_channel == dict(want["by_channel"])
    assert figures.services_total == want["services_total"]
    assert figures.online_services == want["online"]
    return want


def assert_funnels_match(figures, county) -> None:
    """Who began and who got past the step, counted on the drafts of the period."""
    funnels = {funnel.assistant.slug: funnel for funnel in figures.funnels}
    period = figures.period
    for slug, version in (("gewerbeanmeldung", county["gewerbe"]), ("fischereischein", county["fischerei"])):
        drafts = Draft.objects.filter(version__assistant=version.assistant, is_test=False)
        drafts = [draft for draft in drafts if period.start <= local_day(draft.created_at) <= period.end]
        if not drafts:
            assert slug not in funnels
            continue
        funnel = funnels[slug]
        assert funnel.started == len(drafts)
        reached = {step.key: step.reached for step in funnel.steps}
        assert reached == {"person": sum("person" in draft.completed_steps for draft in drafts)}
        assert funnel.submitted == len([s for s in in_period(period) if s.assistant_id == version.assistant_id])


def assert_months_are_the_sums_of_days() -> None:
    """Every monthly table holds exactly its daily table summed per month."""
    for sums in (rollup.SUBMISSIONS, rollup.CLOSINGS, rollup.STEPS):
        daily, monthly = apps.get_model(sums.daily), apps.get_model(sums.monthly)
        fields = [*sums.keys, *sums.counts]
        summed = (
            daily.objects.annotate(in_month=TruncMonth("day"))
            .values("in_month", *sums.keys)
            .annotate(**{f"sum_{name}": Sum(name) for name in sums.counts})
            .values_list("in_month", *sums.keys, *(f"sum_{name}" for name in sums.counts))
            .order_by()
        )
        assert sorted(monthly.objects.values_list("month", *fields)) == sorted(summed), sums.monthly


# --- the tests --------------------------------------------------------------------------------


def test_it_computes_every_figure_as_counted_on_the_raw_tables(county, mandant):
    figures = figures_compute(mandant=mandant, period=period_last_year())
    want = assert_figures_match(figures, mandant)
    # The data set is what it claims to be, so the comparison above means something.
    assert want["submissions"] == 6  # 3 Gewerbe + 2 Fischerei + 1 Hund; the test and the old one left out
    assert (want["digital_intake"], want["with_inquiry"], want["with_fee"], want["paid_online"]) == (4, 1, 2, 1)
    assert want["durations"] == {"Testvorgang": (2, 5, 12)}
    assert (figures.digital_share, figures.inquiry_rate, figures.paid_online_share) == (
        Decimal("66.7"),
        Decimal("16.7"),
        Decimal("50.0"),
    )


def test_it_counts_where_people_give_up(county, mandant):
    figures = figures_compute(mandant=mandant, period=period_last_year())
    assert_funnels_match(figures, county)
    gewerbe = next(funnel for funnel in figures.funnels if funnel.assistant.slug == "gewerbeanmeldung")
    assert (gewerbe.started, gewerbe.steps[0].reached, gewerbe.submitted) == (5, 4, 3)


def test_it_notices_a_payment_booked_and_a_case_closed_later(county, mandant, paypage, caseworker):
    period = period_last_year()
    before = figures_compute(mandant=mandant, period=period)
    assert not StaleDay.objects.exists()  # everything was read, nothing is left to recompute

    # Days after the application: its fee is booked, the open case is closed.
    unpaid = county["unpaid"]
    payment = Payment.objects.get(submission=unpaid, status=Status.INITIAL)
    with at(moment(5)):
        httpx.post(payment.pay_url, data={"action": "pay", "method": "GIROPAY"})
        payment_refresh(payment=payment, source=PaymentEvent.Source.NOTIFICATION)
    close(county["open_case"], caseworker, days_ago=3)  # received 40 days ago

    after = figures_compute(mandant=mandant, period=period)
    assert after.paid_online == before.paid_online + 1
    assert after.paid_online_share == 100
    assert {row.case_type.title: row.cases for row in after.durations} == {"Testvorgang": 3}
    want = assert_figures_match(after, mandant)
    assert want["durations"] == {"Testvorgang": (3, 12, 37)}
    assert_months_are_the_sums_of_days()


def test_a_period_filter_counts_only_that_period(county, mandant):
    period = Period(TODAY - datetime.timedelta(days=100), TODAY - datetime.timedelta(days=80))
    figures = figures_compute(mandant=mandant, period=period)
    want = assert_figures_match(figures, mandant)
    assert want["submissions"] == 2 and figures.durations[0].cases == 2
    assert figures.months[0] == period.start.replace(day=1) and figures.months[-1] == period.end.replace(day=1)

    later = Period(TODAY - datetime.timedelta(days=75), TODAY)
    assert_figures_match(figures_compute(mandant=mandant, period=later), mandant)


def _boundaries() -> list[datetime.date]:
    """Days where a period's edge matters: each day of the data set and its neighbours, each month's first
    and last day."""
    days = set()
    for days_ago in (10, 40, 67, 69, 70, 87, 95, 97, 99, 100, 400):
        day = TODAY - datetime.timedelta(days=days_ago)
        days.update(day + datetime.timedelta(days=offset) for offset in (-1, 0, 1))
    for days_ago in range(0, 431):
        day = TODAY - datetime.timedelta(days=days_ago)
        if day.day == 1:
            days.update((day, day - datetime.timedelta(days=1)))
    return sorted(day for day in days if day <= TODAY)


@pytest.fixture
def month_edges(county, caseworker):
    """More of the same on the last and first days of months: where a period's whole months end."""
    month = rollup.month_after(TODAY - datetime.timedelta(days=70))
    edges = [month - datetime.timedelta(days=1), month, rollup.month_after(month) - datetime.timedelta(days=1)]
    for day in edges:
        days_ago = (TODAY - day).days
        submission = apply(county["gewerbe"], days_ago=days_ago)
        abandon(county["gewerbe"], days_ago=days_ago, after_first_step=True)
        with at(submission.submitted_at):
            case = case_services.case_open_for_submission(submission=submission)
        close(case, caseworker, days_ago=days_ago - 1)  # closed on the next day, across the month's edge
    return edges


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ends=st.lists(st.sampled_from(_boundaries()), min_size=2, max_size=2))
def test_any_period_is_counted_exactly_whole_months_and_edge_days_alike(month_edges, county, mandant, ends):
    # Whole months are read from the monthly rows, the days around them from the daily ones;
    # wherever the period begins and ends, nothing is counted twice or left out.
    figures = figures_compute(mandant=mandant, period=Period(min(ends), max(ends)))
    assert_figures_match(figures, mandant)
    assert_funnels_match(figures, county)


def test_a_rebuild_gives_the_same_rows_as_the_signals(county, mandant):
    figures_compute(mandant=mandant, period=period_last_year())
    assert_months_are_the_sums_of_days()
    tables = {
        SubmissionDay: ("day", "assistant_id", "submissions", "paid_online"),
        ClosedCaseDay: ("day", "case_type_id", "duration_days", "cases"),
        SubmissionMonth: ("month", "assistant_id", "submissions", "paid_online"),
        ClosedCaseMonth: ("month", "case_type_id", "duration_days", "cases"),
        StepCountMonth: ("month", "assistant_id", "step", "count"),
    }
    kept = {model: sorted(model.objects.values_list(*fields)) for model, fields in tables.items()}
    assert kept[StepCountMonth] and kept[ClosedCaseMonth]
    for model in tables:
        model.objects.all().delete()
    rollup.rollup_rebuild(start=TODAY - datetime.timedelta(days=500), end=TODAY)
    assert {model: sorted(model.objects.values_list(*fields)) for model, fields in tables.items()} == kept


# --- the page and its CSV show the same ---------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_the_dashboard_shows_the_counted_figures(county, mandant, team_member, staff_client):
    want = expected(mandant, period_last_year())
    page = staff_client(team_member).get("/verwaltung/cockpit/")
    assert page.status_code == 200
    html = page.content.decode()

    def shown(name: str) -> str:
        return re.search(rf'data-figure="{name}">([^<]*)<', html).group(1).strip()

    assert shown("services_total") == str(want["services_total"])
    assert shown("online_services") == str(want["online"])
    assert shown("submissions") == str(want["submissions"])
    assert shown("digital_share") == "66,7 %"
    assert shown("inquiry_rate") == "16,7 %"
    assert shown("paid_online_share") == "50,0 %"
    channels = dict(
        re.findall(r'<th scope="row" class="kern-table__cell">([^<]+)</th><td[^>]*data-channel[^>]*>(\d+)<', html)
    )
    assert {label: int(count) for label, count in channels.items()} == {
        label: want["by_channel"].get(value, 0) for value, label in Channel.choices
    }
    for slug in ("reifegrad", "reifegrad-alt", "antraege-monat", "antraege-leistung", "bearbeitungsdauer", "abbruch"):
        assert f'id="chart-{slug}-title"' in html
        assert f"/verwaltung/cockpit/zahlen/{slug}.csv?von=" in html
    assert html.count('role="img"') >= 7
    assert html.count("<caption") >= 8  # one table per chart and the channels


def test_each_chart_csv_holds_the_counted_figures(county, mandant, reader, staff_client):
    client = staff_client(reader)
    want = expected(mandant, period_last_year())

    rows = read_csv(client.get("/verwaltung/cockpit/zahlen/antraege-monat.csv"))
    assert rows[0] == ["Monat", "Anträge"]
    assert sum(int(row[1]) for row in rows[1:]) == want["submissions"]
    assert len(rows) - 1 == len(period_last_year().months)

    rows = read_csv(client.get("/verwaltung/cockpit/zahlen/antraege-leistung.csv"))
    totals = {row[0]: int(row[-1]) for row in rows[1:]}
    # A row is named after the catalogue's service where the assistant has one.
    names = dict(Service.objects.filter(assistant__isnull=False).values_list("assistant__title", "name"))
    counted = Counter()
    for (title, _month), count in want["per_assistant"].items():
        counted[names.get(title, title)] += count
    assert totals == {"Gewerbeanmeldung": 3, "Fischereischein": 2, "Hundesteuer": 1} == dict(counted)

    rows = read_csv(client.get("/verwaltung/cockpit/zahlen/reifegrad.csv"))
    assert {row[0].split(":")[0]: int(row[1]) for row in rows[1:] if int(row[1])} == {
        str(level): count for level, count in want["by_level"].items()
    }

    rows = read_csv(client.get("/verwaltung/cockpit/zahlen/reifegrad-alt.csv"))
    assert {row[0].split(":")[0]: int(row[1]) for row in rows[1:] if int(row[1])} == {
        f"Stufe {level}": count for level, count in want["by_legacy_level"].items()
    }

    rows = read_csv(client.get("/verwaltung/cockpit/zahlen/bearbeitungsdauer.csv"))
    assert rows[1] == ["Testvorgang", "2", "5", "12"]

    rows = read_csv(client.get("/verwaltung/cockpit/zahlen/quoten.csv"))
    assert rows[1][1:] == ["4", "6", "66,7"]
    assert rows[2][1:] == ["1", "6", "16,7"]
    assert rows[3][1:] == ["1", "2", "50,0"]

    rows = read_csv(client.get("/verwaltung/cockpit/zahlen/abbruch.csv"))
    assert ["Gewerbeanmeldung: begonnen", "5", "100"] in rows
    assert ["Gewerbeanmeldung: Angaben zur Person", "4", "80,0"] in rows
    assert ["Gewerbeanmeldung: eingereicht", "3", "60,0"] in rows

    assert client.get("/verwaltung/cockpit/zahlen/unbekannt.csv").status_code == 404


def test_the_csv_follows_the_chosen_period(county, mandant, reader, staff_client):
    start, end = TODAY - datetime.timedelta(days=100), TODAY - datetime.timedelta(days=80)
    response = staff_client(reader).get(
        "/verwaltung/cockpit/zahlen/antraege-monat.csv", {"von": start.isoformat(), "bis": end.isoformat()}
    )
    rows = read_csv(response)
    assert sum(int(row[1]) for row in rows[1:]) == len(in_period(Period(start, end))) == 2
    assert f"antraege-monat-{start:%Y-%m-%d}-{end:%Y-%m-%d}.csv" in response["Content-Disposition"]


def test_a_charts_whole_table_has_a_page_of_its_own(county, mandant, reader, staff_client):
    client = staff_client(reader)
    page = client.get("/verwaltung/cockpit/zahlen/abbruch/")
    assert page.status_code == 200
    html = page.content.decode()
    rows = re.findall(r'<th scope="row" class="kern-table__cell">([^<]+)</th>', html)
    csv_rows = read_csv(client.get("/verwaltung/cockpit/zahlen/abbruch.csv"))
    assert rows == [row[0] for row in csv_rows[1:]]
    assert "Gewerbeanmeldung: Angaben zur Person" in rows
    assert "/verwaltung/cockpit/zahlen/abbruch.csv?von=" in html

    start, end = TODAY - datetime.timedelta(days=100), TODAY - datetime.timedelta(days=80)
    page = client.get("/verwaltung/cockpit/zahlen/antraege-monat/", {"von": start.isoformat(), "bis": end.isoformat()})
    assert f"{start:%d.%m.%Y} – {end:%d.%m.%Y}" in page.content.decode()
    assert client.get("/verwaltung/cockpit/zahlen/unbekannt/").status_code == 404
    refused = client.get("/verwaltung/cockpit/zahlen/abbruch/", {"von": "2026-03-01", "bis": "2026-01-01"})
    assert refused.status_code == 400 and "nicht vor" in refused.content.decode()


def test_the_dashboard_shows_the_most_used_and_links_every_row(mandant, unit, publish_assistant, reader, staff_client):
    from kreiswerk.cockpit.charts import TOP_SERVICES
    from tests.cases.conftest import make_submission

    for index in range(TOP_SERVICES + 2):
        version = publish_assistant(simple_definition(slug=f"antrag-{index}", title={"de": f"Antrag {index:02d}"}))
        for _ in range(index + 1):
            make_submission(version)
    html = staff_client(reader).get("/verwaltung/cockpit/").content.decode()
    section = html[html.index('id="antraege-leistung-heading"') :]
    section = section[: section.index("</section>")]
    listed = re.findall(r'<th scope="row" class="kern-table__cell">(Antrag \d+)</th>', section)
    assert listed == [f"Antrag {index:02d}" for index in reversed(range(2, TOP_SERVICES + 2))]
    assert f"die ersten {TOP_SERVICES} von {TOP_SERVICES + 2} Zeilen" in section
    assert "/verwaltung/cockpit/zahlen/antraege-leistung/?von=" in section


def test_csv_text_that_looks_like_a_formula_is_neutralised(mandant, unit, publish_assistant, reader, staff_client):
    version = publish_assistant(simple_definition(slug="formel", title={"de": '=HYPERLINK("http://x")'}))
    apply(version, days_ago=1)
    rows = read_csv(staff_client(reader).get("/verwaltung/cockpit/zahlen/antraege-leistung.csv"))
    assert rows[1][0] == '\'=HYPERLINK("http://x")'


# --- the period form ----------------------------------------------------------------------------


def test_a_period_ending_before_it_starts_is_refused_in_german(mandant, team_member, staff_client):
    page = staff_client(team_member).get("/verwaltung/cockpit/", {"von": "2026-05-01", "bis": "2026-04-01"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Es gibt ein Problem" in html
    assert "Das Ende des Zeitraums darf nicht vor seinem Anfang liegen." in html
    assert str(period_last_year()) in html  # the page still shows the default period's figures


@pytest.mark.parametrize(
    "query",
    [
        {"von": "gestern"},
        {"bis": "31.02.2026"},
        {"von": "1999-12-31", "bis": "2026-01-01"},
        {"von": "9999-01-01"},
        {"von": "2000-01-01", "bis": "2026-01-01"},
        {"von": "\x00"},
        {"von": "2026-01-01", "bis": "2026-01-01"},
    ],
)
def test_odd_periods_never_break_the_page(mandant, team_member, staff_client, query):
    client = staff_client(team_member)
    assert client.get("/verwaltung/cockpit/", query).status_code == 200
    assert client.get("/verwaltung/cockpit/zahlen/quoten.csv", query).status_code in (200, 400)


def test_a_german_date_is_understood(mandant, team_member, staff_client):
    page = staff_client(team_member).get("/verwaltung/cockpit/", {"von": "01.01.2026", "bis": "31.03.2026"})
    assert "01.01.2026 – 31.03.2026" in page.content.decode()


def test_an_empty_county_shows_the_dashboard(mandant, reader, staff_client):
    page = staff_client(reader).get("/verwaltung/cockpit/")
    assert page.status_code == 200
    assert "Im Zeitraum liegen keine Daten vor." in page.content.decode()


# --- who may see it ------------------------------------------------------------------------------


def test_staff_without_a_cockpit_role_get_403(mandant, colleague, staff_client):
    client = staff_client(colleague)
    assert client.get("/verwaltung/cockpit/").status_code == 403
    assert client.get("/verwaltung/cockpit/zahlen/quoten.csv").status_code == 403


def test_anonymous_visitors_are_sent_to_the_login(mandant, client):
    for url in ("/verwaltung/cockpit/", "/verwaltung/cockpit/zahlen/quoten.csv"):
        response = client.get(url)
        assert response.status_code == 302 and "anmelden" in response["Location"].lower()


def test_the_dashboard_is_read_only(mandant, team_member, staff_client):
    assert staff_client(team_member).post("/verwaltung/cockpit/").status_code == 405


@pytest.mark.django_db(transaction=True)
def test_two_page_views_refreshing_at_once_do_not_collide(mandant, unit, publish_assistant):
    from django.db import connection

    from tests.cases.conftest import make_submission

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    version = publish_assistant(simple_definition())
    for _ in range(3):
        make_submission(version)
    barrier = threading.Barrier(4)

    def refresh():
        barrier.wait(timeout=10)
        rollup.rollup_refresh()

    assert run_together(refresh, threads=4) == []
    assert list(SubmissionDay.objects.values_list("submissions", flat=True)) == [3]
    assert not StaleDay.objects.exists()
