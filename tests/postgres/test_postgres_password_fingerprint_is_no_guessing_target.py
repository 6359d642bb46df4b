"""A managed role's COMMENT (readable by every role that can connect) gives nothing to guess
passwords against, and marks written with a salted hash by earlier versions are migrated.

The attack: connect as the managed login role, read the comments of all roles, and test a list
of candidate passwords offline against what the mark holds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import textwrap

import psycopg

from kedge.providers.postgres.names import MARK_PREFIX

PASSWORD = "correct-horse-battery-9"
CANDIDATES = ["123456", "password", PASSWORD, "letmein"]


def manifests(role: str) -> str:
    return textwrap.dedent(f"""
        apiVersion: kedge.dev/v1
        kind: ProviderConfig
        metadata: {{name: default}}
        spec: {{provider: postgres, settings: {{dsn: {{fromEnv: KEDGE_PG_DSN}}}}}}
        ---
        apiVersion: postgres.kedge.dev/v1
        kind: Role
        metadata: {{name: {role}}}
        spec: {{login: true, password: {{fromEnv: APP_PW}}}}
    """)


def read_mark_as(dsn: str, role: str) -> str:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = %s", [role]
        ).fetchone()
    assert row is not None and row[0]
    mark = json.loads(row[0].rpartition("\n")[2].removeprefix(MARK_PREFIX))
    return str(mark["password"])


def offline_guess(stored: str, role: str) -> str | None:
    """What an attacker tries: the salted PBKDF2 scheme, and an HMAC under keys anyone knows."""
    for candidate in CANDIDATES:
        parts = stored.split("$")
        if len(parts) == 4 and parts[0] == "pbkdf2-sha256":
            raw = hashlib.pbkdf2_hmac(
                "sha256", candidate.encode(), base64.urlsafe_b64decode(parts[2]), int(parts[1])
            )
            if base64.urlsafe_b64encode(hashlib.sha256(raw).digest()).decode() == parts[3]:
                return candidate
        for key in (b"", role.encode()):
            mac = hmac.new(key, role.encode() + b"\0" + candidate.encode(), hashlib.sha256).digest()
            if stored.endswith(base64.urlsafe_b64encode(mac).decode()):
                return candidate
    return None


def legacy_digest(password: str) -> str:
    salt = b"0123456789abcdef"
    raw = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 4096)
    value = base64.urlsafe_b64encode(hashlib.sha256(raw).digest()).decode()
    return f"pbkdf2-sha256$4096${base64.urlsafe_b64encode(salt).decode()}${value}"


def test_the_comment_is_no_guessing_target_and_old_marks_are_migrated(
    tmp_path, pg_cluster, pg_name, kedge, kit
):
    role = f"{pg_name}-app"
    app = tmp_path / "app"
    app.mkdir()
    (app / "role.yaml").write_text(manifests(role))
    env = {"KEDGE_PG_DSN": pg_cluster.dsn(), "APP_PW": PASSWORD}

    def run(*args: str):
        return kedge(*args, "--db", str(tmp_path / "state.db"), env=env)

    assert run("apply", str(app), "--auto-approve").exit_code == 0
    as_the_role = pg_cluster.dsn(user=role, password=PASSWORD)
    stored = read_mark_as(as_the_role, role)
    assert offline_guess(stored, role) is None
    assert run("plan", str(app), "--detailed-exitcode").exit_code == 0

    # A mark as an earlier version wrote it: a salted hash anyone can test guesses against.
    old = MARK_PREFIX + json.dumps({"app": "app", "password": legacy_digest(PASSWORD)}, separators=(",", ":"))
    kit.sql(f"COMMENT ON ROLE \"{role}\" IS '{old}'")
    assert offline_guess(read_mark_as(as_the_role, role), role) == PASSWORD
    assert run("plan", str(app), "--detailed-exitcode").exit_code == 2
    assert run("apply", str(app), "--auto-approve").exit_code == 0
    assert offline_guess(read_mark_as(as_the_role, role), role) is None
    assert run("plan", str(app), "--detailed-exitcode").exit_code == 0
