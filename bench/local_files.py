"""Benchmark: plan and apply of 10,000 local ``File`` resources in 1,000 manifest files.

    .venv/bin/python bench/local_files.py [--files 1000] [--per-file 10]

Measures, each as a separate ``kedge`` process (what a user runs):
- ``kedge apply --auto-approve`` creating every file, against a plain Python loop that writes
  the same files (the physical limit), and the ratio of the two;
- ``kedge plan`` with nothing to change: wall time and peak RSS (goal < 2 s, < 300 MiB).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KEDGE = str(Path(sys.executable).with_name("kedge"))


def write_manifests(app: Path, root: Path, files: int, per_file: int) -> None:
    app.mkdir(parents=True)
    (app / "provider.yaml").write_text(
        "apiVersion: kedge.dev/v1\nkind: ProviderConfig\nmetadata: {name: default}\n"
        f"spec: {{provider: local, settings: {{root: {root}}}}}\n"
    )
    for f in range(files):
        docs = []
        for i in range(per_file):
            n = f * per_file + i
            docs.append(
                "apiVersion: local.kedge.dev/v1\nkind: File\n"
                f"metadata: {{name: f{n}, labels: {{shard: s{f}}}}}\n"
                f"spec: {{path: d{f}/f{n}.txt, content: \"file {n}\\n\", mode: \"0644\"}}\n"
            )
        (app / f"m{f:04d}.yaml").write_text("---\n".join(docs))


CPU: list[float] = []  # CPU seconds (user + system) of each ``timed`` command, in order


def timed(cmd: list[str]) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Wall seconds and the child's peak RSS in MiB; its CPU time goes to ``CPU``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    if proc.returncode not in (0, 2):
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")
    return wall, max(after.ru_maxrss, before.ru_maxrss) / 1024, proc


def plain_loop(root: Path, files: int, per_file: int) -> float:
    start = time.perf_counter()
    for f in range(files):
        d = root / f"d{f}"
        d.mkdir(parents=True, exist_ok=True)
        for i in range(per_file):
            n = f * per_file + i
            p = d / f"f{n}.txt"
            with open(p, "w") as fh:
                fh.write(f"file {n}\n")
            os.chmod(p, 0o644)
    return time.perf_counter() - start


def apply_phase(work: Path, files: int, per_file: int) -> float:
    """Only the engine's apply step (creates, intents, inventory, history) of a fresh app."""
    from kedge.engine import Engine
    from kedge.store import Store

    app, root = work / "app2", work / "root2"
    write_manifests(app, root, files, per_file)
    engine = Engine(Store.open(str(work / "phase.db")))
    run = engine.plan("phase", app)
    start = time.perf_counter()
    engine.apply(run)
    elapsed = time.perf_counter() - start
    engine.finish(run)
    engine.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--per-file", type=int, default=10)
    args = parser.parse_args()
    total = args.files * args.per_file
    work = Path(tempfile.mkdtemp(prefix="kedge-bench-"))
    try:
        app, root = work / "app", work / "root"
        write_manifests(app, root, args.files, args.per_file)
        loop = min(plain_loop(work / f"loop{i}", args.files, args.per_file) for i in range(3))

        apply_wall, apply_rss, proc = timed([KEDGE, "apply", str(app), "--auto-approve"])
        assert sum(1 for _ in root.rglob("*.txt")) == total, proc.stdout
        plans = [timed([KEDGE, "plan", str(app), "--detailed-exitcode"]) for _ in range(3)]
        for _, _, p in plans:
            assert p.returncode == 0, p.stdout + p.stderr
        plan_cpu = min(CPU[-3:])
        plan_wall = min(w for w, _, _ in plans)
        plan_rss = max(r for _, r, _ in plans)
        print(f"resources: {total} in {args.files} files; load average {os.getloadavg()[0]:.1f}")
        print(f"plain python loop writing {total} files: {loop:.2f} s (best of 3)")
        print(f"kedge apply (create {total}): {apply_wall:.2f} s, peak RSS {apply_rss:.0f} MiB, "
              f"ratio to the loop {apply_wall / loop:.1f}x; CPU {CPU[0]:.2f} s")
        print(f"kedge plan (no changes): {plan_wall:.2f} s (best of 3), peak RSS {plan_rss:.0f} MiB, "
              f"ratio to the loop {plan_wall / loop:.1f}x; CPU {plan_cpu:.2f} s")
        phase = apply_phase(work, args.files, args.per_file)
        print(f"apply phase alone (in-process, after the plan): {phase:.2f} s, "
              f"ratio to the loop {phase / loop:.1f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
