"""Prometheus text limited to what a token may see.

A token scoped to app patterns (``pay-*``) sees only the series whose ``app`` label it may
see; series without an ``app`` label (git requests, HTTP requests) carry no app's name and are
shown to every viewer. An unscoped token sees everything, as a scrape job's token does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector


class _Filtered(Collector):
    def __init__(self, source: CollectorRegistry, sees: Callable[[str], bool]) -> None:
        self.source = source
        self.sees = sees

    def collect(self) -> Iterator[Metric]:
        for family in self.source.collect():
            kept = Metric(family.name, family.documentation, family.type, family.unit)
            kept.samples = [s for s in family.samples if "app" not in s.labels or self.sees(s.labels["app"])]
            yield kept


def scoped_text(source: CollectorRegistry, sees: Callable[[str], bool] | None) -> bytes:
    """``source`` as Prometheus text; only the apps ``sees`` accepts when it is given."""
    if sees is None:
        return bytes(generate_latest(source))
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Filtered(source, sees))
    return bytes(generate_latest(registry))
