"""The ``handoff`` phase's receiver, in its own process: ``devtools.handoff_receiver.Receiver`` as it is.

    python -m bench.handoff_receiver --port P --key FILE --report FILE [--schemas FILE]

Creates the 4096-bit key pair (FILE and FILE.public.json beside it) if missing, then
serves ``/fitconnect`` on 127.0.0.1:P: the port answers only once the key is ready. With
``--schemas`` (a JSON object: schema URI → submission schema) it also checks the data
against the submission schema. On SIGTERM it stops and writes what it received to the
report file as one JSON object, for ``bench/run.py`` to compare with the deliveries.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import signal
import threading
import time
from pathlib import Path

from devtools.handoff_receiver import Receiver, key_generate
from joserfc.jwk import RSAKey


def key_load(path: Path) -> RSAKey:
    if not path.exists():
        key = key_generate(kid="bench-fachverfahren")
        path.with_suffix(".public.json").write_text(json.dumps(key.as_dict(private=False)))
        path.write_text(json.dumps(key.as_dict(private=True)))
    return RSAKey.import_key(json.loads(path.read_text()))


def summary(receiver: Receiver, cpu_seconds: float) -> dict:
    items = list(receiver.received.values())
    keys = sorted(item.key for item in items)
    return {
        "requests": receiver.requests,
        "received": len(items),
        "repeats": sum(item.repeats for item in items),
        "rejected": len(receiver.rejected),
        "rejections": sorted({f"{exc.status} {exc.title} {exc.detail}".strip() for exc in receiver.rejected})[:5],
        "attachments": sum(len(item.attachments) for item in items),
        "attachment_bytes": sum(len(content) for item in items for content in item.attachments.values()),
        "keys_sha256": hashlib.sha256("\n".join(keys).encode()).hexdigest(),
        "cpu_seconds": cpu_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", type=Path, required=True)
    parser.add_argument("--report", type=Path, required=True)
    parser.add_argument("--schemas", type=Path)
    options = parser.parse_args()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    schemas = json.loads(options.schemas.read_text()) if options.schemas else {}
    receiver = Receiver(keys=[key_load(options.key)], submission_schemas=schemas)
    receiver.port = options.port
    receiver.start()
    serving = time.process_time()  # CPU of this process from here on: the checking, not the key
    while not stop.wait(0.5):
        pass
    receiver.stop()
    options.report.write_text(json.dumps(summary(receiver, time.process_time() - serving)))


if __name__ == "__main__":
    main()
