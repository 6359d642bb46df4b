"""An edit of annotations alone (deletion-policy, prevent-destroy, management-policy, adopt) is
a record-only change: the plan shows it, apply records it without touching the object, and a
later prune reads the new annotations. Adopting an object that already matches records it."""

from __future__ import annotations

import json

from tests.conftest import write

FILE = """
apiVersion: local.kedge.dev/v1
kind: File
metadata:
  name: motd
  annotations: ANNOTATIONS
spec: {path: motd, content: "hello\\n"}
"""
OTHER = """
---
apiVersion: local.kedge.dev/v1
kind: File
metadata: {name: other}
spec: {path: other, content: "x"}
---
apiVersion: local.kedge.dev/v1
kind: File
metadata: {name: third}
spec: {path: third, content: "y"}
"""


def test_orphan_added_later_is_honoured_by_prune(kedge, local_app) -> None:
    app, root = local_app(FILE.replace("ANNOTATIONS", "{}") + OTHER)
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    write(app / "resources.yaml", FILE.replace("ANNOTATIONS", "{kedge.dev/deletion-policy: Orphan}") + OTHER)

    plan = kedge("plan", app, "-o", "json", "--detailed-exitcode")
    assert plan.exit_code == 2, plan
    data = json.loads(plan.stdout)
    [change] = [c for c in data["changes"] if c["action"] != "noop"]
    assert (change["action"], change["name"], change["diff"]) == ("record", "motd", [])
    assert data["summary"]["record"] == 1 and data["summary"]["update"] == 0

    before = (root / "motd").stat().st_mtime_ns
    applied = kedge("apply", app, input="")  # nothing in the world changes: nothing to confirm
    assert applied.exit_code == 0, applied
    assert (root / "motd").stat().st_mtime_ns == before
    assert kedge("plan", app, "--detailed-exitcode").exit_code == 0

    write(app / "resources.yaml", OTHER.removeprefix("\n---\n"))
    pruned = kedge("apply", app, "--auto-approve", "--prune")
    assert pruned.exit_code == 0, pruned
    assert (root / "motd").read_text() == "hello\n", "deletion-policy Orphan recorded: left in place"


def test_adopting_a_matching_object_records_ownership(kedge, local_app, tmp_path) -> None:
    adopt = '{kedge.dev/adopt: "true"}'
    app, root = local_app(FILE.replace("ANNOTATIONS", adopt), name="first")
    (root / "motd").write_text("hello\n")
    plan = kedge("plan", app, "-o", "json")
    [change] = json.loads(plan.stdout)["changes"]
    assert change["action"] == "record" and "adopt" in change["reason"]
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    assert kedge("plan", app, "--detailed-exitcode").exit_code == 0

    second = tmp_path / "second"
    write(second / "provider.yaml", (app / "provider.yaml").read_text())
    write(second / "resources.yaml", FILE.replace("ANNOTATIONS", adopt))
    taken = kedge("plan", second, "--db", str(app / ".kedge" / "state.db"))
    assert taken.exit_code == 1
    assert "owned by app 'first'" in taken.stderr
