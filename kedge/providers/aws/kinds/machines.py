"""The rollout and remediation rules of a MachineDeployment, as pure functions.

Given the instances a MachineDeployment owns (``Machine``), its settings and the time, decide
what is wrong with each instance (``assess``) and the next step towards ``replicas`` healthy
instances of the current template (``next_step``), the way Cluster API's MachineDeployment and
MachineHealthCheck controllers do:

- a rolling update keeps at most ``replicas + maxSurge`` instances and at least
  ``replicas - maxUnavailable`` available ones; new instances first, old ones oldest first;
- an instance that is stopped (or stopping) is remediated at once, one that has been in one of
  ``unhealthyStates`` for longer than ``timeout`` too: terminated, one at a time, and replaced;
- when more than ``maxUnhealthy`` instances are unhealthy at once, nothing is remediated (a
  fleet-wide problem, such as a broken image or network, is not fixed by replacing machines)
  and the names of the unhealthy instances are reported.

No I/O and no clock: the handler passes ``now``. Nothing here knows about boto3.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

DURATION = re.compile(r"^([0-9]+)(ms|s|m|h)$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
PERCENT = re.compile(r"^([0-9]{1,3})%$")

GONE = frozenset({"shutting-down", "terminated"})
FAILED = frozenset({"stopping", "stopped"})
STATUS_STATES = ("impaired", "insufficient-data", "initializing")
UNHEALTHY_STATES = ("pending", *STATUS_STATES)


def seconds(text: str) -> float:
    """``30s``, ``5m``, ``1h``, ``500ms`` in seconds; ValueError otherwise."""
    match = DURATION.match(str(text))
    if not match:
        raise ValueError(f"{text!r} is not a duration such as 30s, 5m or 1h")
    return int(match.group(1)) * _UNITS[match.group(2)]


def scaled(value: int | str, total: int, round_up: bool) -> int:
    """An int, or a percentage of ``total`` (``"25%"``), rounded as Kubernetes does."""
    if isinstance(value, int):
        return value
    match = PERCENT.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is neither an integer nor a percentage such as 25%")
    exact = int(match.group(1)) * total / 100
    return math.ceil(exact) if round_up else math.floor(exact)


@dataclass(frozen=True)
class Machine:
    """One EC2 instance of a MachineDeployment, as observed."""

    id: str
    state: str  # EC2 state name: pending, running, stopping, stopped, shutting-down, terminated
    launched: datetime
    current: bool  # launched from the template the spec declares today
    status: str = "ok"  # the instance status check: ok, impaired, insufficient-data, initializing
    impaired_since: datetime | None = None

    @property
    def gone(self) -> bool:
        return self.state in GONE


@dataclass(frozen=True)
class Settings:
    replicas: int
    max_surge: int
    max_unavailable: int
    unhealthy_states: frozenset[str]
    timeout: float  # seconds
    max_unhealthy: int

    @classmethod
    def parse(cls, spec: Mapping[str, Any], strict: bool = True) -> Settings:
        """From a spec with its defaults filled; ValueError naming the field otherwise.

        ``strict=False`` (to observe, not to change) lets a strategy that allows no step pass."""
        replicas = int(spec.get("replicas", 1))
        strategy = spec.get("strategy") or {}
        health = spec.get("healthCheck") or {}

        def field_value(name: str, value: Any, round_up: bool) -> int:
            try:
                return scaled(value, replicas, round_up)
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None

        surge = field_value("strategy.maxSurge", strategy.get("maxSurge", 1), True)
        unavailable = field_value("strategy.maxUnavailable", strategy.get("maxUnavailable", 0), False)
        if strict and surge == 0 and unavailable == 0 and replicas > 0:
            raise ValueError(
                "strategy: maxSurge and maxUnavailable are both 0, so no instance could ever be "
                "replaced; allow at least one (e.g. maxSurge: 1)"
            )
        try:
            timeout = seconds(health.get("timeout", "5m"))
        except ValueError as exc:
            raise ValueError(f"healthCheck.timeout: {exc}") from None
        return cls(
            replicas=replicas,
            max_surge=surge,
            max_unavailable=unavailable,
            unhealthy_states=frozenset(health.get("unhealthyStates", ["impaired"])),
            timeout=timeout,
            max_unhealthy=field_value("healthCheck.maxUnhealthy", health.get("maxUnhealthy", "100%"), False),
        )


@dataclass(frozen=True)
class Verdict:
    """What is wrong with one instance: ``remediate`` says it must be replaced now."""

    unhealthy: bool
    remediate: bool
    reason: str = ""


def assess(machine: Machine, settings: Settings, now: datetime) -> Verdict:
    if machine.state in FAILED:
        return Verdict(True, True, f"{machine.id} is {machine.state}")
    state = machine.state if machine.state == "pending" else machine.status
    if state not in settings.unhealthy_states:
        return Verdict(False, False)
    since = machine.impaired_since if state == "impaired" and machine.impaired_since else machine.launched
    overdue = (now - since).total_seconds() > settings.timeout
    text = f"{machine.id} is {state} since {since:%Y-%m-%d %H:%M:%S}"
    return Verdict(True, overdue, text + (" (past the health check timeout)" if overdue else ""))


@dataclass(frozen=True)
class Fleet:
    """The instances of one MachineDeployment, sorted oldest first, with their verdicts."""

    machines: tuple[Machine, ...]
    verdicts: Mapping[str, Verdict]
    settings: Settings

    @classmethod
    def of(cls, machines: Sequence[Machine], settings: Settings, now: datetime) -> Fleet:
        live = tuple(sorted((m for m in machines if not m.gone), key=lambda m: (m.launched, m.id)))
        return cls(live, {m.id: assess(m, settings, now) for m in live}, settings)

    @property
    def unhealthy(self) -> list[Machine]:
        return [m for m in self.machines if self.verdicts[m.id].unhealthy]

    @property
    def paused(self) -> bool:
        """More instances are unhealthy than ``maxUnhealthy`` allows: remediate none."""
        return len(self.unhealthy) > self.settings.max_unhealthy

    @property
    def to_remediate(self) -> list[Machine]:
        if self.paused:
            return []
        return [m for m in self.machines if self.verdicts[m.id].remediate]

    @property
    def serving(self) -> list[Machine]:
        """Instances that count towards ``replicas``: all but those about to be remediated."""
        doomed = {m.id for m in self.to_remediate}
        return [m for m in self.machines if m.id not in doomed]

    @property
    def ready(self) -> list[Machine]:
        return [m for m in self.serving if m.state == "running" and not self.verdicts[m.id].unhealthy]

    def paused_message(self) -> str:
        names = ", ".join(
            f"{m.id} ({self.verdicts[m.id].reason.split(' is ', 1)[-1]})" for m in self.unhealthy
        )
        return (
            f"{len(self.unhealthy)} of {len(self.machines)} instances are unhealthy, more than "
            f"maxUnhealthy ({self.settings.max_unhealthy}): nothing is replaced until fewer are. "
            f"Unhealthy: {names}"
        )


@dataclass(frozen=True)
class Step:
    """One step of a rollout: instances to terminate (with the reason) and how many to launch."""

    terminate: tuple[tuple[str, str], ...] = ()
    launch: int = 0
    reason: str = ""
    waiting: tuple[str, ...] = field(default=())  # instances the rollout waits for

    @property
    def done(self) -> bool:
        return not self.terminate and not self.launch and not self.waiting


def next_step(fleet: Fleet) -> Step:
    """The next step towards ``replicas`` ready instances of the current template."""
    s = fleet.settings
    remediate = fleet.to_remediate
    if remediate:  # one at a time, with its reason
        m = remediate[0]
        return Step(terminate=((m.id, f"remediation: {fleet.verdicts[m.id].reason}"),))
    serving = fleet.serving
    new = [m for m in serving if m.current]
    old = [m for m in serving if not m.current]
    if len(new) > s.replicas:  # scale down: the newest go first, old ones are all surplus
        extra = sorted(new, key=lambda m: (m.launched, m.id), reverse=True)[: len(new) - s.replicas]
        surplus = [(m.id, "scale down") for m in [*old, *extra]]
        return Step(terminate=tuple(surplus), reason="scale down")
    room = s.replicas + s.max_surge - len(serving)
    if len(new) < s.replicas and room > 0:
        return Step(launch=min(s.replicas - len(new), room), reason="rollout" if old else "scale up")
    if old:
        available = [m for m in serving if m.state == "running" and not fleet.verdicts[m.id].unhealthy]
        removable = len(available) - (s.replicas - s.max_unavailable)
        # surplus beyond replicas + surge first, then what availability allows
        count = max(removable, len(serving) - (s.replicas + s.max_surge), 0)
        if len(new) >= s.replicas:
            count = len(old)
        if count > 0:
            victims = [(m.id, "rollout: template changed") for m in old[:count]]
            return Step(terminate=tuple(victims), reason="rollout")
        pending = tuple(m.id for m in serving if m.id not in {a.id for a in available})
        return Step(waiting=pending, reason="rollout: waiting for new instances to be ready")
    return Step()
