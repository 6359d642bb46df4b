"""The canary: a unique secret goes through apply, plan, drift, revert and failing applies; then every
output, every log record and every byte Kedge wrote (state database included) is searched for it.

Two canaries travel: one from ``fromEnv`` and one ``encrypted`` with age. Each lands in a local
File (the only place it may be) and in a ``Thing`` of an in-memory provider whose error message
echoes it back, the way a careless API does.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from pathlib import Path

from kedge.engine.encryption import encrypt, parse_recipient
from kedge.model import ProviderError
from kedge.providers import registry
from kedge.providers.fake import FakeProvider
from tests.secrets.secret_support import age_identity

FAKE = FakeProvider(name="canary")
registry.register(FAKE)


def manifests(armor: str) -> str:
    return f"""
apiVersion: local.kedge.dev/v1
kind: File
metadata: {{name: token, labels: {{team: payments}}}}
spec:
  path: token.txt
  content: {{fromEnv: KEDGE_CANARY}}
  mode: "0600"
---
apiVersion: local.kedge.dev/v1
kind: File
metadata: {{name: sealed}}
spec:
  path: sealed.txt
  content: {{encrypted: {json.dumps(armor)}}}
---
apiVersion: kedge.dev/v1
kind: ProviderConfig
metadata: {{name: vault}}
spec: {{provider: canary, settings: {{}}}}
---
apiVersion: canary.kedge.dev/v1
kind: Thing
metadata: {{name: holder}}
spec:
  value: plain
  secret: {{fromEnv: KEDGE_CANARY}}
---
apiVersion: kedge.dev/v1
kind: Policy
metadata: {{name: watch}}
spec:
  rules:
    - name: files-change
      kinds: [File]
      warn: "change.action != 'delete' && change.after.content != ''"
      message: a file changes
"""


def test_canary_values_never_leave_their_files(kedge, local_app, tmp_path, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    canary = f"canary-{uuid.uuid4().hex}"
    sealed = f"sealed-{uuid.uuid4().hex}"
    key, recipient = age_identity(tmp_path)
    app, root = local_app(manifests(encrypt(sealed, [parse_recipient(recipient)])))
    env = {"KEDGE_CANARY": canary, "KEDGE_AGE_IDENTITY_FILE": str(key)}
    outputs: list[str] = []

    def run(*args: str, expect: int) -> str:
        result = kedge(*args, env=env)
        outputs.append(result.output)
        assert result.exit_code == expect, result
        return result.output

    # 1. apply creates the files and the Thing.
    run("apply", app, "--auto-approve", expect=0)
    assert (root / "token.txt").read_text() == canary
    assert (root / "sealed.txt").read_text() == sealed
    assert FAKE.get("Thing", "holder").state["secret"] == canary

    # 2. plans, in both formats, with nothing to do.
    run("plan", app, "-o", "json", expect=0)
    run("plan", app, expect=0)

    # 3. out-of-band edits are drift.
    (root / "token.txt").write_text("edited by hand")
    (root / "sealed.txt").write_text("edited too")
    drift = run("drift", app, "-o", "json", expect=2)
    assert "token" in drift and "(sensitive)" in drift
    run("drift", app, expect=2)
    run("plan", app, "-o", "json", expect=0)

    # 4. apply reverts.
    run("apply", app, "--auto-approve", expect=0)
    assert (root / "token.txt").read_text() == canary

    # 5. a provider whose error message echoes the secret: the apply fails, redacted.
    FAKE.edit("Thing", "holder", value="tampered")
    FAKE.fail("update", "holder", ProviderError(f"server rejected {canary} and {sealed} for holder"))
    failed = run("apply", app, "--auto-approve", expect=1)
    assert "server rejected (sensitive) and" in failed

    # 6. the local provider fails: the file became a directory.
    (root / "token.txt").unlink()
    (root / "token.txt").mkdir()
    run("apply", app, "--auto-approve", expect=1)
    run("drift", app, "-o", "json", expect=1)

    # The search: outputs, log records, and every file outside the managed root.
    assert len(outputs) == 10
    searched = "\n".join(outputs) + "\n".join(r.getMessage() for r in caplog.records)
    for value in (canary, sealed):
        assert value not in searched
    written = [p for p in tmp_path.rglob("*") if p.is_file() and root not in p.parents]
    state = [p for p in written if p.name.startswith("state.db")]
    assert state and b"Thing" in b"".join(p.read_bytes() for p in state), "the state database was searched"
    for path in written:
        data = path.read_bytes()
        for value in (canary, sealed):
            assert value.encode() not in data, f"{value} found in {path}"
    assert not [p for p in Path(os.getcwd()).glob(".kedge/*")], "nothing written outside the app"
