"""Benchmark: ``GET /api/v1/apps`` with 1,000 apps under 50 concurrent clients.

    .venv/bin/python bench/api_list_apps.py [--apps 1000] [--clients 50] [--seconds 10]

The server (``create_asgi_app`` over the in-memory control plane of the tests, a SQLite store with a
real viewer token, uvicorn on 127.0.0.1) runs in a child process, so the load generator does
not share its interpreter. Each client keeps one HTTP/1.1 connection and sends its next request
when the previous answer has arrived (a closed loop): latency then includes the time spent
queued behind the other 49. Prints throughput and p50/p90/p99 latency (goal: p99 < 100 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def serve(sock: socket.socket, db: str, apps: int, ready: multiprocessing.synchronize.Event) -> None:
    import uvicorn

    from kedge.api.asgi import create_asgi_app
    from kedge.store import Store
    from tests.api.fakes import FakeControlPlane

    control = FakeControlPlane()
    for i in range(apps):
        control.create_app(
            f"app-{i:04d}",
            {
                "source": {
                    "repoURL": "https://git.example.test/apps.git",
                    "path": f"apps/{i}",
                    "targetRevision": "main",
                },
                "syncPolicy": {"automated": True, "selfHeal": True},
            },
            "bench",
        )
    store = Store.open(db)
    app = create_asgi_app(control, store, admin_token=None, webhook_secret=None)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    ready.set()
    server.run(sockets=[sock])


async def client(port: int, token: str, stop: float, latencies: list[float], sizes: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = (
        f"GET /api/v1/apps HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n"
    ).encode()
    try:
        while time.perf_counter() < stop:
            started = time.perf_counter()
            writer.write(request)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(
                next(
                    line.split(b":")[1]
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
            )
            body = await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(head.decode(errors="replace"))
            sizes.append(len(body))
    finally:
        writer.close()


async def load(port: int, token: str, clients: int, seconds: float) -> tuple[list[float], list[int]]:
    latencies: list[float] = []
    sizes: list[int] = []
    warm = time.perf_counter() + 1.0
    await asyncio.gather(*(client(port, token, warm, [], []) for _ in range(clients)))
    stop = time.perf_counter() + seconds
    await asyncio.gather(*(client(port, token, stop, latencies, sizes) for _ in range(clients)))
    return latencies, sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--apps", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()

    from kedge.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "state.db")
        with Store.open(db) as store:
            token = store.create_token("bench", "viewer")
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        ready = multiprocessing.get_context("fork").Event()
        child = multiprocessing.get_context("fork").Process(target=serve, args=(sock, db, args.apps, ready))
        child.start()
        try:
            ready.wait(60)
            time.sleep(0.5)
            latencies, sizes = asyncio.run(load(port, token, args.clients, args.seconds))
        finally:
            child.terminate()
            child.join(10)
    ms = sorted(x * 1000 for x in latencies)
    q = statistics.quantiles(ms, n=100)
    print(
        f"GET /api/v1/apps, {args.apps} apps ({sizes[0] // 1024} KiB), {args.clients} clients, {args.seconds:.0f} s"
    )
    print(f"  requests: {len(ms)}  throughput: {len(ms) / args.seconds:.0f}/s")
    print(
        f"  latency ms: p50 {q[49]:.1f}  p90 {q[89]:.1f}  p99 {q[98]:.1f}  max {ms[-1]:.1f}  (goal p99 < 100)"
    )


if __name__ == "__main__":
    main()
