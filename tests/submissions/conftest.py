"""clamd fixtures: Debian's real clamd with a local EICAR-only signature database.

``clamd_server`` (session) starts /usr/sbin/clamd in the foreground with its
own config in a tmp dir (unix socket plus tcp on 127.0.0.1) and waits for
PING/PONG. ``clamd_scanning`` points KREISWERK_CLAMD_URL at it for one test.
``clamd_private_server`` starts a separate instance a test may stop or freeze.

Without /usr/sbin/clamd the tests are skipped, except when CI=true: then
they fail, so a CI image without ClamAV is noticed.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

import pytest

from tests.conftest import require_tool

CLAMD_BINARY = Path(os.environ.get("KREISWERK_TEST_CLAMD", "/usr/sbin/clamd"))
CLAMD_SUPPORT = Path(__file__).resolve().parent.parent / "clamd"
CLAMD_START_TIMEOUT = 60
CLAMD_STREAM_MAX = 4 * 1024 * 1024


def clamd_eicar_bytes() -> bytes:
    """The EICAR test string, assembled at runtime so no repository file contains it."""
    head = "$}7)CC7)^P(45XZP\\4[PA@%P!O5X"[::-1]
    return "".join([head, "EICAR-", "STANDARD-", "ANTIVIRUS-", "TEST-", "FILE!", "$H+H*"]).encode()


def _require_clamd() -> None:
    require_tool(
        CLAMD_BINARY.exists(), f"{CLAMD_BINARY} not found: install Debian's clamav-daemon to run the clamd tests"
    )


def _free_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ping(address, family) -> bool:
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(2)
            sock.connect(address)
            sock.sendall(b"zPING\0")
            return sock.recv(16).startswith(b"PONG")
    except OSError:
        return False


@dataclass
class ClamdServer:
    directory: Path
    socket_path: Path
    tcp_port: int
    process: subprocess.Popen
    log_path: Path
    _socket_dir: Path | None = field(default=None, repr=False)

    @property
    def unix_url(self) -> str:
        return f"unix://{self.socket_path}"

    @property
    def tcp_url(self) -> str:
        return f"tcp://127.0.0.1:{self.tcp_port}"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def freeze(self) -> None:
        """SIGSTOP: the socket still accepts connections, but nobody answers."""
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.thaw()
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        if self._socket_dir is not None:
            shutil.rmtree(self._socket_dir, ignore_errors=True)


def clamd_start(directory: Path, *, stream_max: int = CLAMD_STREAM_MAX) -> ClamdServer:
    """Start clamd with a config and database in ``directory``; return once it answers PING."""
    _require_clamd()
    database = directory / "db"
    database.mkdir(parents=True)
    for signature in sorted(CLAMD_SUPPORT.glob("kreiswerk-test.*db")):
        shutil.copy(signature, database / signature.name)
    (directory / "tmp").mkdir()

    socket_dir = None
    socket_path = directory / "clamd.sock"
    if len(str(socket_path)) > 100:  # sun_path is limited to 108 bytes
        socket_dir = Path(tempfile.mkdtemp(prefix="kw-clamd-"))
        socket_path = socket_dir / "clamd.sock"

    port = _free_tcp_port()
    config = Template((CLAMD_SUPPORT / "clamd.conf.template").read_text()).substitute(
        socket=socket_path,
        tcp_port=port,
        database=database,
        tmp=directory / "tmp",
        log=directory / "clamd.log",
        pid=directory / "clamd.pid",
        stream_max=stream_max,
    )
    config_path = directory / "clamd.conf"
    config_path.write_text(config)
    output = open(directory / "clamd.out", "wb")  # noqa: SIM115 - lives as long as clamd
    process = subprocess.Popen(
        [str(CLAMD_BINARY), f"--config-file={config_path}"],
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    output.close()
    server = ClamdServer(directory, socket_path, port, process, directory / "clamd.log", socket_dir)

    deadline = time.monotonic() + CLAMD_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            out = (directory / "clamd.out").read_text(errors="replace")
            server.stop()
            pytest.fail(f"clamd exited with {process.returncode}:\n{out}\n{server.log()}")
        if _ping(str(socket_path), socket.AF_UNIX) and _ping(("127.0.0.1", port), socket.AF_INET):
            return server
        time.sleep(0.1)
    server.stop()
    pytest.fail(f"clamd did not answer PING within {CLAMD_START_TIMEOUT}s:\n{server.log()}")


@pytest.fixture(scope="session")
def clamd_server(tmp_path_factory):
    """One real clamd for the session (unix socket and tcp), EICAR signatures only."""
    _require_clamd()
    server = clamd_start(tmp_path_factory.mktemp("clamd"))
    yield server
    server.stop()


@pytest.fixture
def clamd_private_server(tmp_path_factory):
    """A clamd of its own, for tests that stop or freeze it."""
    _require_clamd()
    server = clamd_start(tmp_path_factory.mktemp("clamd-private"))
    yield server
    server.stop()


@pytest.fixture
def clamd_scanning(settings, clamd_server):
    """KREISWERK_CLAMD_URL points at the session clamd (unix socket) for this test."""
    settings.KREISWERK_CLAMD_URL = clamd_server.unix_url
    settings.KREISWERK_CLAMD_TIMEOUT = 10
    return clamd_server


@pytest.fixture(scope="session")
def clamd_eicar() -> bytes:
    return clamd_eicar_bytes()
