"""A wrong ``--db`` is bad input: a ConfigError saying what is wrong, with no database error
chained to it (nothing for a traceback to show) and never the password."""

from __future__ import annotations

import os
import socket
import traceback
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from kedge.model import ConfigError
from kedge.store import Store

PASSWORD = "Sup3r-s3cret-pw"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def open_error(url: str) -> ConfigError:
    with pytest.raises(ConfigError) as raised:
        Store.open(url)
    error = raised.value
    everything = "".join(traceback.format_exception(error))
    assert PASSWORD not in everything
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__
    return error


@pytest.mark.parametrize(
    ("url", "expected", "reason"),
    [
        (
            "mysql://root:Sup3r-s3cret-pw@db/kedge",
            "unsupported database URL scheme 'mysql'",
            "not a backend Kedge supports",
        ),
        (
            "postgresql://kedge:Sup3r-s3cret-pw@db:notaport/kedge",
            "malformed database URL",
            "port is not a number",
        ),
        ("   ", "empty database URL", "blank flag value"),
    ],
)
def test_urls_kedge_cannot_use_are_named(url: str, expected: str, reason: str) -> None:
    assert expected in str(open_error(url)), reason


def test_an_unreachable_postgresql_is_reported_without_the_password() -> None:
    url = f"postgresql://kedge:{PASSWORD}@127.0.0.1:{closed_port()}/kedge"
    message = str(open_error(url))
    assert "cannot open state database" in message
    assert "127.0.0.1" in message
    assert "***" in message  # the URL is shown, its password masked


@pytest.mark.postgres
def test_a_wrong_password_is_reported_without_either_password() -> None:
    base = os.environ.get("KEDGE_TEST_PG_URL")
    if not base:
        pytest.skip("KEDGE_TEST_PG_URL is not set")
    parts = urlsplit(base)
    real_password = parts.password or ""
    netloc = f"{parts.username}:{PASSWORD}@{parts.hostname}:{parts.port}"
    message = str(open_error(urlunsplit(parts._replace(netloc=netloc))))
    assert "authentication failed" in message
    assert not real_password or real_password not in message


def test_a_sqlite_path_that_is_not_a_database_is_reported(tmp_path: Path) -> None:
    junk = tmp_path / "state.db"
    junk.write_bytes(b"this is not a database file, just text " * 100)
    message = str(open_error(str(junk)))
    assert str(junk) in message and "not a database" in message


def test_a_sqlite_path_under_a_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("x")
    assert "cannot create the directory" in str(open_error(str(tmp_path / "plain" / "state.db")))


def test_a_sqlite_path_that_is_a_directory_is_reported(tmp_path: Path) -> None:
    assert "is a directory" in str(open_error(f"sqlite:///{tmp_path}"))


def test_bare_paths_and_sqlite_urls_create_their_directories(tmp_path: Path) -> None:
    Store.open(str(tmp_path / "a" / "b" / "state.db")).close()
    Store.open(f"sqlite:///{tmp_path / 'c' / 'state.db'}").close()
    assert (tmp_path / "a" / "b" / "state.db").is_file()
    assert (tmp_path / "c" / "state.db").is_file()
