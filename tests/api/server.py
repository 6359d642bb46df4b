"""A real HTTP server for tests (uvicorn on 127.0.0.1, a free port, in a thread of this process)
and a reader of its event stream.

The socket is bound before the thread starts, so the URL is valid as soon as ``serve`` yields;
the server is told to exit when the block ends and is waited for (open event streams are
cut after a short grace period).
"""

from __future__ import annotations

import json
import queue
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn
from fastapi import FastAPI


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=1, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


class EventReader:
    """Reads a server-sent event stream in a thread; ``wait_for`` returns the first event that
    matches (or fails after ``timeout``)."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.events: queue.Queue[tuple[str, dict[str, object]] | None] = queue.Queue()
        self.raw: list[str] = []
        self.status: int | None = None
        self._client = httpx.Client(timeout=httpx.Timeout(10, read=30))
        self._opened = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(url, headers), daemon=True)
        self._thread.start()
        if not self._opened.wait(10):
            raise RuntimeError("the event stream did not open")

    def _read(self, url: str, headers: dict[str, str]) -> None:
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                self.status = response.status_code
                self._opened.set()
                kind, data = "message", ""
                for line in response.iter_lines():
                    self.raw.append(line)
                    if line.startswith("event:"):
                        kind = line[6:].strip()
                    elif line.startswith("data:"):
                        data += line[5:].strip()
                    elif line == "" and data:
                        self.events.put((kind, json.loads(data)))
                        kind, data = "message", ""
        except (httpx.HTTPError, RuntimeError):
            pass
        finally:
            self._opened.set()
            self.events.put(None)

    def wait_for(self, kind: str, timeout: float = 5, **fields: object) -> dict[str, object]:
        deadline = time.monotonic() + timeout
        while True:
            try:
                item = self.events.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                raise AssertionError(f"no {kind} event with {fields} within {timeout} s") from None
            if item is None:
                raise AssertionError(f"the stream ended before a {kind} event with {fields}")
            if item[0] == kind and all(item[1].get(k) == v for k, v in fields.items()):
                return item[1]

    def ended(self, timeout: float = 5) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def close(self) -> None:
        self._client.close()
        self._thread.join(5)
