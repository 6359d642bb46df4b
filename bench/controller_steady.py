"""Benchmark: the controller's steady state (nothing changes, drift sweeps keep running).

    .venv/bin/python bench/controller_steady.py [--apps 100] [--resources 100] [--minutes 5]

Starts one controller over ``--apps`` apps (each a git repository of ``--resources`` local
``File`` resources, drift interval 30 s, self-heal and inotify watches on), waits until every app
is Synced and ``--settle`` seconds more have passed, then measures over ``--minutes`` the process's CPU time as a share of one core and
its peak RSS (goal: < 5 % of a core, < 300 MiB).
"""

from __future__ import annotations

import argparse
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
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kedge-steady-"))
    configs = []
    store = Store.open(str(work / "state.db"))
    for a in range(args.apps):
        root = work / "files" / f"app{a}"
        root.mkdir(parents=True)
        configs.append(CoreDocument("ProviderConfig", f"files-{a}", {"provider": "local", "settings": {
            "root": str(root)}}, {}, {}, None, None))
    engine = Engine(store, extra_configs=configs)
    controller = Controller(store, engine, cache_dir=work / "git", local_sources=LocalSources.under([work]))
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
    time.sleep(args.settle)  # the echoes of the first apply (watch events of Kedge's own writes) pass
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    wall0 = time.perf_counter()
    time.sleep(args.minutes * 60)
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    wall = time.perf_counter() - wall0
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    peak = cpu1.ru_maxrss / 1024
    controller.stop()
    engine.close()
    print(f"{args.apps} apps x {args.resources} resources: converged from nothing in {converged:.1f} s")
    print(f"steady state over {wall:.0f} s: CPU {cpu:.1f} s = {100 * cpu / wall:.1f} % of one core, "
          f"peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
