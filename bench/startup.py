"""Start-up of the ``kedge`` command beside Terraform's and kubectl's, in one run.

Each command is run ``--repeat`` times, interleaved with the peers so that a busy machine slows
all of them alike; the table gives the median and the best wall time of a whole process (what a
user waits for) and the ratio to ``terraform`` doing the same kind of thing.

    .venv/bin/python bench/startup.py                 # the table (about 30 s)
    .venv/bin/python bench/startup.py --importtime    # where `kedge plan` spends its imports
    .venv/bin/python bench/startup.py --demo          # scripts/demo's second start, to the UI

Goals: ``kedge --help`` and ``--version`` under 150 ms; ``validate`` and ``plan`` of a one-file
local app under 400 ms; the demo's second start under 3 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEDGE = str(ROOT / ".venv" / "bin" / "kedge")
APP = """\
apiVersion: kedge.dev/v1
kind: ProviderConfig
metadata: {name: default}
spec:
  provider: local
  settings: {root: files}
---
apiVersion: local.kedge.dev/v1
kind: File
metadata: {name: motd}
spec:
  path: motd
  content: "hello\\n"
"""


def wall(argv: list[str], cwd: Path) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run of ``argv``. On a shared machine the
    CPU time is the steadier figure: it does not count the time spent waiting for a core."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def table(repeat: int) -> None:
    with tempfile.TemporaryDirectory(prefix="kedge-bench-startup-") as tmp:
        work = Path(tmp)
        (work / "app").mkdir()
        (work / "app" / "app.yaml").write_text(APP)
        subprocess.run([KEDGE, "apply", "app", "--auto-approve"], cwd=work, check=True, capture_output=True)
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "kedge --help": [KEDGE, "--help"],
            "kedge --version": [KEDGE, "--version"],
            "kedge validate app": [KEDGE, "validate", "app"],
            "kedge plan app": [KEDGE, "plan", "app"],
        }
        peers = {
            "terraform --help": ["terraform", "--help"],
            "terraform version": ["terraform", "version"],
            "kubectl --help": ["kubectl", "--help"],
        }
        commands.update({name: argv for name, argv in peers.items() if shutil.which(argv[0])})
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for argv in commands.values():  # warm the page cache once
            wall(argv, work)
        for _ in range(repeat):
            for name, argv in commands.items():
                elapsed, used = wall(argv, work)
                times[name].append(elapsed)
                cpu[name].append(used)
    median = {name: statistics.median(t) for name, t in times.items()}
    peer = median.get("terraform --help")
    print(f"{repeat} runs each, interleaved; load average before: {os.getloadavg()[0]:.1f}\n")
    print("| command | wall, median | wall, best | CPU, median | wall ratio to `terraform --help` |")
    print("|---|---|---|---|---|")
    for name, values in times.items():
        ratio = f"{median[name] / peer:.1f}x" if peer else "-"
        print(
            f"| `{name}` | {median[name] * 1000:.0f} ms | {min(values) * 1000:.0f} ms "
            f"| {statistics.median(cpu[name]) * 1000:.0f} ms | {ratio} |"
        )


def importtime() -> None:
    """The 15 imports of `kedge plan` with the largest cumulative time (``python -X importtime``)."""
    with tempfile.TemporaryDirectory(prefix="kedge-bench-startup-") as tmp:
        work = Path(tmp)
        (work / "app").mkdir()
        (work / "app" / "app.yaml").write_text(APP)
        # Applied first: the state database exists, as on every run but the first.
        subprocess.run([KEDGE, "apply", "app", "--auto-approve"], cwd=work, check=True, capture_output=True)
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "kedge.cli.main", "plan", "app"],
            cwd=work,
            capture_output=True,
            text=True,
            check=False,
        )
    rows = []
    by_package: dict[str, int] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|")
        package = name.strip().split(".")[0]
        by_package[package] = by_package.get(package, 0) + int(own)
        if not name.startswith("  "):  # imported by the command itself, not by another module
            rows.append((int(cumulative), int(own), name.strip()))
    total = sum(c for c, _, _ in rows)
    print(f"`python -X importtime -m kedge.cli.main plan app`: {total / 1000:.0f} ms of imports\n")
    print("| module (imported directly) | cumulative | self |")
    print("|---|---|---|")
    for cumulative, own, name in sorted(rows, reverse=True)[:15]:
        print(f"| `{name}` | {cumulative / 1000:.0f} ms | {own / 1000:.1f} ms |")
    print("\n| package | own import time (all its modules) |")
    print("|---|---|")
    for package, own in sorted(by_package.items(), key=lambda item: -item[1])[:12]:
        print(f"| `{package}` | {own / 1000:.0f} ms |")


def demo(repeat: int) -> None:
    """Seconds from starting scripts/demo (already installed once) to the UI answering."""
    subprocess.run([str(ROOT / "scripts" / "demo"), "--help"], check=True, capture_output=True)
    for _ in range(repeat):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        started = time.perf_counter()
        process = subprocess.Popen(
            [str(ROOT / "scripts" / "demo"), "--port", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                        break
                except OSError:
                    if process.poll() is not None:
                        raise SystemExit("the demo exited before its UI answered") from None
                    time.sleep(0.02)
            print(f"scripts/demo to the UI: {time.perf_counter() - started:.2f} s")
        finally:
            process.terminate()
            process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--importtime", action="store_true")
    parser.add_argument("--demo", action="store_true")
    args = parser.parse_args()
    if args.importtime:
        importtime()
    elif args.demo:
        demo(min(args.repeat, 3))
    else:
        table(args.repeat)


if __name__ == "__main__":
    main()
