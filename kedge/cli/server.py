"""The server process: the controller and the HTTP server (API, UI, webhook, metrics) together.

Configuration comes from ``--config FILE`` (a YAML file of core-kind documents: an optional
``ServerConfig``, ``ProviderConfig``s and ``Application``s), flags override it. The apps in the
file are created or updated at start.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kedge.api.proxies import parse_networks
from kedge.compositions import PLATFORM_KINDS, build_platform
from kedge.controller.controller import Controller
from kedge.controller.notify import Notifier, targets_from_config
from kedge.controller.spec import seconds
from kedge.cost import Catalog, CatalogError
from kedge.engine import Engine
from kedge.engine.cost import load_catalog
from kedge.engine.encryption import decrypter_from_env
from kedge.engine.platform import expander
from kedge.engine.render import anchor_settings
from kedge.manifests import CoreDocument, load_path
from kedge.model import ConfigError
from kedge.model.values import reveal
from kedge.providers import registry
from kedge.sources import LocalSources
from kedge.store import Store
from kedge.store.audit_keys import load_private_key
from kedge.store.serving import ServeLock

log = logging.getLogger("kedge.serve")


@dataclass
class ServerSettings:
    db: str = ".kedge/state.db"
    host: str = "127.0.0.1"
    port: int = 8080
    admin_token: str | None = None
    webhook_secret: str | None = None
    audit_key: str | None = None
    audit_interval: float = 300.0  # seconds between signed checkpoints of the audit log
    audit_publish: str | None = None  # file each checkpoint is written to
    notifications: list[Mapping[str, Any]] = field(default_factory=list)
    provider_configs: list[CoreDocument] = field(default_factory=list)
    apps: list[CoreDocument] = field(default_factory=list)
    policies: list[CoreDocument] = field(default_factory=list)  # guardrails for every app
    local_sources: list[str] = field(default_factory=list)  # where local repoURLs are allowed
    trusted_proxies: list[str] = field(default_factory=list)  # whose X-Forwarded-For is believed
    platform: list[CoreDocument] = field(default_factory=list)  # Definitions and Compositions
    price_catalog: str | None = None  # replaces the catalog shipped with Kedge


def read_config(path: Path | None) -> ServerSettings:
    settings = ServerSettings()
    if path is None:
        return settings
    if not path.is_file():
        raise ConfigError(f"{path}: no such configuration file")
    # The server's own secrets (webhook secret, audit key) live outside any app: not confined.
    loaded = load_path(path, registry.kind_spec, decrypt=decrypter_from_env(os.environ), confine_files=False)
    if not loaded.ok:
        raise ConfigError(f"{path}: invalid configuration", loaded.diagnostics)
    if loaded.resources:
        raise ConfigError(
            f"{path}: the server configuration holds only kedge.dev/v1 documents "
            "(ServerConfig, ProviderConfig, Application); put resources in an app"
        )
    for doc in loaded.core:
        if doc.kind == "ServerConfig":
            spec = reveal(doc.spec)
            settings.db = spec.get("db", settings.db)
            settings.admin_token = spec.get("adminToken")
            settings.webhook_secret = spec.get("webhookSecret")
            settings.audit_key = spec.get("auditKey")
            settings.audit_interval = seconds(spec.get("auditCheckpointInterval", "5m"))
            settings.audit_publish = spec.get("auditPublish")
            settings.notifications = list(doc.spec.get("notifications") or [])
            settings.local_sources = [str(path.parent / d) for d in spec.get("localSources") or []]
            settings.trusted_proxies = list(spec.get("trustedProxies") or [])
            try:
                parse_networks(settings.trusted_proxies)
            except ValueError as err:
                raise ConfigError(f"{path}: {err}") from None
            if spec.get("priceCatalog"):  # relative to the configuration file
                settings.price_catalog = str(path.parent / spec["priceCatalog"])
        elif doc.kind == "ProviderConfig":
            # A relative root in the server's file is relative to that file, as in an app.
            base = (loaded.root / doc.file).parent if doc.file else loaded.root
            settings.provider_configs.append(anchor_settings(doc, base)[0])
        elif doc.kind == "Application":
            settings.apps.append(doc)
        elif doc.kind == "Policy":
            settings.policies.append(doc)
        elif doc.kind in PLATFORM_KINDS:
            settings.platform.append(doc)
    _, problems = build_platform(settings.platform)
    if problems:
        raise ConfigError(f"{path}: invalid Definitions or Compositions", problems)
    return settings


@dataclass
class Server:
    """Everything ``kedge serve`` runs, started and stopped together (also used by ``kedge demo``)."""

    store: Store
    engine: Engine
    controller: Controller
    settings: ServerSettings
    http: Any = None
    thread: threading.Thread | None = None
    audit_key: Any = None
    serving: ServeLock | None = None
    _stop_checkpoints: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def build(cls, settings: ServerSettings, cache_dir: Path | None = None) -> Server:
        catalog = _price_catalog(settings.price_catalog)  # a bad catalog stops the start, first
        store = Store.open(settings.db)
        try:
            serving = store.lock_for_serving()  # a SQLite file has one server; PostgreSQL, many
        except BaseException:
            store.close()
            raise
        engine = Engine(
            store,
            extra_configs=settings.provider_configs,
            policies=settings.policies,
            checkouts=True,
            platform=expander(settings.platform, allow_declared=False),
            catalog=catalog,
        )
        db_dir = Path(settings.db).parent if "://" not in settings.db else Path(".kedge")
        notifier = Notifier(targets_from_config(settings.notifications))
        controller = Controller(
            store,
            engine,
            cache_dir=cache_dir or db_dir / "git",
            notifier=notifier,
            local_sources=LocalSources.under(settings.local_sources),
        )
        for doc in settings.apps:
            existing = store.get_app(doc.name)
            if existing is None or dict(existing.spec) != dict(doc.spec):
                store.put_app(doc.name, dict(doc.spec), source="config")
                action = "app-created" if existing is None else "app-updated"
                store.audit("config", action, app=doc.name, details={"spec": dict(doc.spec)})
        key = load_private_key(settings.audit_key, "spec.auditKey") if settings.audit_key else None
        return cls(store, engine, controller, settings, audit_key=key, serving=serving)

    def checkpoint(self) -> None:
        """Sign the audit log's head now, and publish it where the configuration says."""
        checkpoint = self.store.checkpoint(self.audit_key)
        if checkpoint is not None and self.settings.audit_publish:
            target = Path(self.settings.audit_publish)
            temporary = target.with_name(target.name + ".tmp")
            temporary.write_text(json.dumps(checkpoint.to_json(), sort_keys=True) + "\n")
            temporary.replace(target)

    def _checkpoints(self) -> None:
        while not self._stop_checkpoints.wait(self.settings.audit_interval):
            try:
                self.checkpoint()
            except Exception as err:  # a failed checkpoint is logged; the next one tries again
                log.error("audit checkpoint failed: %s", err)

    def start(self) -> None:
        import uvicorn

        from kedge.api.asgi import create_asgi_app
        from kedge.ui import mount as ui_mount

        self.controller.start()
        if self.audit_key is not None:
            threading.Thread(target=self._checkpoints, name="kedge-audit-checkpoints", daemon=True).start()
        api = create_asgi_app(
            self.controller,
            self.store,
            admin_token=self.settings.admin_token or os.environ.get("KEDGE_ADMIN_TOKEN"),
            webhook_secret=self.settings.webhook_secret or os.environ.get("KEDGE_WEBHOOK_SECRET"),
            metrics_registry=self.controller.metrics.registry,
            audit_keys=[self.audit_key.public_key()] if self.audit_key is not None else [],
            ui=ui_mount,
            trusted_proxies=self.settings.trusted_proxies,
        )
        # Forwarded headers are judged by the API against spec.trustedProxies, not by uvicorn
        # (which would believe them from any loopback peer).
        config = uvicorn.Config(
            api,
            host=self.settings.host,
            port=self.settings.port,
            log_level="warning",
            access_log=False,
            proxy_headers=False,
        )
        self.http = uvicorn.Server(config)
        self.http.install_signal_handlers = lambda: None  # the CLI owns Ctrl-C
        self.thread = threading.Thread(target=self.http.run, name="kedge-http", daemon=True)
        self.thread.start()
        for _ in range(200):
            if self.http.started or not self.thread.is_alive():
                break
            threading.Event().wait(0.05)
        if not self.http.started:
            self.stop()
            raise ConfigError(f"could not listen on {self.settings.host}:{self.settings.port} (in use?)")

    def stop(self) -> None:
        self._stop_checkpoints.set()
        if self.http is not None:
            self.http.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout=10)
        self.controller.stop()
        if self.audit_key is not None:
            try:
                self.checkpoint()  # the last word of this run is signed too
            except Exception as err:
                log.error("final audit checkpoint failed: %s", err)
        self.engine.close()
        self.store.close()
        if self.serving is not None:
            self.serving.release()


def _price_catalog(path: str | None) -> Catalog | None:
    if path is None:
        return None
    try:
        return load_catalog(path)
    except CatalogError as err:
        raise ConfigError(f"spec.priceCatalog: {err}", err.diagnostics) from None


def wait_for_interrupt(on_start: Callable[[], None] | None = None) -> None:
    stop = threading.Event()
    previous = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        if on_start is not None:
            on_start()
        stop.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: what log shippers parse without a pattern."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging() -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    level = os.environ.get("KEDGE_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # schema migrations log only problems
