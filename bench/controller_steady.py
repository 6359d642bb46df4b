"""Benchmark: the controller's steady state (nothing changes, drift sweeps keep running).

    .venv/bin/python bench/controller_steady.py [--apps 100] [--resources 100] [--minutes 5]

Starts one controller over ``--apps`` apps (each a git repository of ``--resources`` local
``File`` resources, drift interval 30 s, self-heal and inotify watches on), waits until every app
is Synced and ``--settle`` seconds more have passed, then measures over ``--minutes`` the process's CPU time as a share of one core and
its peak RSS (goal: < 3 % of a core, < 200 MiB).

With ``--compare`` (the default) it measures twice in one run over the same apps: first with
every sweep observing and planning every app (``--no-skip`` alone), then as shipped, where a
sweep skips apps whose complete watches saw nothing; it prints the ratio of the two.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kedge.controller.controller import Controller
from kedge.engine import Engine
from kedge.manifests import CoreDocument
from kedge.sources import LocalSources
from kedge.store import Store
from tests.controller.conftest import GitRepo, file_doc


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--apps", type=int, default=100)
    parser.add_argument("--resources", type=int, default=100)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--settle", type=float, default=30.0, help="seconds to wait after convergence")
    parser.add_argument("--drift-interval", default="30s", help="e.g. 1h to measure the idle cost alone")
    parser.add_argument("--no-compare", dest="compare", action="store_false",
                        help="measure only the shipped controller")
    parser.add_argument("--skip-settle", type=float, default=90.0,
                        help="more seconds to wait when skipping: a quiet app is skipped from its "
                             "second sweep after its watch started (two drift intervals)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kedge-steady-"))
    configs = []
    store = Store.open(str(work / "state.db"))
    for a in range(args.apps):
        root = work / "files" / f"app{a}"
        root.mkdir(parents=True)
        configs.append(CoreDocument("ProviderConfig", f"files-{a}", {"provider": "local", "settings": {
            "root": str(root)}}, {}, {}, None, None))
    for a in range(args.apps):
        repo = GitRepo(work / "repos" / f"app{a}")
        body = "".join(
            file_doc(f"f{i}", f"f{i}.txt", f"app {a} file {i}\n").replace(
                "metadata: {", "metadata: {annotations: {kedge.dev/provider-config: files-" + str(a) + "}, ")
            for i in range(args.resources)
        )
        repo.commit({"app.yaml": body})
        store.put_app(f"app{a}", {"source": {"repoURL": str(repo.path), "targetRevision": "main"},
                                  "syncPolicy": {"automated": True, "selfHeal": True,
                                                 "driftInterval": args.drift_interval}})
    print(f"{args.apps} apps x {args.resources} resources, drift interval {args.drift_interval}, "
          f"load average {os.getloadavg()[0]:.1f}")
    results = {}
    for skip in ([False, True] if args.compare else [True]):
        results[skip] = measure(store, configs, work, args, skip)
    if args.compare:
        print(f"ratio, skipping quiet apps to planning every app: {results[True] / results[False]:.2f}x")
    print(f"load average after the run {os.getloadavg()[0]:.1f}")


def measure(store: Store, configs: list[CoreDocument], work: Path, args: argparse.Namespace,
            skip: bool) -> float:
    """CPU share of one core over ``--minutes`` after every app is Synced and ``--settle`` more."""
    engine = Engine(store, extra_configs=configs)
    controller = Controller(store, engine, cache_dir=work / "git", local_sources=LocalSources.under([work]))
    if not skip:
        controller.reconciler.watches_quiet = None  # every sweep observes and plans
    started = time.perf_counter()
    controller.start()
    while True:
        apps = controller.list_apps()
        if all(a["status"]["sync"] == "Synced" for a in apps):
            break
        if time.perf_counter() - started > 600:
            raise SystemExit("apps did not converge in 10 minutes")
        time.sleep(1)
    converged = time.perf_counter() - started
    # The echoes of the first apply (watch events of Kedge's own writes) pass; with skipping on,
    # also the two sweeps that plan an app again after its watch started.
    time.sleep(args.settle + (args.skip_settle if skip else 0.0))
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    wall0 = time.perf_counter()
    time.sleep(args.minutes * 60)
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    wall = time.perf_counter() - wall0
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    peak = cpu1.ru_maxrss / 1024
    controller.stop()
    engine.close()
    mode = "skipping quiet apps" if skip else "planning every app on every sweep"
    print(f"{mode}: Synced in {converged:.1f} s; over {wall:.0f} s CPU {cpu:.1f} s = "
          f"{100 * cpu / wall:.1f} % of one core, peak RSS {peak:.0f} MiB")
    return cpu / wall


if __name__ == "__main__":
    main()
