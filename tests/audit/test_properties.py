"""For any log and any single change to one stored entry, verification reports a problem."""

import json
import string
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.test import RequestFactory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kreiswerk.audit import chain
from kreiswerk.audit.models import AuditEntry
from kreiswerk.audit.services import audit_record, audit_verify

from .conftest import entries_swap_contents, entries_swap_sequences, entry_delete, entry_set

text = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=30)
codes = st.text(string.ascii_lowercase + "._", min_size=1, max_size=30)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**62), 2**62) | text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(text, children, max_size=3),
    max_leaves=8,
)
addresses = st.none() | st.ip_addresses().map(str)
records = st.fixed_dictionaries(
    {
        "action": codes,
        "details": st.dictionaries(text, json_values, max_size=4),
        "ip": addresses,
        "user_agent": text,
    }
)

NEW_VALUES = {
    "action": codes,
    "target_type": codes,
    "target_id": text,
    "actor_id": st.none() | st.integers(1, 2**62),
    "actor_username": text,
    "mandant_id": st.none() | st.integers(1, 2**62),
    "unit_id": st.none() | st.integers(1, 2**62),
    "ip": addresses,
    "user_agent": text,
    "details": st.dictionaries(text, json_values, max_size=4),
    "prev_hash": st.text("0123456789abcdef", min_size=64, max_size=64),
    "hash": st.text("0123456789abcdef", min_size=64, max_size=64),
}


def canonical(name: str, value):
    if name == "ip":
        return chain.normalise_ip(value)
    return json.dumps(value, sort_keys=True)


def record_all(items: list[dict]) -> None:
    factory = RequestFactory()
    for item in items:
        request = factory.get("/", REMOTE_ADDR=item["ip"] or "", HTTP_USER_AGENT=item["user_agent"])
        request.user = AnonymousUser()
        audit_record(action=item["action"], request=request, details=item["details"])


def mutate(data, count: int) -> None:
    kind = data.draw(st.sampled_from(["field", "time", "sequence", "delete", "swap"] if count > 1 else ["field"]))
    sequence = data.draw(st.integers(1, count), label="sequence")
    if kind == "delete":
        entry_delete(sequence)
    elif kind == "swap":
        other = data.draw(st.integers(1, count).filter(lambda n: n != sequence), label="other")
        data.draw(st.sampled_from([entries_swap_sequences, entries_swap_contents]))(sequence, other)
    elif kind == "sequence":
        entry_set(sequence, sequence=data.draw(st.integers(count + 1, count + 100) | st.just(0)))
    elif kind == "time":
        delta = data.draw(st.integers(-(10**9), 10**9).filter(bool))
        entry = AuditEntry.objects.get(sequence=sequence)
        entry_set(sequence, occurred_at=entry.occurred_at + timedelta(microseconds=delta))
    else:
        name = data.draw(st.sampled_from(sorted(NEW_VALUES)), label="field")
        old = AuditEntry.objects.values_list(name, flat=True).get(sequence=sequence)
        new = data.draw(NEW_VALUES[name].filter(lambda value: canonical(name, value) != canonical(name, old)))
        entry_set(sequence, **{name: new})


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(records, min_size=1, max_size=5), data=st.data())
def test_any_single_change_is_detected(items, data):
    with transaction.atomic():
        record_all(items)
        assert audit_verify() == []

        mutate(data, len(items))

        assert audit_verify(), "tampering went unnoticed"
        transaction.set_rollback(True)
