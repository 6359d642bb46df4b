"""Benchmark: one replica under load: many apps, drift sweeps, commits, tampering, 50 API clients.

    .venv/bin/python bench/load.py                          # 1,000 apps x 20 files, 10 minutes
    .venv/bin/python bench/load.py --minutes 1 --apps 100   # the quick size

One process holds what ``kedge serve`` holds: the controller (queue, workers, watches, drift
sweeps every ``--drift-interval``) and the REST API on 127.0.0.1. Each app is its own git
repository of ``--resources`` local ``File`` resources, self-healing. Once every app is Synced,
for ``--minutes``:

- a commit to a random app every ``--commit-every`` seconds, announced by the signed webhook:
  **reconcile lag** is commit -> the new content on disk;
- a tampered file of a random app every ``--tamper-every`` seconds: **drift lag** is the write
  -> the file restored;
- ``--clients`` API clients in a separate process, each sending a request, then waiting
  ``--think`` seconds (app list, one app, history, events, resources, audit pages, diff, sync
  requests): **API latency** per request, and any 5xx;
- the process's RSS every 5 s: **memory slope** (least squares, MiB per minute, over the whole
  run and over its second half, past the warm-up);
- the audit log's head before and after: **audit append rate**.

Exits 1 when an API answer was a 5xx, a change was never applied or a tamper never reverted.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SECRET = "load-bench-webhook-secret"
READS = [  # (weight, method, path template); {app} is a random app
    (30, "GET", "/api/v1/apps"),
    (25, "GET", "/api/v1/apps/{app}"),
    (10, "GET", "/api/v1/apps/{app}/history"),
    (10, "GET", "/api/v1/apps/{app}/events"),
    (10, "GET", "/api/v1/audit?limit=50"),
    (6, "GET", "/api/v1/apps/{app}/resources"),
    (5, "GET", "/api/v1/apps/{app}/diff"),
    (4, "POST", "/api/v1/apps/{app}/sync"),
]


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else float("nan")


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MiB), in MiB per minute."""
    if len(points) < 2:
        return 0.0
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return 60 * sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# ---- the client process -------------------------------------------------------------------------


def run_clients(url: str, token: str, apps: int, clients: int, seconds: float, think: float) -> None:
    """Child process: ``clients`` threads; prints one JSON line with every latency and status."""
    import httpx

    weights = [w for w, _, _ in READS]
    results: list[tuple[str, float, int, bool]] = []  # (request, seconds, status, told to retry)
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
            while time.monotonic() < stop:
                _, method, template = rng.choices(READS, weights)[0]
                path = template.format(app=f"app{rng.randrange(apps)}")
                started = time.perf_counter()
                try:
                    response = http.request(method, path, json={} if method == "POST" else None)
                    status, retry = response.status_code, "retry-after" in response.headers
                except httpx.HTTPError:
                    status, retry = 0, False
                with lock:
                    results.append((template, time.perf_counter() - started, status, retry))
                time.sleep(rng.uniform(0.5, 1.5) * think)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps(results))


# ---- the server side -----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--apps", type=int, default=1000)
    parser.add_argument("--resources", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--think", type=float, default=1.0, help="seconds each client waits between requests")
    parser.add_argument("--drift-interval", default="60s")
    parser.add_argument("--commit-every", type=float, default=1.0)
    parser.add_argument("--tamper-every", type=float, default=1.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--client", nargs=4, metavar=("URL", "TOKEN", "APPS", "SECONDS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        url, token, apps, seconds = args.client
        run_clients(url, token, int(apps), args.clients, float(seconds), args.think)
        return
    sys.exit(serve_and_measure(args))


def serve_and_measure(args: argparse.Namespace) -> int:

    from kedge.api.asgi import create_asgi_app
    from kedge.controller.controller import Controller
    from kedge.engine import Engine
    from kedge.manifests import CoreDocument
    from kedge.sources import LocalSources
    from kedge.store import Store
    from tests.api.server import serve
    from tests.controller.conftest import GitRepo, file_doc

    work = Path(tempfile.mkdtemp(prefix="kedge-load-"))
    root = work / "files"
    root.mkdir()
    store = Store.open(str(work / "state.db"))
    config = CoreDocument("ProviderConfig", "default", {"provider": "local", "settings": {"root": str(root)}},
                          {}, {}, None, None)
    engine = Engine(store, extra_configs=[config])
    controller = Controller(store, engine, cache_dir=work / "git", workers=args.workers,
                            local_sources=LocalSources.under([work / "repos"]))
    repos: list[GitRepo] = []
    made = time.perf_counter()
    for a in range(args.apps):
        repo = GitRepo(work / "repos" / f"app{a}")
        repo.commit({"app.yaml": _files(file_doc, a, args.resources, {})})
        repos.append(repo)
        store.put_app(f"app{a}", {
            "source": {"repoURL": str(repo.path), "targetRevision": "main", "pollInterval": "1h"},
            "syncPolicy": {"automated": True, "selfHeal": True, "driftInterval": args.drift_interval},
        })
    print(f"{args.apps} repositories x {args.resources} files made in {time.perf_counter() - made:.1f} s",
          flush=True)
    token = store.create_token("load", "operator")
    api = create_asgi_app(controller, store, admin_token=None, webhook_secret=SECRET,
                     metrics_registry=controller.metrics.registry)
    started = time.perf_counter()
    controller.start()
    try:
        while not all(a["status"]["sync"] == "Synced" for a in controller.list_apps()):
            if time.perf_counter() - started > 1800:
                print("apps did not converge in 30 minutes", flush=True)
                return 1
            time.sleep(1)
        print(f"converged from nothing in {time.perf_counter() - started:.1f} s", flush=True)
        with serve(api) as url:
            return _measure(args, url, token, store, repos, root, file_doc)
    finally:
        controller.stop()
        engine.close()
        store.close()


def _files(file_doc: Any, app: int, resources: int, overrides: dict[int, str]) -> str:
    return "".join(
        file_doc(f"f{i}", f"app{app}/f{i}.txt", overrides.get(i, f"app {app} file {i}\n")) for i in range(resources)
    )


def _measure(args: argparse.Namespace, url: str, token: str, store: Any, repos: list[Any], root: Path,
             file_doc: Any) -> int:
    import httpx

    seconds = args.minutes * 60
    rng = random.Random(7)
    seq0, _ = store.audit_head()
    clients = subprocess.Popen(
        [sys.executable, __file__, "--clients", str(args.clients), "--think", str(args.think),
         "--client", url, token, str(args.apps), str(seconds)],
        stdout=subprocess.PIPE, text=True,
    )
    overrides: dict[int, dict[int, str]] = {}
    pending: dict[Path, tuple[str, float, str]] = {}  # file -> (wanted text, since, kind)
    lags: dict[str, list[float]] = {"commit": [], "drift": []}
    rss: list[tuple[float, float]] = []
    t0 = time.perf_counter()
    next_commit = next_tamper = next_rss = t0
    with httpx.Client(base_url=url, timeout=30) as http:
        while time.perf_counter() - t0 < seconds:
            now = time.perf_counter()
            if now >= next_rss:
                rss.append((now - t0, rss_mib()))
                next_rss += 5
            if now >= next_commit:
                next_commit += args.commit_every
                a, i = rng.randrange(args.apps), rng.randrange(args.resources)
                target = root / f"app{a}" / f"f{i}.txt"
                if target not in pending:
                    text = f"app {a} file {i} at {now:.3f}\n"
                    overrides.setdefault(a, {})[i] = text
                    repos[a].commit({"app.yaml": _files(file_doc, a, args.resources, overrides[a])})
                    pending[target] = (text, time.perf_counter(), "commit")
                    body = json.dumps({"ref": "refs/heads/main", "repository": {"clone_url": str(repos[a].path)}})
                    signature = "sha256=" + hmac.new(SECRET.encode(), body.encode(), hashlib.sha256).hexdigest()
                    http.post("/api/v1/webhooks/git", content=body,
                              headers={"X-Hub-Signature-256": signature, "Content-Type": "application/json"})
            if now >= next_tamper:
                next_tamper += args.tamper_every
                a, i = rng.randrange(args.apps), rng.randrange(args.resources)
                target = root / f"app{a}" / f"f{i}.txt"
                if target not in pending:
                    wanted = overrides.get(a, {}).get(i, f"app {a} file {i}\n")
                    target.write_text("tampered\n")
                    pending[target] = (wanted, time.perf_counter(), "drift")
            for path, (wanted, since, kind) in list(pending.items()):
                try:
                    if path.read_text() == wanted:
                        lags[kind].append(time.perf_counter() - since)
                        del pending[path]
                except OSError:
                    pass
            time.sleep(0.01)
        wall = time.perf_counter() - t0
        # What is still pending gets a grace period, then counts as never reconciled.
        deadline = time.perf_counter() + 120
        while pending and time.perf_counter() < deadline:
            for path, (wanted, since, kind) in list(pending.items()):
                if path.read_text() == wanted:
                    lags[kind].append(time.perf_counter() - since)
                    del pending[path]
            time.sleep(0.05)
    out, _ = clients.communicate(timeout=300)
    seq1, _ = store.audit_head()
    requests = [(t, s, c, r) for t, s, c, r in json.loads(out)]
    return _report(args, wall, lags, pending, requests, rss, seq1 - seq0)


def _report(args: argparse.Namespace, wall: float, lags: dict[str, list[float]], pending: dict[Path, Any],
            requests: list[tuple[str, float, int, bool]], rss: list[tuple[float, float]], appended: int) -> int:
    latencies = [s for _, s, _, _ in requests]
    # A 503 with Retry-After is the server's back-pressure (one live plan per app at a time), not a failure.
    busy = [r for r in requests if r[2] == 503 and r[3]]
    errors = [r for r in requests if (r[2] >= 500 and not (r[2] == 503 and r[3])) or r[2] == 0]
    print(f"load: {args.apps} apps x {args.resources} files, {args.clients} API clients, "
          f"drift sweeps every {args.drift_interval}, {wall / 60:.1f} min on {os.cpu_count()} cores")
    for kind, samples in lags.items():
        print(f"  {kind} lag: n={len(samples)} p50={percentile(samples, 0.5) * 1000:.0f} ms "
              f"p99={percentile(samples, 0.99) * 1000:.0f} ms max={max(samples, default=0) * 1000:.0f} ms")
    print(f"  API: {len(requests)} requests ({len(requests) / wall:.1f}/s), p50={percentile(latencies, 0.5) * 1000:.0f} ms "
          f"p99={percentile(latencies, 0.99) * 1000:.0f} ms, 5xx or failed: {len(errors)}, "
          f"503 busy (Retry-After): {len(busy)}")
    by_kind: dict[str, list[float]] = {}
    for template, seconds, _, _ in requests:
        by_kind.setdefault(template, []).append(seconds)
    for template, samples in sorted(by_kind.items()):
        print(f"    {template}: n={len(samples)} p99={percentile(samples, 0.99) * 1000:.0f} ms")
    mib = [m for _, m in rss]
    later = rss[len(rss) // 2 :]  # the first half holds the warm-up: caches filling, first histories
    print(f"  RSS: {mib[0]:.0f} -> {mib[-1]:.0f} MiB (max {max(mib):.0f}), slope {slope(rss):+.2f} MiB/min "
          f"over {len(rss)} samples, {slope(later):+.2f} MiB/min over the second half")
    print(f"  audit: {appended} entries appended, {appended / wall:.1f}/s")
    if pending:
        print(f"  NOT reconciled within 2 minutes after the run: {len(pending)}")
    for template, _, status, _ in errors[:10]:
        print(f"  server error: {template} -> {status}")
    return 1 if errors or pending else 0


if __name__ == "__main__":
    main()
