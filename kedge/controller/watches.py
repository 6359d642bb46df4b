"""Push-based drift detection: long-lived provider watches that wake the owning app at once.

One watch per (app, ProviderConfig) whose client offers ``watch()`` (inotify for local files,
LISTEN/NOTIFY for PostgreSQL). A watch whose settings changed is restarted; one whose app went
away is stopped. Other drift is found by the periodic sweep.
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


class Watches:
    def __init__(self, wake: Callable[[str, str], None]) -> None:
        self._wake = wake  # (app, detail)
        self._watches: dict[tuple[str, str], _Watch] = {}
        self._lock = threading.Lock()

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

        def run() -> None:
            try:
                for event in watch(stop):
                    if stop.is_set():
                        break
                    self._wake(app, f"{event.kind} {event.external_id or ''}".strip())
            except Exception as err:
                log.warning("watch of %s/%s ended: %s", app, name, err)
            finally:
                client.close()

        thread = threading.Thread(target=run, name=f"kedge-watch-{app}-{name}", daemon=True)
        self._watches[(app, name)] = _Watch(fingerprint, stop, thread)
        thread.start()

    def _stop(self, key: tuple[str, str]) -> None:
        watch = self._watches.pop(key, None)
        if watch is not None:
            watch.stop.set()

    def forget(self, app: str) -> None:
        with self._lock:
            for key in [k for k in self._watches if k[0] == app]:
                self._stop(key)

    def close(self) -> None:
        with self._lock:
            for key in list(self._watches):
                self._stop(key)
