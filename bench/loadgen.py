"""A small closed-loop HTTP/1.1 load generator: asyncio and raw sockets, nothing else.

N workers each keep one connection (reopened when the server closes it, as
gunicorn's sync workers do after every response) and run one *iteration* after
the other until the deadline. An iteration is one or more requests; its latency
is measured from the first byte sent to the last byte received.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlencode

REQUEST_TIMEOUT = 30.0


class HTTPError(Exception):
    pass


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


class Connection:
    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes = b"") -> Response:
        if self.writer is None:
            await self._open()
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(body)}"]
        head += [f"{name}: {value}" for name, value in headers]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        try:
            return await asyncio.wait_for(self._read(), REQUEST_TIMEOUT)
        except BaseException:
            self.close()
            raise

    async def _read(self) -> Response:
        await self.writer.drain()
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        version, status, *_reason = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, _sep, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            body = b"".join(parts)
        else:
            body = await self.reader.read()
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close" or version == "HTTP/1.0":
            self.close()
        return Response(int(status), headers, body)


@dataclass
class Outcome:
    """What one load run saw."""

    duration: float
    latencies_ms: list[float] = field(default_factory=list)  # iterations that ended before the deadline
    ok_total: int = 0  # successful iterations, the ones after the deadline included
    failed: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    exhausted: bool = False

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.duration

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if isinstance(status, int) and status >= 500)

    def percentile(self, fraction: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]

    def summary(self) -> dict:
        return {
            "rate": self.rate,
            "completed_in_window": len(self.latencies_ms),
            "ok_total": self.ok_total,
            "failed": self.failed,
            "p50_ms": self.percentile(0.50),
            "p95_ms": self.percentile(0.95),
            "p99_ms": self.percentile(0.99),
            "mean_ms": statistics.fmean(self.latencies_ms) if self.latencies_ms else float("nan"),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items(), key=str)},
            "server_errors": self.server_errors,
            "failures": self.failures[:5],
            "exhausted": self.exhausted,
            "duration_s": self.duration,
        }


# An iteration gets a connection and the outcome to record statuses in; True means success.
Iteration = Callable[[Connection, Outcome], Awaitable[bool]]


async def _run(host: str, port: int, clients: int, duration: float, make: Callable[[], Iteration | None]) -> Outcome:
    outcome = Outcome(duration=duration)
    deadline = time.perf_counter() + duration

    async def worker() -> None:
        conn = Connection(host, port)
        try:
            while time.perf_counter() < deadline:
                iteration = make()
                if iteration is None:
                    outcome.exhausted = True
                    return
                start = time.perf_counter()
                try:
                    ok = await iteration(conn, outcome)
                except (TimeoutError, OSError, asyncio.IncompleteReadError, HTTPError, ValueError) as exc:
                    conn.close()
                    outcome.statuses[type(exc).__name__] += 1
                    outcome.failures.append(repr(exc))
                    ok = False
                end = time.perf_counter()
                if ok:
                    outcome.ok_total += 1
                    if end <= deadline:
                        outcome.latencies_ms.append((end - start) * 1000)
                else:
                    outcome.failed += 1
        finally:
            conn.close()

    await asyncio.gather(*(worker() for _ in range(clients)))
    return outcome


def run(host: str, port: int, clients: int, duration: float, make: Callable[[], Iteration | None]) -> Outcome:
    return asyncio.run(_run(host, port, clients, duration, make))


# --- the two workloads -------------------------------------------------------------------------


def multipart(fields: list[tuple[str, str]], files: list[tuple[str, str, str, bytes]]) -> tuple[str, bytes]:
    boundary = "----kreiswerkbench" + uuid.uuid4().hex
    parts = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, content_type, content in files:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(parts)


def _record(outcome: Outcome, response: Response, expect: int, location_part: str, what: str) -> bool:
    outcome.statuses[response.status] += 1
    location = response.headers.get("location", "")
    if response.status == expect and location_part in location:
        return True
    if len(outcome.failures) < 20:
        outcome.failures.append(f"{what}: {response.status} {location} {response.body[:300]!r}")
    return False


def submit_iterations(
    drafts: Iterator[list[str]],
    *,
    csrf: str,
    session_cookie: str,
    step_key: str,
    fields: list[tuple[str, str]],
    file: tuple[str, str, str, bytes],
) -> Callable[[], Iteration | None]:
    """One iteration = POST the step (fields and upload), then POST the check page to submit."""
    content_type, body = multipart(
        [("csrfmiddlewaretoken", csrf), ("_step", step_key), ("_action", "weiter"), *fields], [file]
    )

    def make() -> Iteration | None:
        item = next(drafts, None)
        if item is None:
            return None
        draft_id, session_key, submit_key = item
        cookie = [("Cookie", f"csrftoken={csrf}; {session_cookie}={session_key}")]
        form = urlencode({"csrfmiddlewaretoken": csrf, "submit_key": submit_key}).encode()

        async def iteration(conn: Connection, outcome: Outcome) -> bool:
            response = await conn.request(
                "POST",
                f"/entwurf/{draft_id}/schritt/{step_key}/",
                [*cookie, ("Content-Type", content_type)],
                body,
            )
            if not _record(outcome, response, 302, "/pruefen/", "step"):
                return False
            response = await conn.request(
                "POST",
                f"/entwurf/{draft_id}/pruefen/",
                [*cookie, ("Content-Type", "application/x-www-form-urlencoded")],
                form,
            )
            return _record(outcome, response, 302, "/eingang/", "check")

        return iteration

    return make


def baseline_iterations(*, csrf: str) -> Callable[[], Iteration | None]:
    """One iteration = one POST of three fields to the baseline insert view."""
    counter = iter(range(10**9))
    headers = [("Cookie", f"csrftoken={csrf}"), ("Content-Type", "application/x-www-form-urlencoded")]

    def make() -> Iteration:
        n = next(counter)
        form = urlencode(
            {"csrfmiddlewaretoken": csrf, "name": f"Person {n}", "email": f"p{n}@example.org", "amount": n % 1000}
        ).encode()

        async def iteration(conn: Connection, outcome: Outcome) -> bool:
            response = await conn.request("POST", "/bench/baseline/insert", headers, form)
            outcome.statuses[response.status] += 1
            if response.status == 201:
                return True
            if len(outcome.failures) < 20:
                outcome.failures.append(f"baseline: {response.status} {response.body[:300]!r}")
            return False

        return iteration

    return make
