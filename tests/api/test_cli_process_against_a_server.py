"""The client commands as a user runs them (a separate `kedge` process) against a real server:
diff's exit code, short revisions in tables and full ones in JSON, nothing cut in a narrow
pipe, one message for a refused token, and `audit verify` through the API."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from kedge.store import Store
from tests.api.conftest import REPO, make_app
from tests.api.fakes import FakeControlPlane
from tests.api.server import serve
from tests.cli.process import kedge
from tests.store.tampering import raw_sql

REVISION = "0123456789abcdef0123456789abcdef01234567"
LONG_PATH = "apps/a-rather-long-directory-name/that-must-not-be-cut-in-a-pipe"


@pytest.fixture
def server(control: FakeControlPlane, store: Store, tokens: dict[str, str]) -> Iterator[dict[str, str]]:
    with serve(make_app(control, store)) as url:
        yield {"KEDGE_SERVER": url, "KEDGE_TOKEN": tokens["admin"]}


def test_diff_detailed_exitcode_is_2_only_when_changes_are_pending(
    server: dict[str, str], control: FakeControlPlane
) -> None:
    assert kedge("app", "sync", "web", "--wait", **server).exit_code == 0
    in_sync = kedge("app", "diff", "web", "--detailed-exitcode", **server)
    assert in_sync.exit_code == 0 and "No changes" in in_sync.stdout, in_sync
    control.drift("web")
    pending = kedge("app", "diff", "web", "--detailed-exitcode", **server)
    assert pending.exit_code == 2, pending
    assert "File/motd" in pending.stdout
    assert kedge("app", "diff", "web", **server).exit_code == 0, "without the flag, changes are not an error"


def test_tables_show_short_revisions_and_cut_nothing_in_a_narrow_pipe(server: dict[str, str]) -> None:
    made = kedge("app", "create", "long", "--repo", REPO, "--path", LONG_PATH, **server)
    assert made.exit_code == 0, made
    synced = kedge("app", "sync", "long", "--revision", REVISION, "--wait", **server)
    assert synced.exit_code == 0, synced
    listed = kedge("app", "list", **server)  # COLUMNS=60, stdout a pipe
    line = next(x for x in listed.stdout.splitlines() if x.startswith("long"))
    assert REVISION[:12] in line and REVISION[:13] not in line
    assert LONG_PATH in line and "…" not in listed.stdout
    history = kedge("app", "history", "long", **server).stdout
    assert REVISION[:12] in history and REVISION[:13] not in history
    as_json = json.loads(kedge("app", "get", "long", "-o", "json", **server).stdout)
    assert as_json["status"]["lastAppliedRevision"].startswith(REVISION)


def test_a_refused_token_prints_one_message(server: dict[str, str], tokens: dict[str, str]) -> None:
    refused = kedge("app", "list", **{**server, "KEDGE_TOKEN": tokens["revoked"]})
    assert refused.exit_code == 1
    lines = [x for x in refused.stderr.splitlines() if x.strip()]
    assert len(lines) == 1, refused
    assert "refused the token" in lines[0] and tokens["revoked"] not in refused.stderr
    too_low = kedge("app", "sync", "web", **{**server, "KEDGE_TOKEN": tokens["viewer"]})
    assert too_low.exit_code == 1
    assert len([x for x in too_low.stderr.splitlines() if x.strip()]) == 1, too_low
    assert "role is too low" in too_low.stderr


def test_audit_verify_works_against_a_server(
    server: dict[str, str], tokens: dict[str, str], store: Store
) -> None:
    """An auditor checks the server's chain without a copy of its database."""
    for n in range(3):
        store.audit("tester", "app-created", app=f"app-{n}")
    verified = kedge("audit", "verify", **server)
    assert verified.exit_code == 0, verified
    assert "3 entries, chain intact" in verified.stdout
    report = json.loads(kedge("audit", "verify", "-o", "json", **server).stdout)
    assert report["ok"] is True and report["entries"] == 3
    with raw_sql(str(store.url)) as connection:
        connection.exec_driver_sql("UPDATE audit SET actor = 'mallory' WHERE seq = 2")
    broken = kedge("audit", "verify", "-o", "json", **server)
    assert broken.exit_code == 1
    assert json.loads(broken.stdout)["firstBad"] == 2
    low = kedge("audit", "verify", **{**server, "KEDGE_TOKEN": tokens["viewer"]})
    assert low.exit_code == 1 and "role" in low.stderr
