"""Saved plans: ``kedge plan PATH -out FILE`` writes one, ``kedge apply FILE`` applies exactly it.

A saved plan is a JSON document (format in docs/cli.md)::

    {"format": "kedge-plan/1", "app", "path", "db", "createdAt", "options": {...},
     "fingerprint": {"inputs", "observed", "git"}, "plan": {...plan -o json...}}

It holds no secret values: the plan is redacted as ``-o json`` prints it, and the fingerprints
are SHA-256 digests. ``inputs`` covers the rendered manifests (resources as written, references
unresolved, and the ProviderConfigs' settings with secrets as references); ``observed`` covers
what every provider saw (existence, owner, normalised state) and the app's inventory; ``git``
is the commit checked out where the manifests live, when they are in a git work tree.

Applying re-renders, re-observes and re-plans, then refuses unless all three fingerprints and
the plan itself are unchanged: the planner is pure, so the same inputs give the same plan, and
what runs is exactly what was reviewed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kedge.model import ConfigError

if TYPE_CHECKING:
    from kedge.engine import AppRun, Options

FORMAT = "kedge-plan/1"
MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class SavedPlan:
    app: str
    path: Path
    db: str
    options: dict[str, bool]
    fingerprint: dict[str, str | None]
    plan: dict[str, Any]


def _digest(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def git_commit(path: Path) -> str | None:
    """The commit checked out in the git work tree that holds ``path``, if any."""
    import pygit2

    found = pygit2.discover_repository(str(path if path.is_dir() else path.parent))
    if not found:
        return None
    repo = pygit2.Repository(found)
    if repo.head_is_unborn:
        return None
    return str(repo.head.target)


def fingerprint(run: AppRun, path: Path) -> dict[str, str | None]:
    from kedge.model.values import redact

    rendered = run.rendered
    inputs = {
        "resources": sorted(
            (
                [str(r.key), r.raw_spec, dict(r.labels), dict(r.annotations)]
                for r in rendered.resources
            ),
            key=lambda item: str(item[0]),
        ),
        "configs": {name: [c.provider, redact(c.settings)] for name, c in sorted(rendered.configs.items())},
    }
    observed = run.observed
    seen = (
        sorted(
            ([str(identity), o.exists, o.owner, o.state] for identity, o in observed.by_identity.items()),
            key=lambda item: str(item[0]),
        )
        if observed is not None
        else []
    )
    inventory = sorted(
        ([str(e.key), str(e.identity), e.spec] for e in run.inventory), key=lambda item: str(item[0])
    )
    return {
        "inputs": _digest(inputs),
        "observed": _digest({"observed": seen, "inventory": inventory}),
        "git": git_commit(path),
    }


def options_json(options: Options) -> dict[str, bool]:
    return {
        "prune": options.prune,
        "allowEmpty": options.allow_empty,
        "confirmPrune": options.confirm_prune,
    }


def write(target: Path, run: AppRun, path: Path, db: str) -> None:
    document = {
        "format": FORMAT,
        "app": run.app,
        "path": str(path.resolve()),
        "db": db,
        "createdAt": datetime.now(UTC).isoformat(timespec="seconds"),
        "options": options_json(run.options),
        "fingerprint": fingerprint(run, path),
        "plan": run.plan.to_json(),
    }
    temporary = target.with_name(target.name + ".tmp")
    try:
        temporary.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
        temporary.replace(target)
    except OSError as exc:
        raise ConfigError(f"cannot write the plan to {target}: {exc.strerror or exc}") from None


def is_saved_plan(path: Path) -> bool:
    """A file that starts like a saved plan (manifests are YAML, never this JSON object)."""
    if not path.is_file():
        return False
    try:
        with path.open("rb") as fp:
            head = fp.read(200)
    except OSError:
        return False
    return head.lstrip().startswith(b"{") and FORMAT.encode() in head


def read(path: Path) -> SavedPlan:
    where = str(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ConfigError(f"{where}: larger than {MAX_BYTES} bytes; not a saved plan")
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ConfigError(f"{where}: not a saved plan (want format {FORMAT!r})")
        return SavedPlan(
            str(data["app"]),
            Path(str(data["path"])),
            str(data["db"]),
            {k: bool(v) for k, v in dict(data["options"]).items()},
            dict(data["fingerprint"]),
            dict(data["plan"]),
        )
    except OSError as exc:
        raise ConfigError(f"cannot read {where}: {exc.strerror or exc}") from None
    except (ValueError, KeyError, TypeError) as exc:
        problem = f"{type(exc).__name__}: {exc}"
        raise ConfigError(f"{where}: a damaged saved plan ({problem}); make it again") from None


def check(saved: SavedPlan, run: AppRun) -> None:
    """Refuse, saying what moved, unless ``run`` is exactly the plan that was saved."""
    now = fingerprint(run, saved.path)
    moved = []
    if now["git"] != saved.fingerprint.get("git"):
        moved.append(f"git moved from {_short(saved.fingerprint.get('git'))} to {_short(now['git'])}")
    if now["inputs"] != saved.fingerprint.get("inputs"):
        moved.append("the manifests changed")
    if now["observed"] != saved.fingerprint.get("observed"):
        moved.append("the real world changed (or another apply ran)")
    if not moved and run.plan.to_json() != saved.plan:
        moved.append("the plan came out different")
    if moved:
        raise ConfigError(
            f"the saved plan is stale: {'; '.join(moved)} since it was made. Nothing was applied: "
            f"run 'kedge plan {saved.path} -out FILE' again and review the new plan"
        )


def _short(commit: str | None) -> str:
    return (commit or "none")[:12]
