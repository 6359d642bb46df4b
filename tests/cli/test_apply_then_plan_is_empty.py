"""The core promise: apply makes the world match; plan then shows nothing; drift is reported and reverted."""

from __future__ import annotations

import json
import os
import sqlite3

from tests.conftest import write

FILES = """
apiVersion: local.kedge.dev/v1
kind: Directory
metadata: {name: conf}
spec: {path: conf}
---
apiVersion: local.kedge.dev/v1
kind: File
metadata:
  name: motd
  annotations: {kedge.dev/depends-on: Directory/conf}
spec:
  path: conf/motd
  content: "hello\\n"
  mode: "0640"
"""


def test_apply_creates_files_and_a_second_plan_is_empty(kedge, local_app) -> None:
    app, root = local_app(FILES)
    result = kedge("apply", app, "--auto-approve")
    assert result.exit_code == 0, result
    assert (root / "conf" / "motd").read_text() == "hello\n"
    assert oct((root / "conf" / "motd").stat().st_mode & 0o777) == "0o640"
    assert "2 succeeded" in result.stdout

    plan = kedge("plan", app, "-o", "json", "--detailed-exitcode")
    assert plan.exit_code == 0, plan
    data = json.loads(plan.stdout)
    assert data["summary"] == {"create": 0, "update": 0, "replace": 0, "delete": 0, "noop": 2}


def test_plan_json_shape_and_detailed_exitcode(kedge, local_app) -> None:
    app, root = local_app(FILES)
    plan = kedge("plan", app, "-o", "json", "--detailed-exitcode")
    assert plan.exit_code == 2, plan
    data = json.loads(plan.stdout)
    assert set(data) == {"changes", "summary", "diagnostics", "cost"}
    change = next(c for c in data["changes"] if c["name"] == "motd")
    assert change["action"] == "create"
    assert change["apiVersion"] == "local.kedge.dev/v1" and change["kind"] == "File"
    assert set(change) >= {"action", "apiVersion", "kind", "name", "diff", "reason"}
    assert data["summary"]["create"] == 2
    assert not (root / "conf").exists(), "plan must not change anything"


def test_out_of_band_edit_is_reported_by_drift_and_reverted_by_apply(kedge, local_app) -> None:
    app, root = local_app(FILES)
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    motd = root / "conf" / "motd"
    motd.write_text("tampered\n")
    os.chmod(motd, 0o666)

    drift = kedge("drift", app, "-o", "json")
    assert drift.exit_code == 2, drift
    report = json.loads(drift.stdout)
    assert report["inSync"] == 1 and report["missing"] == []
    [item] = report["drifted"]
    assert (item["kind"], item["name"]) == ("File", "motd")
    fields = {f["path"]: f for f in item["fields"]}
    assert fields["content"] == {"path": "content", "desired": "hello\n", "actual": "tampered\n"}
    assert fields["mode"]["actual"] == "0666"

    assert kedge("apply", app, "--auto-approve").exit_code == 0
    assert motd.read_text() == "hello\n"
    assert kedge("drift", app).exit_code == 0


def test_deleted_file_is_missing_and_recreated(kedge, local_app) -> None:
    app, root = local_app(FILES)
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    (root / "conf" / "motd").unlink()
    drift = kedge("drift", app, "-o", "json")
    assert drift.exit_code == 2
    assert [m["name"] for m in json.loads(drift.stdout)["missing"]] == ["motd"]
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    assert (root / "conf" / "motd").exists()


def test_apply_without_auto_approve_on_a_pipe_refuses(kedge, local_app) -> None:
    app, root = local_app(FILES)
    result = kedge("apply", app, input="")
    assert result.exit_code == 1
    assert "--auto-approve" in result.stderr
    assert not (root / "conf").exists()


def test_history_is_recorded_in_the_state_store(kedge, local_app) -> None:
    app, _ = local_app(FILES)
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    db = app / ".kedge" / "state.db"
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type='table'")}
    assert tables, "the state store was created beside the manifests"


def test_prune_deletes_what_left_the_source(kedge, local_app) -> None:
    app, root = local_app(
        FILES
        + """
---
apiVersion: local.kedge.dev/v1
kind: File
metadata: {name: extra}
spec: {path: extra.txt, content: x}
---
apiVersion: local.kedge.dev/v1
kind: File
metadata: {name: extra2}
spec: {path: extra2.txt, content: y}
"""
    )
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    write(
        app / "resources.yaml",
        FILES
        + """
---
apiVersion: local.kedge.dev/v1
kind: File
metadata: {name: extra2}
spec: {path: extra2.txt, content: y}
""",
    )
    without = kedge("apply", app, "--auto-approve")
    assert without.exit_code == 0
    assert (root / "extra.txt").exists(), "without --prune nothing is deleted"
    assert "prune" in without.stderr

    pruned = kedge("apply", app, "--auto-approve", "--prune")
    assert pruned.exit_code == 0, pruned
    assert not (root / "extra.txt").exists()
    assert (root / "extra2.txt").exists()


def test_every_applied_change_is_in_the_audit_log(kedge, local_app) -> None:
    app, root = local_app(FILES)
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    (root / "conf" / "motd").write_text("tampered\n")
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    listed = kedge("audit", "list", "--db", str(app / ".kedge" / "state.db"), "-o", "json")
    assert listed.exit_code == 0, listed
    entries = json.loads(listed.stdout)
    actions = [(e["action"], e["resource"]) for e in entries]
    assert ("create", "File/motd") in actions and ("create", "Directory/conf") in actions
    assert ("update", "File/motd") in actions
    verified = kedge("audit", "verify", "--db", str(app / ".kedge" / "state.db"))
    assert verified.exit_code == 0, verified


def test_apply_reads_its_confirmation_from_stdin(kedge, local_app) -> None:
    app, root = local_app(FILES)
    refused = kedge("apply", app, input="no\n")
    assert refused.exit_code == 1 and "cancelled" in refused.stderr
    assert not (root / "conf").exists()
    accepted = kedge("apply", app, input="yes\n")
    assert accepted.exit_code == 0, accepted
    assert (root / "conf" / "motd").read_text() == "hello\n"
