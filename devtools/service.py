"""What every test double here shares: a threaded HTTP server on 127.0.0.1 that can go away and come back."""

from __future__ import annotations

import contextlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LocalService:
    """``start()`` serves on a free port (the same one again after ``stop()``), ``url`` names it."""

    def __init__(self):
        self.port = 0
        self.requests = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._connections: set[socket.socket] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                with service._lock:
                    service._connections.add(self.connection)

            def finish(self):
                with service._lock:
                    service._connections.discard(self.connection)
                super().finish()

            def do_GET(self):  # noqa: N802  (http.server's name)
                service._count()
                service.handle(self, "GET")

            def do_POST(self):  # noqa: N802
                service._count()
                service.handle(self, "POST")

            def log_message(self, *args):
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        # A short poll interval: stop() returns at once instead of after half a second.
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Go away as a crashed service would: kept-alive connections end too."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._lock:
            connections, self._connections = self._connections, set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def _count(self) -> None:
        with self._lock:
            self.requests += 1

    def handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        raise NotImplementedError


def send(handler, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(data)))
    handler.send_header("Cache-Control", "no-store")
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(data)
