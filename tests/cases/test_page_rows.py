"""The long lists of the case page and the inbox, written in the view: escaped, complete, and in
a fixed number of queries however long they are."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kreiswerk.cases import services
from kreiswerk.cases.models import Document, Party
from kreiswerk.crypto.files import store_encrypted
from tests.cases.conftest import internal_document

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script> & Co'


def _page(client, case) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("cases:detail", kwargs={"case_id": case.pk}))
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def test_it_escapes_what_the_rows_show(open_case, caseworker, staff_client):
    case = open_case(name=HOSTILE)
    services.document_add(
        case=case,
        kind=Document.Kind.INTERNAL,
        direction=Document.Direction.INTERNAL,
        title=HOSTILE,
        filename='"quote".pdf',
        content_type="application/pdf",
        stored=store_encrypted([b"%PDF-1.7"], namespace="cases"),
        user=caseworker,
    )
    client = staff_client(caseworker)
    page, _queries = _page(client, case)
    inbox = client.get(reverse("cases:inbox")).content.decode()
    for html in (page, inbox):
        assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in page
    assert "&quot;quote&quot;.pdf" in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in inbox


def test_the_case_page_runs_as_many_queries_for_long_lists_as_for_short(open_case, caseworker, staff_client):
    case = open_case()
    client = staff_client(caseworker)
    services.note_add(case=case, author=caseworker, text="Erste Notiz")
    services.reminder_set(case=case, owner=caseworker, due_on=timezone.localdate(), reason="Nachsehen")
    services.case_assign(case=case, assignee=caseworker, actor=caseworker)
    _page(client, case)  # definitions built, sessions settled
    _first, few = _page(client, case)

    for number in range(5):
        internal_document(case, user=caseworker)
        services.note_add(case=case, author=caseworker, text=f"Notiz {number}")
        services.reminder_set(
            case=case, owner=caseworker, due_on=timezone.localdate() + datetime.timedelta(days=number), reason="x"
        )
        services.party_add(case=case, role=Party.Role.OTHER, name=f"Person {number}")
    services.case_release(case=case, actor=caseworker)
    services.case_assign(case=case, assignee=caseworker, actor=caseworker)
    page, many = _page(client, case)

    assert many == few
    assert page.count('class="kern-table__row"') == 1 + case.documents.count()
    timeline = page.split('class="kw-timeline"', 1)[1].split("</ol>", 1)[0]
    assert timeline.count("<li>") == case.events.count()
    assert "Zugewiesen an" in timeline
