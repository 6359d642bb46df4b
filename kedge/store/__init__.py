"""State: inventory (who owns what), create intents, apply history, applications, app events,
API tokens and the audit chain; SQLite or PostgreSQL.

Built on SQLAlchemy 2 with Alembic migrations that ship inside the package and run when the
store opens. Only ``kedge.model`` lies below it. See ``kedge.store.store`` for the entry point.
"""

from kedge.store.audit import AuditIntegrityError, AuditItem
from kedge.store.base import FencedError, Lease, StoreError
from kedge.store.intents import IntentItem
from kedge.store.membership import Replica
from kedge.store.notify import Listener
from kedge.store.operations import OperationRecord
from kedge.store.records import (
    INTERRUPTED,
    ROLES,
    RUNNING,
    AppRecord,
    AuditEntry,
    AuditVerification,
    Checkpoint,
    Event,
    Intent,
    Run,
    RunResult,
    TokenRecord,
)
from kedge.store.store import Store

__all__ = [
    "INTERRUPTED",
    "ROLES",
    "RUNNING",
    "AppRecord",
    "AuditEntry",
    "AuditIntegrityError",
    "AuditItem",
    "AuditVerification",
    "Checkpoint",
    "Event",
    "FencedError",
    "Intent",
    "IntentItem",
    "Lease",
    "Listener",
    "OperationRecord",
    "Replica",
    "Run",
    "RunResult",
    "Store",
    "StoreError",
    "TokenRecord",
]
