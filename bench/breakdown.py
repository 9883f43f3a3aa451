"""Where the time of a request goes: timers wrapped around named functions, in a bench process only.

Cheaper and less distorting than cProfile (a dozen wrappers, no per-call tracing).
Times are inclusive: a nested entry (``store_encrypted`` inside ``attachment_store``)
is also counted in its parent; a function called within itself (a template rendering
form widgets) counts once. SQL is timed per statement kind (autocommit
statements include their commit) and ``COMMIT`` of transactions separately.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import re
import time
from collections import defaultdict

# (module, attribute path, label); patched where the callers look the name up.
SUBMIT_TARGETS = [
    ("django.http.multipartparser", "MultiPartParser.parse", "multipart parse (200 KB body)"),
    ("kreiswerk.runner.views", "_draft_for", "_draft_for (session + draft query + definition)"),
    ("kreiswerk.runner.views", "_steps_state", "_steps_state"),
    ("kreiswerk.runner.views", "attachment_store", "attachment_store (check + encrypt + store + INSERT)"),
    ("kreiswerk.submissions.services", "filecheck.check_file", "  filecheck.check_file (libmagic)"),
    ("kreiswerk.submissions.services", "store_encrypted", "  store_encrypted (AES-GCM, write, fsync)"),
    ("kreiswerk.assistants.evaluation", "parse_step", "evaluation.parse_step"),
    ("kreiswerk.assistants.evaluation", "step_errors", "evaluation.step_errors"),
    ("kreiswerk.runner.services", "draft_save", "draft_save (encrypt answers + UPDATE)"),
    ("kreiswerk.runner.views", "submission_submit", "submission_submit (whole transaction)"),
    ("kreiswerk.submissions.services", "evaluation.all_errors", "  evaluation.all_errors"),
    ("kreiswerk.submissions.services", "_next_reference", "  _next_reference (SELECT FOR UPDATE + UPDATE)"),
    ("kreiswerk.submissions.services", "followup_enqueue", "  followup_enqueue (registers on_commit)"),
    ("django_tasks.base", "Task.enqueue", "job enqueue (INSERT, after commit)"),
    ("django.contrib.sessions.backends.db", "SessionStore.load", "session load (SELECT)"),
    ("django.contrib.sessions.backends.db", "SessionStore.save", "session save (UPDATE + commit)"),
    ("django.template.backends.django", "Template.render", "template render"),
    ("os", "fsync", "os.fsync (files and directories)"),
]
RENDER_TARGETS = [
    ("kreiswerk.runner.views", "_draft_for", "_draft_for (session + draft query + definition)"),
    ("kreiswerk.runner.views", "_steps_state", "_steps_state"),
    ("kreiswerk.runner.views", "_attachments_of", "_attachments_of (query)"),
    ("kreiswerk.runner.widgets", "step_fields", "widgets.step_fields (field contexts)"),
    ("kreiswerk.assistants.evaluation", "rule_data", "evaluation.rule_data"),
    ("django.template.backends.django", "Template.render", "template render (step.html)"),
    ("django.contrib.sessions.backends.db", "SessionStore.load", "session load (SELECT)"),
    ("django.contrib.sessions.backends.db", "SessionStore.save", "session save (UPDATE + commit)"),
]
CASES_TARGETS = [
    ("kreiswerk.cases.selectors", "inbox_page", "selectors.inbox_page (list query + applicants)"),
    ("kreiswerk.cases.forms", "InboxForm.__init__", "InboxForm (unit and Vorgangsart choices)"),
    ("kreiswerk.cases.views", "_inbox_rows", "_inbox_rows (rows as HTML)"),
    ("kreiswerk.cases.forms", "assignees", "forms.assignees (the unit's caseworkers)"),
    ("django.forms.boundfield", "BoundField.as_widget", "form widgets (BoundField.as_widget)"),
    ("kreiswerk.cases.views", "_visible_case", "_visible_case (case row)"),
    ("kreiswerk.cases.views", "_timeline", "_timeline (events, names, texts)"),
    ("kreiswerk.cases.views", "_document_rows", "_document_rows (documents with versions)"),
    ("kreiswerk.cases.views", "_deadline_rows", "_deadline_rows"),
    ("kreiswerk.cases.views", "_answers", "_answers (submission's answers)"),
    ("kreiswerk.cases.views", "audit_record", "audit_record (head lock, INSERT, UPDATE)"),
    ("kreiswerk.crypto.envelope", "decrypt", "envelope.decrypt (every encrypted value)"),
    ("django.template.backends.django", "Template.render", "template render"),
    ("django.contrib.sessions.backends.db", "SessionStore.load", "session load (SELECT)"),
    ("django.contrib.sessions.backends.db", "SessionStore.save", "session save (UPDATE + commit)"),
]


class Breakdown:
    def __init__(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def add(self, label: str, seconds: float) -> None:
        self.totals[label] += seconds
        self.calls[label] += 1

    def _wrap(self, func, label):
        depth = [0]

        def timed(*args, **kwargs):
            # Only the outermost call counts: a template that renders form widgets through
            # the same function would otherwise be counted twice.
            depth[0] += 1
            start = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                depth[0] -= 1
                if depth[0] == 0:
                    self.add(label, time.perf_counter() - start)

        timed.__wrapped__ = func
        return timed

    @contextlib.contextmanager
    def patched(self, targets):
        from django.db import connection
        from django.db.backends.base.base import BaseDatabaseWrapper

        undo = []
        for module_name, path, label in targets:
            owner = os if module_name == "os" else importlib.import_module(module_name)
            *parents, name = path.split(".")
            for parent in parents:
                owner = getattr(owner, parent)
            if not hasattr(owner, name):  # code under measurement moves; a vanished target is not an error
                continue
            original = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
            setattr(owner, name, self._wrap(original, label))
            undo.append((owner, name, original))

        commit = BaseDatabaseWrapper.commit

        def timed_commit(wrapper):
            start = time.perf_counter()
            try:
                return commit(wrapper)
            finally:
                self.add("SQL COMMIT (of atomic blocks)", time.perf_counter() - start)

        BaseDatabaseWrapper.commit = timed_commit

        def timed_sql(execute, sql, params, many, context):
            start = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                words = re.sub(r'"s\d+_x\d+"', "<sp>", " ".join(sql.split()[:4]))
                self.add(f"SQL {words[:70]}", time.perf_counter() - start)

        try:
            with connection.execute_wrapper(timed_sql):
                yield self
        finally:
            BaseDatabaseWrapper.commit = commit
            for owner, name, original in reversed(undo):
                setattr(owner, name, original)

    def lines(self, per: int) -> list[str]:
        sql_total = sum(v for k, v in self.totals.items() if k.startswith("SQL "))
        rows = sorted(self.totals.items(), key=lambda item: -item[1])
        out = [f"{'ms/unit':>8} {'calls':>6}  what   (per unit = {per} units measured)"]
        out.append(f"{sql_total / per * 1000:8.2f} {'':>6}  SQL in total (statements + commits)")
        for label, seconds in rows:
            out.append(f"{seconds / per * 1000:8.2f} {self.calls[label] / per:6.1f}  {label}")
        return out

    def top(self, per: int, count: int = 12) -> dict[str, float]:
        rows = sorted(self.totals.items(), key=lambda item: -item[1])[:count]
        return {label.strip(): round(seconds / per * 1000, 2) for label, seconds in rows}
