"""Background jobs on Django's task API, with bounded retries and exponential backoff.

A job function takes keyword arguments only (ids, never personal data) plus
``attempt``. On failure it is enqueued again with a delay until
``max_attempts``; the last failure is logged and re-raised so the backend
records the job as failed.
"""

import functools
import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks_db import DatabaseBackend

logger = logging.getLogger(__name__)


def retrying_task(*, max_attempts: int = 6, base_delay_seconds: int = 30, max_delay_seconds: int = 3600):
    """Decorate a job function; returns the task object (``.enqueue(**kwargs)``)."""

    def decorator(func):
        @functools.wraps(func)
        def run(*, attempt: int = 1, **kwargs):
            try:
                return func(**kwargs)
            except Exception as exc:
                if attempt >= max_attempts:
                    logger.error("job %s failed for good after %s attempts", func.__name__, attempt)
                    raise
                delay = backoff_seconds(attempt, base=base_delay_seconds, maximum=max_delay_seconds)
                logger.warning(
                    "job %s attempt %s failed (%s); retrying in %ss",
                    func.__name__,
                    attempt,
                    type(exc).__name__,
                    delay,
                )
                enqueue_later(job, delay, attempt=attempt + 1, **kwargs)
                return None

        job = task(run)
        return job

    return decorator


def enqueue_later(job, seconds: int, **kwargs) -> None:
    """Start ``job`` in ``seconds``; the in-process backend of tests cannot defer and runs it at once."""
    if job.get_backend().supports_defer:
        job = job.using(run_after=timezone.now() + timedelta(seconds=seconds))
    job.enqueue(**kwargs)


def backoff_seconds(attempt: int, *, base: int, maximum: int) -> int:
    """The wait after failed attempt number ``attempt`` (1, 2, ...): doubling, capped."""
    return min(maximum, base * 2 ** (attempt - 1))


def enqueue_on_commit(job, **kwargs) -> None:
    """Start ``job`` only for committed work, never for rolled-back work.

    On the database queue the job row joins the surrounding transaction: committed
    together or not at all, so a crash right after the commit cannot lose it (and
    it costs no extra commit). Other queues are told after the commit.
    """
    if isinstance(job.get_backend(), DatabaseBackend) and transaction.get_connection().in_atomic_block:
        job.enqueue(**kwargs)
    else:
        transaction.on_commit(lambda: job.enqueue(**kwargs))
