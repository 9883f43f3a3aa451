"""The inbox: team and personal views, filters, search through the blind index, key paging."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from kreiswerk.cases import selectors, services
from kreiswerk.crypto import blind_index

from .conftest import days_ago

pytestmark = pytest.mark.django_db


def _references(response) -> list[str]:
    return [row["case"].reference for row in response.context["rows"]]


def test_the_inbox_pages_through_every_case_once_in_deadline_order(open_case, caseworker):
    cases = [open_case(received=days_ago(day)) for day in range(7)]
    seen, cursor = [], ""
    while True:
        page = selectors.inbox_page(caseworker, selectors.InboxFilter(), cursor=cursor, page_size=3)
        seen.extend(page.cases)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert sorted(case.pk for case in seen) == sorted(case.pk for case in cases)
    assert [case.due_sort for case in seen] == sorted(case.due_sort for case in seen)


@pytest.mark.parametrize("sort", list(selectors.SORTS))
def test_every_sort_pages_without_gaps_or_repeats(open_case, caseworker, sort):
    for day in (3, 3, 1, 0, 5):
        open_case(received=days_ago(day))
    seen, cursor = [], ""
    for _ in range(10):
        page = selectors.inbox_page(caseworker, selectors.InboxFilter(sort=sort), cursor=cursor, page_size=2)
        seen.extend(case.pk for case in page.cases)
        cursor = page.next_cursor
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 5


def test_filters_personal_view_unassigned_overdue_and_period(open_case, caseworker, staff_client):
    mine = open_case(name="Max Mustermann", received=days_ago(40))
    services.case_assign(case=mine, assignee=caseworker, actor=caseworker)
    fresh = open_case(name="Lena Neu")
    client = staff_client(caseworker)
    url = reverse("cases:inbox")

    assert _references(client.get(url, {"ansicht": "meine"})) == [mine.reference]
    assert _references(client.get(url, {"bearbeitung": "offen"})) == [fresh.reference]
    assert _references(client.get(url, {"frist": "ueberfaellig"})) == [mine.reference]
    since = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    assert _references(client.get(url, {"von": since})) == [fresh.reference]
    assert set(_references(client.get(url, {"sortierung": "eingang"}))) == {mine.reference, fresh.reference}


def test_search_finds_names_emails_and_references_without_clear_text(open_case, caseworker, staff_client):
    mueller = open_case(name="Jürgen Müller-Lüdenscheidt", email="JM@Example.org")
    other = open_case(name="Erika Mustermann")
    client = staff_client(caseworker)
    url = reverse("cases:inbox")
    for query in ("müller", "MUELLER", "Lüdenscheidt", "jürgen müller-lüdenscheidt", "jm@example.org"):
        assert _references(client.get(url, {"suche": query})) == [mueller.reference], query
    assert _references(client.get(url, {"suche": other.reference})) == [other.reference]
    assert _references(client.get(url, {"suche": "Schmidt"})) == []


def test_bad_filters_get_a_german_message_and_a_bad_cursor_starts_over(open_case, caseworker, staff_client):
    open_case()
    client = staff_client(caseworker)
    response = client.get(reverse("cases:inbox"), {"von": "2026-13-45", "art": "999999", "frist": "nie"})
    assert response.status_code == 200
    assert "Bitte prüfen Sie die Filter" in response.content.decode()
    assert len(_references(client.get(reverse("cases:inbox"), {"nach": "%%%kaputt"}))) == 1
    assert len(_references(client.get(reverse("cases:inbox"), {"nach": "dHgyMDI2fDE"}))) == 1


@given(st.text(max_size=40))
def test_normalisation_is_idempotent_and_case_blind(text):
    once = blind_index.normalise(text)
    assert blind_index.normalise(once) == once
    assert blind_index.normalise(text.upper()) == blind_index.normalise(text.lower())


@given(st.text(max_size=30))
def test_cursor_decoding_never_raises(text):
    assert selectors.cursor_decode(text) is None or isinstance(selectors.cursor_decode(text), tuple)


def test_the_selection_downloads_as_a_spreadsheet_without_formulas(open_case, caseworker, staff_client):
    import io

    import openpyxl

    open_case(name='=HYPERLINK("http://boese.example") Test')
    open_case(name="Erika Mustermann")
    response = staff_client(caseworker).get(reverse("cases:export"), {"sortierung": "az"})
    assert response["Content-Disposition"].startswith('attachment; filename="Vorgaenge-')
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("Aktenzeichen", "Vorgangsart", "Organisationseinheit", "Antragsteller/in")
    assert len(rows) == 3
    assert rows[1][0] < rows[2][0]
    assert {row[3] for row in rows[1:]} == {'\'=HYPERLINK("http://boese.example") Test', "Erika Mustermann"}


def test_reindex_makes_search_work_again_after_the_index_key_changed(open_case, caseworker, settings):
    from django.core.management import call_command

    case = open_case(name="Erika Mustermann")
    settings.KREISWERK_INDEX_KEY = "ein-neuer-schluessel"
    search = selectors.InboxFilter(query="Mustermann")
    assert selectors.inbox_page(caseworker, search).cases == []
    call_command("cases", "reindex")
    assert [found.pk for found in selectors.inbox_page(caseworker, search).cases] == [case.pk]
