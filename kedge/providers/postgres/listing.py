"""What exists in a PostgreSQL server, for ``kedge orphans``: roles, databases and schemas
with the app their ``COMMENT`` mark names.

One catalog query per kind. System objects are left out: roles named ``pg_*`` and the
bootstrap superuser, template databases and ``postgres``, schemas named ``pg_*``,
``information_schema`` and ``public``. Schemas are listed in the ProviderConfig's own
database (the DSN's), the one a ``Schema`` without ``spec.database`` lives in.
"""

from __future__ import annotations

from collections.abc import Sequence

from kedge.providers.base import Existing
from kedge.providers.postgres.conn import Connections
from kedge.providers.postgres.names import parse_comment

KINDS = ("Role", "Database", "Schema")

_QUERIES = {
    "Role": """
SELECT r.rolname, shobj_description(r.oid, 'pg_authid') FROM pg_roles r
WHERE r.rolname NOT LIKE 'pg\\_%%' AND r.oid >= 16384 ORDER BY r.rolname""",
    "Database": """
SELECT d.datname, shobj_description(d.oid, 'pg_database') FROM pg_database d
WHERE NOT d.datistemplate AND d.datname <> 'postgres' ORDER BY d.datname""",
    "Schema": """
SELECT n.nspname, obj_description(n.oid, 'pg_namespace') FROM pg_namespace n
WHERE n.nspname NOT LIKE 'pg\\_%%' AND n.nspname NOT IN ('information_schema', 'public')
ORDER BY n.nspname""",
}


def list_objects(conns: Connections, kind: str) -> Sequence[Existing]:
    query = _QUERIES.get(kind)
    if query is None:
        return ()
    rows = conns.query(None, query, (), f"list {kind}s")
    return [Existing(kind, str(name), parse_comment(comment).app) for name, comment in rows]
