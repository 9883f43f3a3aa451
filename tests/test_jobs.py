"""Background jobs run on the configured queue, retry with backoff and stop after a bound."""

import time

import pytest
import redis
from django.core.management import call_command
from django.db import transaction
from django_tasks import task_backends
from django_tasks_db.models import DBTaskResult

from kreiswerk.jobs import enqueue_on_commit
from tests.jobs_support import broken_job, flaky_job

REDIS_URL = "redis://127.0.0.1:6379/15"


def run_db_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")


@pytest.mark.django_db(transaction=True)
def test_a_failing_job_is_retried_later_on_the_database_queue(database_queue, tmp_path):
    marker = tmp_path / "attempts"
    flaky_job.enqueue(path=str(marker))
    run_db_worker()
    assert marker.read_text() == "1"
    assert DBTaskResult.objects.count() == 2  # the first run and the deferred retry
    retry = DBTaskResult.objects.order_by("-enqueued_at").first()
    assert retry.run_after is not None and retry.args_kwargs["kwargs"]["attempt"] == 2
    time.sleep(1.2)
    run_db_worker()
    assert marker.read_text() == "2"


@pytest.mark.django_db(transaction=True)
def test_retries_stop_after_the_bound_and_the_job_is_recorded_as_failed(database_queue, tmp_path):
    marker = tmp_path / "attempts"
    broken_job.enqueue(path=str(marker))
    run_db_worker()
    time.sleep(1.2)
    run_db_worker()
    time.sleep(1.2)
    run_db_worker()
    assert marker.read_text() == "2"
    assert DBTaskResult.objects.filter(status="FAILED").count() == 1


@pytest.fixture
def redis_queue(settings):
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail("Redis is not reachable on 127.0.0.1:6379 (scripts/system-deps.sh starts it)")
    client.flushdb()
    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    task_backends._settings = None
    yield client
    task_backends._settings = None
    client.flushdb()


@pytest.mark.django_db(transaction=True)
def test_jobs_run_on_redis_when_configured(redis_queue, tmp_path):
    import django_rq
    from django_tasks_rq import Job

    marker = tmp_path / "attempts"
    flaky_job.enqueue(path=str(marker))
    assert django_rq.get_queue("default").count == 1
    django_rq.get_worker("default", job_class=Job).work(burst=True)
    assert marker.read_text() == "1"
    time.sleep(1.5)
    django_rq.get_worker("default", job_class=Job).work(burst=True, with_scheduler=True)
    assert marker.read_text() == "2"


@pytest.mark.django_db(transaction=True)
def test_on_the_database_queue_a_job_commits_or_rolls_back_with_its_work(database_queue, tmp_path):
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit(flaky_job, path=str(tmp_path / "rolled-back"))
        raise RuntimeError("the submit failed")
    assert DBTaskResult.objects.count() == 0
    with transaction.atomic():
        enqueue_on_commit(flaky_job, path=str(tmp_path / "committed"))
        assert DBTaskResult.objects.count() == 1  # part of the same transaction
    assert DBTaskResult.objects.count() == 1
