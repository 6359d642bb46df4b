"""An Application's spec, validated and with its defaults, as the controller reads it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema

from kedge.manifests import CORE_SCHEMAS
from kedge.model import ConfigError, Diagnostic
from kedge.sources import check_ref, parse_url
from kedge.sources.snapshot import normalise_app_path

_DURATION = re.compile(r"^([0-9]+)(ms|s|m|h)$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


def seconds(text: str) -> float:
    match = _DURATION.match(text)
    if not match:
        raise ConfigError(f"{text!r} is not a duration such as 30s, 5m or 1h")
    return int(match.group(1)) * _UNITS[match.group(2)]


@dataclass(frozen=True)
class AppSpec:
    repo_url: str
    target_revision: str
    path: str
    poll_interval: float
    verify: Mapping[str, Any] | None
    automated: bool
    self_heal: bool
    prune: bool
    allow_empty: bool
    drift_interval: float
    platform: bool = False  # may declare Definitions and Compositions

    @classmethod
    def parse(cls, name: str, spec: Mapping[str, Any]) -> AppSpec:
        validate(name, spec)
        source = spec["source"]
        policy = spec.get("syncPolicy") or {}
        verify = source.get("verify")
        if verify is True:
            verify = {"mode": "head", "keys": []}
        return cls(
            repo_url=source["repoURL"],
            target_revision=source.get("targetRevision", "HEAD"),
            path=source.get("path", ".") or ".",
            poll_interval=max(1.0, seconds(source.get("pollInterval", "30s"))),
            verify=verify or None,
            automated=bool(policy.get("automated", False)),
            self_heal=bool(policy.get("selfHeal", False)),
            prune=bool(policy.get("prune", False)),
            allow_empty=bool(policy.get("allowEmpty", False)),
            drift_interval=max(1.0, seconds(policy.get("driftInterval", "30s"))),
            platform=spec.get("platform") is True,
        )


def validate(name: str, spec: Mapping[str, Any]) -> None:
    problems: list[Diagnostic] = []
    if not NAME.match(name):
        problems.append(
            Diagnostic.error(
                "app names are lower-case letters, digits and '-', at most 63 characters", path="name"
            )
        )
    validator = jsonschema.Draft202012Validator(CORE_SCHEMAS["Application"])
    for err in sorted(validator.iter_errors(spec), key=lambda e: list(e.path)):
        where = ".".join(["spec", *(str(p) for p in err.path)])
        problems.append(Diagnostic.error(err.message, path=where))
    raw_source = spec.get("source")
    source: Mapping[str, Any] = raw_source if isinstance(raw_source, Mapping) else {}
    for path, check, value in (
        ("spec.source.repoURL", parse_url, source.get("repoURL")),
        ("spec.source.targetRevision", check_ref, source.get("targetRevision")),
        ("spec.source.path", normalise_app_path, source.get("path")),  # stays inside the repository
    ):
        if isinstance(value, str):
            try:
                check(value)
            except ConfigError as err:
                problems.append(Diagnostic.error(str(err), path=path))
    if problems:
        detail = "; ".join(f"{d.path}: {d.message}" for d in problems)
        raise ConfigError(f"app {name!r}: invalid spec: {detail}", problems)
