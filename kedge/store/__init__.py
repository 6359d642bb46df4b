"""State: inventory (who owns what), create intents, apply history; SQLite or PostgreSQL.

Built on SQLAlchemy 2 with Alembic migrations that ship inside the package and run when the
store opens. Only ``kedge.model`` lies below it. See ``kedge.store.store`` for the entry point.
"""

from kedge.store.base import StoreError
from kedge.store.intents import IntentItem
from kedge.store.records import INTERRUPTED, RUNNING, Intent, Run, RunResult
from kedge.store.store import Store

__all__ = ["INTERRUPTED", "RUNNING", "Intent", "IntentItem", "Run", "RunResult", "Store", "StoreError"]
