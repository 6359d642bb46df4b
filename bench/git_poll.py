"""Benchmark: the cost of the "has the branch moved?" check for many local git repositories.

    .venv/bin/python bench/git_poll.py [--repos 500] [--rounds 5]

Creates N small repositories (one commit each), then polls every one once per round with
``GitRepo.remote_head("main")``, the check the controller runs on each poll, and reports the
CPU time (``time.process_time``) per repository per poll. The first round opens each
repository; later rounds are the steady state. Goal: < 0.5 ms per repository, no fetch, no
process started.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pygit2

from kedge.sources import GitCache

MANIFEST = b"apiVersion: local.kedge.dev/v1\nkind: File\nmetadata: {name: a}\nspec: {path: a.txt}\n"


def make_repos(root: Path, count: int) -> list[str]:
    signature = pygit2.Signature("bench", "bench@example.com", 1_700_000_000, 0)
    paths = []
    for i in range(count):
        path = root / f"repo-{i:04}.git"
        repo = pygit2.init_repository(str(path), bare=True, initial_head="main")
        builder = repo.TreeBuilder()
        builder.insert("app.yaml", repo.create_blob(MANIFEST), pygit2.enums.FileMode.BLOB)
        repo.create_commit("refs/heads/main", signature, signature, "init", builder.write(), [])
        paths.append(str(path))
    return paths


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repos", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kedge-git-poll-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        paths = make_repos(root / "upstream", args.repos)
        print(f"created {len(paths)} repositories in {time.perf_counter() - started:.1f} s")
        cache = GitCache(root / "cache")
        repos = [cache.source(p) for p in paths]
        per_round = []
        for _ in range(args.rounds):
            cpu = time.process_time()
            for repo in repos:
                repo.remote_head("main")
            per_round.append((time.process_time() - cpu) / len(repos) * 1000)
        fetches = sum(r.stats.fetches for r in repos)
        polls = sum(r.stats.remote_head_calls for r in repos)
        steady = per_round[1:] or per_round
        print(f"polls: {polls}, fetches: {fetches}")
        print("CPU per repository per poll, by round: " + ", ".join(f"{ms:.4f} ms" for ms in per_round))
        print(f"steady state (rounds 2..): {sum(steady) / len(steady):.4f} ms (goal < 0.5 ms)")


if __name__ == "__main__":
    main()
