"""``kedge serve`` with an audit key signs checkpoints at its interval and publishes them; the log
then verifies with the public key, and a tampered entry is named."""

from __future__ import annotations

import base64
import json
import socket
import sqlite3
from pathlib import Path

from kedge.cli.server import Server, ServerSettings
from kedge.manifests import CoreDocument
from kedge.store.audit_keys import public_key_text
from tests.controller.conftest import GitRepo, app_spec, file_doc, provider_config, wait_for

SEED = bytes(range(32))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_checkpoints_are_signed_published_and_verified(tmp_path: Path, root: Path, kedge) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.commit({"app.yaml": file_doc("motd", "motd", "hello\n")})
    published = tmp_path / "checkpoint.json"
    settings = ServerSettings(
        db=str(tmp_path / "state.db"),
        port=free_port(),
        admin_token="t" * 32,
        audit_key=base64.b64encode(SEED).decode(),
        audit_interval=0.3,
        audit_publish=str(published),
        provider_configs=[provider_config(root)],
        apps=[CoreDocument("Application", "web", app_spec(repo.path), {}, {}, None, None)],
        local_sources=[str(tmp_path)],
    )
    server = Server.build(settings, cache_dir=tmp_path / "git")
    server.start()
    try:
        wait_for(lambda: (root / "motd").exists())
        checkpoint = wait_for(lambda: published.exists() and json.loads(published.read_text()))
    finally:
        server.stop()
    assert checkpoint["seq"] >= 1 and checkpoint["signature"]

    public = tmp_path / "audit.pub"
    public.write_text(public_key_text(server.audit_key) + "\n")
    ok = kedge("audit", "verify", "--db", str(tmp_path / "state.db"), "--key", str(public), "-o", "json")
    assert ok.exit_code == 0, ok
    assert json.loads(ok.stdout)["ok"] is True

    with sqlite3.connect(tmp_path / "state.db") as conn:
        table = next(
            r[0]
            for r in conn.execute("select name from sqlite_master where type='table'")
            if "audit" in r[0] and "checkpoint" not in r[0]
        )
        trigger_names = [
            r[0]
            for r in conn.execute(
                "select name from sqlite_master where type='trigger' and tbl_name=?", (table,)
            )
        ]
        for name in trigger_names:  # an attacker with the file can drop the guard triggers
            conn.execute(f"drop trigger {name}")
        conn.execute(f"update {table} set actor = 'someone-else' where seq = 1")
    bad = kedge("audit", "verify", "--db", str(tmp_path / "state.db"), "--key", str(public), "-o", "json")
    assert bad.exit_code == 1
    assert json.loads(bad.stdout)["firstBad"] == 1
