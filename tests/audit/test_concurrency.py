"""Writers in parallel threads still produce one gap-free, valid chain (the head row lock)."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from kreiswerk.audit.models import AuditEntry
from kreiswerk.audit.services import audit_record, audit_verify

WORKERS, RECORDS = 4, 10


def write(worker: int) -> None:
    try:
        for index in range(RECORDS):
            audit_record(action="case.read", details={"worker": worker, "index": index})
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_parallel_writers_build_one_chain():
    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(write, range(WORKERS)))

    sequences = list(AuditEntry.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, WORKERS * RECORDS + 1))
    assert audit_verify() == []
