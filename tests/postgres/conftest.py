"""Fixtures of the postgres provider tests: a throwaway cluster and a client bound to it."""

from collections.abc import Iterator

import pytest

from tests.fixtures.pg import PgCluster
from tests.postgres.pgkit import Kit


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/postgres/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture
def kit(pg_cluster: PgCluster, pg_name: str) -> Iterator[Kit]:
    k = Kit(pg_cluster, pg_name)
    try:
        yield k
    finally:
        k.close()
