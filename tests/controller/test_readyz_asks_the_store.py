"""``/readyz`` asks the state store: 200 while it answers, 503 once it does not (here: its
PostgreSQL database is dropped under the running controller)."""

from __future__ import annotations

import httpx
import pytest

from kedge.api.asgi import create_asgi_app
from kedge.controller.controller import Controller
from kedge.engine import Engine
from kedge.store import Store
from tests.api.server import serve


@pytest.mark.postgres
def test_readyz_follows_the_store(pg_cluster, pg_name, tmp_path) -> None:
    db = pg_cluster.create_database(pg_name)
    store = Store.open(pg_cluster.dsn(db))
    engine = Engine(store)
    controller = Controller(store, engine, cache_dir=tmp_path / "cache")
    controller.start()
    try:
        api = create_asgi_app(controller, store, admin_token="readyz-admin-token-0123456789", webhook_secret="s")
        with serve(api) as url:
            assert httpx.get(f"{url}/readyz").status_code == 200
            with pg_cluster.connect() as conn:
                conn.execute(f'DROP DATABASE "{db}" WITH (FORCE)')
            gone = httpx.get(f"{url}/readyz")
            assert gone.status_code == 503 and gone.json() == {"ok": False}
            assert httpx.get(f"{url}/healthz").status_code == 200
    finally:
        controller.stop()
        engine.close()
        store.close()
