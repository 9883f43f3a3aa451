"""audit_record: who, what, when, from where, in one gap-free chain."""

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kreiswerk.audit import chain
from kreiswerk.audit.models import AuditEntry, AuditHead
from kreiswerk.audit.selectors import audit_entries, audit_entries_for, audit_head
from kreiswerk.audit.services import audit_record, audit_verify, client_address
from kreiswerk.tenancy.services import membership_grant

pytestmark = pytest.mark.django_db


def test_it_records_actor_address_and_browser_from_the_request(rf, caseworker, unit):
    request = rf.get("/vorgaenge/1/", REMOTE_ADDR="192.0.2.10", HTTP_USER_AGENT="Firefox/140")
    request.user = caseworker

    entry = audit_record(action="case.read", target=unit, request=request, details={"tab": "dokumente"})

    entry = AuditEntry.objects.get(pk=entry.pk)
    assert entry.sequence == 1
    assert (entry.actor_id, entry.actor_username) == (caseworker.pk, "sachbearbeitung")
    assert (entry.ip, entry.user_agent) == ("192.0.2.10", "Firefox/140")
    assert (entry.target_type, entry.target_id) == ("tenancy.organisationalunit", str(unit.pk))
    assert entry.mandant_id == unit.mandant_id
    assert entry.unit_id is None
    assert entry.details == {"tab": "dokumente"}
    assert entry.prev_hash == chain.GENESIS_HASH
    assert abs(entry.occurred_at - timezone.now()) < timedelta(seconds=10)


def test_it_takes_the_unit_from_a_target_that_has_one(caseworker, unit):
    membership = membership_grant(user=caseworker, unit=unit, role="administration")

    entry = audit_record(action="membership.grant", target=membership, actor=caseworker)

    assert (entry.unit_id, entry.mandant_id) == (unit.pk, None)


def test_it_records_no_actor_for_an_anonymous_request(rf):
    request = rf.get("/", REMOTE_ADDR="2001:DB8:0:0::1")
    request.user = AnonymousUser()

    entry = audit_record(action="case.read", request=request)

    assert (entry.actor_id, entry.actor_username) == (None, "")
    assert AuditEntry.objects.get().ip == "2001:db8::1"


def test_an_explicit_actor_wins_over_the_request_user(rf, caseworker, form_admin):
    request = rf.get("/")
    request.user = caseworker

    entry = audit_record(action="case.reassign", request=request, actor=form_admin)

    assert entry.actor_username == "formulare"


def test_it_truncates_the_user_agent_and_drops_an_unusable_address(rf):
    request = rf.get("/", REMOTE_ADDR="unix:/run/gunicorn.sock", HTTP_USER_AGENT="x" * 1000 + "\x00")

    entry = audit_record(action="case.read", request=request)

    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.ip is None
    assert stored.user_agent == "x" * 255
    assert audit_verify() == []


def test_details_take_ids_and_codes_but_no_floats(caseworker):
    document_id = uuid.uuid4()
    entry = audit_record(action="document.download", actor=caseworker, details={"document": document_id})
    assert entry.details == {"document": str(document_id)}

    with pytest.raises(TypeError):
        audit_record(action="fee.set", details={"amount": 12.5})
    with pytest.raises(TypeError):
        audit_record(action="case.read", details={1: "key must be a string"})


def test_it_refuses_an_empty_action_and_an_unsaved_target(unit):
    with pytest.raises(ValueError):
        audit_record(action="")
    with pytest.raises(ValueError):
        audit_record(action="case.read", target=type(unit)(mandant=unit.mandant))


def test_entries_are_numbered_without_gaps_and_linked(caseworker):
    entries = [audit_record(action="case.read", actor=caseworker, details={"n": n}) for n in range(5)]

    assert [entry.sequence for entry in entries] == [1, 2, 3, 4, 5]
    assert [entry.prev_hash for entry in entries[1:]] == [entry.hash for entry in entries[:-1]]
    head = audit_head()
    assert (head.sequence, head.hash) == (5, entries[-1].hash)
    assert AuditHead.objects.count() == 1
    assert audit_verify() == []


def test_removing_a_user_leaves_the_log_intact(caseworker):
    audit_record(action="case.read", actor=caseworker)
    user_id = caseworker.pk
    caseworker.delete()

    entry = AuditEntry.objects.get()
    assert (entry.actor_id, entry.actor_username) == (user_id, "sachbearbeitung")
    assert audit_verify() == []


def test_selectors_find_entries_by_target_and_by_actor(caseworker, form_admin, unit, other_unit):
    first = audit_record(action="case.read", actor=caseworker, target=unit)
    audit_record(action="case.read", actor=form_admin, target=other_unit)
    third = audit_record(action="case.status_change", actor=caseworker, target=unit, details={"to": "closed"})

    assert list(audit_entries_for(target=unit)) == [first, third]
    assert list(audit_entries(actor=caseworker)) == [first, third]
    assert list(audit_entries(actor=form_admin.pk)) == [AuditEntry.objects.get(sequence=2)]
    assert list(audit_entries(since=third.occurred_at)) == [third]
    assert list(audit_entries(until=first.occurred_at + timedelta(microseconds=1))) == [first]
    assert audit_entries(since=timezone.now() + timedelta(days=1)).count() == 0


def test_recording_costs_one_locked_read_one_insert_one_update(caseworker, unit):
    audit_record(action="case.read")
    with CaptureQueriesContext(connection) as captured:
        audit_record(action="case.read", actor=caseworker, target=unit)

    assert [query["sql"].split()[0].upper() for query in captured.captured_queries] == ["SELECT", "INSERT", "UPDATE"]


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "recorded"),
    [
        ([], "203.0.113.7", "198.51.100.1", "203.0.113.7"),  # no trusted proxy: the header is ignored
        (["10.0.0.0/8"], "10.0.0.5", "198.51.100.1", "198.51.100.1"),
        (["10.0.0.0/8"], "10.0.0.5", "6.6.6.6, 198.51.100.1, 10.0.0.9", "198.51.100.1"),  # spoofed left part
        (["10.0.0.0/8"], "203.0.113.7", "198.51.100.1", "203.0.113.7"),  # not from our proxy
        (["10.0.0.0/8"], "10.0.0.5", "kaputt", "10.0.0.5"),
        (["10.0.0.0/8", "2001:db8::/32"], "2001:db8::1", "2001:db8::2, 192.0.2.4", "192.0.2.4"),
    ],
)
def test_the_client_address_is_taken_from_trusted_proxies_only(settings, rf, proxies, remote, forwarded, recorded):
    settings.KREISWERK_TRUSTED_PROXIES = proxies
    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == recorded
