"""Benchmark: time from a drift event to its appearance in an open UI page (goal < 1 s).

    .venv/bin/python bench/api_drift_to_ui.py [--rounds 20]

Serves the API and UI (uvicorn on 127.0.0.1, the tests' in-memory control plane), opens one
app's page in Debian's Chromium (Playwright, /usr/bin/chromium), then repeatedly reports a
drift and its revert through the control plane. A MutationObserver in the page stamps the
moment the drift timeline shows each change; the latency is that stamp minus the moment the
control plane published the event (same machine, same wall clock).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kedge import ui
from kedge.api.asgi import ApiSettings, create_asgi_app
from kedge.store import Store
from tests.api.fakes import FakeControlPlane
from tests.api.server import serve

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
OBSERVE = """() => {
  window.__seen = [];
  const box = document.getElementById("drift");
  const state = () => box.querySelectorAll("li.open").length + ":" + box.querySelectorAll("li.reverted").length;
  let last = state();
  new MutationObserver(() => {
    const now = state();
    if (now !== last) { last = now; window.__seen.push(Date.now()); }
  }).observe(box, {childList: true, subtree: true});
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    control = FakeControlPlane()
    control.create_app(
        "web", {"source": {"repoURL": "https://git.example.test/apps.git", "path": "web"}}, "bench"
    )
    latencies = []
    with tempfile.TemporaryDirectory() as tmp, Store.open(str(Path(tmp) / "state.db")) as store:
        token = store.create_token("bench", "viewer")
        app = create_asgi_app(
            control, store, admin_token=None, webhook_secret=None, settings=ApiSettings(), ui=ui.mount
        )
        with serve(app) as url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page()
            page.goto(url + "/login")
            page.fill("#token", token)
            page.press("#token", "Enter")
            page.goto(url + "/apps/web")
            page.wait_for_selector("#live[data-state=on]")
            page.evaluate(OBSERVE)
            for n in range(args.rounds * 2):
                sent = time.time() * 1000
                if n % 2 == 0:
                    control.drift("web", "File", f"file-{n}")
                else:
                    control.revert("web")
                deadline = time.monotonic() + 5
                while page.evaluate("window.__seen.length") <= n:
                    if time.monotonic() > deadline:
                        raise SystemExit(f"round {n}: the change never showed")
                    time.sleep(0.005)
                latencies.append(page.evaluate(f"window.__seen[{n}]") - sent)
                time.sleep(0.2)
            browser.close()
    control.close()
    q = statistics.quantiles(latencies, n=20)
    print(f"drift event -> visible in the open page, {len(latencies)} changes (drift and revert)")
    print(
        f"  ms: p50 {statistics.median(latencies):.0f}  p95 {q[18]:.0f}  max {max(latencies):.0f}  (goal < 1000)"
    )


if __name__ == "__main__":
    main()
