"""Push-based drift detection: long-lived provider watches that wake the owning app at once.

One watch per (app, ProviderConfig) whose client offers ``watch()`` (inotify for local files,
LISTEN/NOTIFY for PostgreSQL). A watch whose settings changed is restarted; one whose app went
away is stopped. Other drift is found by the periodic sweep.

Each app has a generation that moves on every event, every watch started or stopped and every
watch that ends: ``quiet`` tells the reconciler whether an app's watches were all running, all
complete (``watch_complete`` on the client: every change to what the kind declares reaches the
watch) and silent since a given generation, so a drift sweep can skip re-planning it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from kedge.engine import AppRun
from kedge.model.values import reveal
from kedge.providers import registry
from kedge.providers.base import ConnectContext

log = logging.getLogger("kedge.watch")


@dataclass
class _Watch:
    fingerprint: str
    stop: threading.Event
    thread: threading.Thread
    complete: bool  # the client said every change reaches the watch


class Watches:
    def __init__(self, wake: Callable[[str, str], None]) -> None:
        self._wake = wake  # (app, detail)
        self._watches: dict[tuple[str, str], _Watch] = {}
        self._lock = threading.Lock()
        self._generations: dict[str, int] = {}  # app -> moves on every event, start, stop, end
        self._generation_lock = threading.Lock()  # watch threads bump without holding _lock

    def generation(self, app: str) -> int:
        return self._generations.get(app, 0)

    def quiet(self, app: str, configs: set[str], since: int) -> bool:
        """Whether every one of ``configs`` has a live, complete watch and ``app`` saw nothing
        (no event, no watch started, stopped or ended) since generation ``since``."""
        with self._lock:
            if self._generations.get(app, 0) != since:
                return False
            for name in configs:
                watch = self._watches.get((app, name))
                if watch is None or not watch.complete or not watch.thread.is_alive():
                    return False
            return True

    def _bump(self, app: str) -> None:
        with self._generation_lock:
            self._generations[app] = self._generations.get(app, 0) + 1

    def ensure(self, app: str, run: AppRun) -> None:
        """Start, restart or stop the watches of ``app`` to match its rendered ProviderConfigs."""
        wanted = {
            name: config
            for name, config in run.rendered.configs.items()
            if any(r.provider_config == name for r in run.rendered.resources)
        }
        with self._lock:
            for key in [k for k in self._watches if k[0] == app and k[1] not in wanted]:
                self._stop(key)
            for name, config in wanted.items():
                fingerprint = hashlib.sha256(
                    json.dumps(
                        [config.provider, reveal(config.settings)], sort_keys=True, default=str
                    ).encode()
                ).hexdigest()
                current = self._watches.get((app, name))
                if current is not None and current.fingerprint == fingerprint and current.thread.is_alive():
                    continue
                if current is not None:
                    self._stop((app, name))
                self._start(app, name, config.provider, config.settings, fingerprint)

    def _start(self, app: str, name: str, provider_name: str, settings: object, fingerprint: str) -> None:
        provider = registry.get(provider_name)
        try:
            client = provider.connect(settings, ConnectContext(app, name))  # type: ignore[arg-type]
        except Exception as err:
            log.info("no watch for %s/%s: %s", app, name, err)
            return
        watch = getattr(client, "watch", None)
        if watch is None:
            client.close()
            return
        stop = threading.Event()
        complete = bool(getattr(client, "watch_complete", False))

        def run() -> None:
            try:
                for event in watch(stop):
                    if stop.is_set():
                        break
                    self._bump(app)  # before the wake: a plan that starts after it sees the event
                    self._wake(app, f"{event.kind} {event.external_id or ''}".strip())
            except Exception as err:
                log.warning("watch of %s/%s ended: %s", app, name, err)
            finally:
                self._bump(app)
                client.close()

        thread = threading.Thread(target=run, name=f"kedge-watch-{app}-{name}", daemon=True)
        self._watches[(app, name)] = _Watch(fingerprint, stop, thread, complete)
        self._bump(app)  # what changed before the watch started is unknown
        thread.start()

    def _stop(self, key: tuple[str, str]) -> None:
        watch = self._watches.pop(key, None)
        if watch is not None:
            self._bump(key[0])
            watch.stop.set()

    def forget(self, app: str) -> None:
        with self._lock:
            for key in [k for k in self._watches if k[0] == app]:
                self._stop(key)

    def close(self) -> None:
        with self._lock:
            for key in list(self._watches):
                self._stop(key)
