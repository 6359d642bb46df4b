"""Find providers through the ``kedge.providers`` entry point group.

Built-in providers are registered in Kedge's own ``pyproject.toml``; a third party adds one by
declaring an entry point in the same group. Loading is lazy: a provider whose dependencies are
missing only fails when a manifest uses it.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib.metadata import entry_points

from kedge.model import ConfigError, KindSpec
from kedge.providers.base import Provider

GROUP = "kedge.providers"


@cache
def _entry_points() -> Mapping[str, object]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


_overrides: dict[str, Provider] = {}


def register(provider: Provider) -> None:
    """Register a provider in-process (tests, embedded use); wins over entry points."""
    _overrides[provider.name] = provider
    _load.cache_clear()


def names() -> list[str]:
    return sorted(set(_entry_points()) | set(_overrides))


@cache
def _load(name: str) -> Provider:
    if name in _overrides:
        return _overrides[name]
    ep = _entry_points().get(name)
    if ep is None:
        known = ", ".join(names()) or "none"
        raise ConfigError(f"unknown provider {name!r} (installed providers: {known})")
    obj = ep.load()  # type: ignore[attr-defined]
    provider: Provider = obj() if callable(obj) and not hasattr(obj, "kinds") else obj
    return provider


def get(name: str) -> Provider:
    return _load(name)


def kind_spec(api_version: str, kind: str) -> KindSpec | None:
    """The KindSpec for (apiVersion, kind), or None when the provider does not serve it."""
    group, _, _version = api_version.partition("/")
    if not group.endswith(".kedge.dev"):
        return None
    provider_name = group.split(".", 1)[0]
    if provider_name not in names():
        return None
    spec = get(provider_name).kinds.get(kind)
    if spec is None or spec.api_version != api_version:
        return None
    return spec


def all_kinds() -> list[KindSpec]:
    out: list[KindSpec] = []
    for name in names():
        out.extend(get(name).kinds.values())
    return out
