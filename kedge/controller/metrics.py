"""Prometheus metrics of the controller, in a registry of its own (served at ``/metrics``)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self._app_info = Gauge(
            "kedge_app_info",
            "One series per app with its sync and health status",
            ["app", "sync_status", "health_status"],
            registry=self.registry,
        )
        self._reconcile = Histogram(
            "kedge_reconcile_duration_seconds",
            "Time to render, observe and plan one app",
            ["app"],
            registry=self.registry,
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
        )
        self._drift = Counter(
            "kedge_drift_events_total", "Drift events detected", ["app"], registry=self.registry
        )
        self._sync = Counter("kedge_sync_total", "Syncs by result", ["app", "result"], registry=self.registry)
        self.git_requests = Counter(
            "kedge_git_requests_total", "Requests to git remotes", ["type"], registry=self.registry
        )
        self._cost = Gauge(
            "kedge_app_monthly_cost",
            "Estimated monthly cost of each app as declared, from list prices (docs/cost.md)",
            ["app", "currency"],
            registry=self.registry,
        )
        self._currency: dict[str, str] = {}
        self._labels: dict[str, tuple[str, str]] = {}
        self._lock = threading.Lock()

    def app_info(self, app: str, sync: str, health: str) -> None:
        with self._lock:
            old = self._labels.get(app)
            if old == (sync, health):
                return
            if old is not None:
                self._app_info.remove(app, *old)
            self._app_info.labels(app, sync, health).set(1)
            self._labels[app] = (sync, health)

    def forget(self, app: str) -> None:
        with self._lock:
            old = self._labels.pop(app, None)
            if old is not None:
                self._app_info.remove(app, *old)
            currency = self._currency.pop(app, None)
            if currency is not None:
                self._cost.remove(app, currency)

    def app_cost(self, app: str, monthly: float, currency: str) -> None:
        with self._lock:
            old = self._currency.get(app)
            if old is not None and old != currency:
                self._cost.remove(app, old)
            self._cost.labels(app, currency).set(monthly)
            self._currency[app] = currency

    @contextmanager
    def reconcile_timer(self, app: str) -> Iterator[None]:
        with self._reconcile.labels(app).time():
            yield

    def drift(self, app: str) -> None:
        self._drift.labels(app).inc()

    def sync(self, app: str, result: str) -> None:
        self._sync.labels(app, result).inc()
