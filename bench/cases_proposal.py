"""A proposed change still outside src/, measured in the bench process only.

``BENCH_CASES_PROPOSAL=1`` measures the three E-Akte pages a second time with it, interleaved
with the product in the same run (``proposal`` in bench/results.json).

``DISABLE_SERVER_SIDE_CURSORS``: every select box of a form (Django's ModelChoiceIterator
uses ``QuerySet.iterator()``) opened a ``DECLARE … WITH HOLD`` cursor on PostgreSQL, a round
trip and a commit each. Switching them off for the whole site would cost the streaming
exports their constant memory. The forms of the three pages have since stopped iterating
(``cases.forms.RowChoiceField`` shows and checks rows read beforehand), so the pages open no
cursor and this setting no longer changes them; no ``DECLARE`` is among their queries
(``explain-<figure>.txt``).
"""

from __future__ import annotations

import contextlib


def apply_database(cursor) -> None:
    """Nothing to change in the database: the indexes and statistics are in the migrations."""


@contextlib.contextmanager
def applied():
    from django.db import connections

    settings = connections["default"].settings_dict
    saved = settings.get("DISABLE_SERVER_SIDE_CURSORS", False)
    settings["DISABLE_SERVER_SIDE_CURSORS"] = True
    try:
        yield
    finally:
        settings["DISABLE_SERVER_SIDE_CURSORS"] = saved
