"""A job for the queue tests: fails on its first attempt, counts attempts in a file."""

from pathlib import Path

from kreiswerk.jobs import retrying_task


@retrying_task(max_attempts=3, base_delay_seconds=1)
def flaky_job(*, path: str) -> None:
    marker = Path(path)
    attempts = int(marker.read_text()) + 1 if marker.exists() else 1
    marker.write_text(str(attempts))
    if attempts == 1:
        raise ConnectionError("the mail server is down, as happens")


@retrying_task(max_attempts=2, base_delay_seconds=1)
def broken_job(*, path: str) -> None:
    marker = Path(path)
    marker.write_text(str(int(marker.read_text()) + 1 if marker.exists() else 1))
    raise ConnectionError("always down")
