"""Benchmark: 1,000 claims, each composing 5 local resources.

    .venv/bin/python bench/compositions.py [--claims 1000] [--per-file 10]

Measures, each as a separate ``kedge`` process (what a user runs):
- ``kedge render APP --platform DIR -o json``: wall time (goal < 1.5 s for 1,000 claims);
- ``kedge apply --auto-approve`` once, then ``kedge plan`` with nothing to change: wall time
  (goal < 3 s);
and, in this process, how many times the expressions were compiled for the whole render (goal:
once per expression of the Composition, not per claim). The peer is Crossplane, which needs
over 6 minutes to make 2,000 composite resources ready (crossplane/crossplane#2256): the
report states claims per second of both.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KEDGE = str(Path(sys.executable).with_name("kedge"))
CROSSPLANE_CLAIMS, CROSSPLANE_SECONDS = 2000, 360.0

PLATFORM = """\
apiVersion: kedge.dev/v1
kind: Definition
metadata: {name: AppFiles}
spec:
  group: platform.example.org
  schema:
    type: object
    required: [greeting]
    properties:
      greeting: {type: string}
      size: {type: string, enum: [small, large], default: small}
      private: {type: boolean, default: true}
---
apiVersion: kedge.dev/v1
kind: Composition
metadata: {name: appfiles-local}
spec:
  definition: AppFiles
  resources:
    - id: dir
      template:
        apiVersion: local.kedge.dev/v1
        kind: Directory
        metadata: {name: "${claim.metadata.name}"}
        spec: {path: "${claim.metadata.name}"}
    - id: motd
      template:
        apiVersion: local.kedge.dev/v1
        kind: File
        metadata:
          name: "${claim.metadata.name}-motd"
          annotations: {kedge.dev/depends-on: "Directory/${dir.metadata.name}"}
        spec:
          path: "${dir.spec.path}/motd"
          content: "${claim.spec.greeting}"
          mode: "${claim.spec.private ? '0600' : '0644'}"
    - id: size
      template:
        apiVersion: local.kedge.dev/v1
        kind: File
        metadata:
          name: "${claim.metadata.name}-size"
          annotations: {kedge.dev/depends-on: "Directory/${dir.metadata.name}"}
        spec: {path: "${dir.spec.path}/size", content: "${claim.spec.size}"}
    - id: owner
      template:
        apiVersion: local.kedge.dev/v1
        kind: File
        metadata:
          name: "${claim.metadata.name}-owner"
          annotations: {kedge.dev/depends-on: "Directory/${dir.metadata.name}"}
        spec: {path: "${dir.spec.path}/owner", content: "claimed by ${claim.metadata.name}"}
    - id: large
      includeWhen: "claim.spec.size == 'large'"
      template:
        apiVersion: local.kedge.dev/v1
        kind: File
        metadata:
          name: "${claim.metadata.name}-large"
          annotations: {kedge.dev/depends-on: "Directory/${dir.metadata.name}"}
        spec: {path: "${dir.spec.path}/large", content: "large"}
"""


def write(work: Path, claims: int, per_file: int) -> tuple[Path, Path]:
    platform, app, root = work / "platform", work / "app", work / "root"
    for d in (platform, app, root):
        d.mkdir(parents=True)
    (platform / "appfiles.yaml").write_text(PLATFORM)
    (app / "provider.yaml").write_text(
        "apiVersion: kedge.dev/v1\nkind: ProviderConfig\nmetadata: {name: default}\n"
        f"spec: {{provider: local, settings: {{root: {root}}}}}\n"
    )
    for f in range(0, claims, per_file):
        docs = [
            "apiVersion: platform.example.org/v1\nkind: AppFiles\n"
            f"metadata: {{name: c{n}}}\nspec: {{greeting: hello {n}, size: large}}\n"
            for n in range(f, min(f + per_file, claims))
        ]
        (app / f"claims{f:05d}.yaml").write_text("---\n".join(docs))
    return platform, app


def timed(cmd: list[str]) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Wall seconds and CPU seconds (user + system) of the child: on a shared machine the CPU
    time is what the command costs, the wall time also counts the wait for a free core."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0, 2):
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return wall, cpu, proc


def compiled_in_process(platform: Path, app: Path) -> tuple[int, int, float]:
    """(expressions compiled, resources rendered, seconds) for one in-process render."""
    from kedge.cel import compile_expression
    from kedge.engine.platform import expander, load_platform
    from kedge.engine.render import render

    compile_expression.cache_clear()
    start = time.perf_counter()
    rendered = render(app, expand=expander(load_platform([platform])))
    seconds = time.perf_counter() - start
    if not rendered.ok:
        sys.exit("\n".join(str(d) for d in rendered.diagnostics[:5]))
    return compile_expression.cache_info().misses, len(rendered.resources), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=1000)
    parser.add_argument("--per-file", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kedge-bench-compositions-") as tmp:
        work = Path(tmp)
        platform, app = write(work, args.claims, args.per_file)
        compiles, resources, in_process = compiled_in_process(platform, app)
        render_wall, render_cpu, proc = timed(
            [KEDGE, "render", str(app), "--platform", str(platform), "-o", "json"]
        )
        assert len(json.loads(proc.stdout)["manifests"]) == resources
        apply_wall, _, _ = timed([KEDGE, "apply", str(app), "--platform", str(platform), "--auto-approve"])
        plan_wall, plan_cpu, proc = timed(
            [KEDGE, "plan", str(app), "--platform", str(platform), "--detailed-exitcode"]
        )
        if proc.returncode != 0:
            sys.exit("the plan after apply is not empty")
    rate = args.claims / render_wall
    peer = CROSSPLANE_CLAIMS / CROSSPLANE_SECONDS
    print(f"claims: {args.claims}, composed resources: {resources}")
    print(f"expressions compiled for the whole render: {compiles}")
    print(f"render, in process: {in_process:.2f} s")
    print(f"kedge render: {render_wall:.2f} s wall, {render_cpu:.2f} s CPU (goal < 1.5 s)")
    print(f"kedge apply (first, creates every file): {apply_wall:.2f} s")
    print(f"kedge plan, nothing to change: {plan_wall:.2f} s wall, {plan_cpu:.2f} s CPU (goal < 3 s)")
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"claims rendered per second: {rate:.0f}; Crossplane: {peer:.1f} (x{rate / peer:.0f})")


if __name__ == "__main__":
    main()
