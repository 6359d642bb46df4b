"""``kedge audit``: list, verify (exit 1 naming the first bad entry), export, checkpoint with
publishing, keygen; run in-process on a real SQLite state file."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from kedge.cli import audit as audit_cli
from kedge.cli.main import handle_errors
from kedge.store import Store
from kedge.store.audit_keys import read_private_key

from .tampering import raw_sql

APP = typer.Typer()
audit_cli.register(APP, handle_errors)


class Kedge:
    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.runner = CliRunner()

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
        with pytest.MonkeyPatch.context() as patch:
            patch.chdir(self.cwd)
            patch.delenv("KEDGE_DB", raising=False)
            result = self.runner.invoke(APP, ["audit", *args], env=env, catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def kedge(tmp_path: Path) -> Kedge:
    return Kedge(tmp_path)


@pytest.fixture
def state(tmp_path: Path) -> Iterator[Path]:
    """``.kedge/state.db`` in the working directory, with five entries."""
    path = tmp_path / ".kedge" / "state.db"
    with Store.open(str(path)) as store:
        for n in range(5):
            store.audit(
                "controller",
                "create",
                app="web" if n % 2 else "api",
                resource=f"File/f{n}",
                revision=f"rev{n}",
                diff=[{"path": "content", "before": None, "after": str(n)}],
            )
    yield path


def test_list_shows_newest_first_as_a_table_or_json(kedge: Kedge, state: Path) -> None:
    code, out, _ = kedge("list")
    assert code == 0 and "File/f4" in out and out.index("File/f4") < out.index("File/f0")
    code, out, _ = kedge("list", "--app", "web", "-o", "json")
    assert code == 0
    entries = json.loads(out)
    assert [e["seq"] for e in entries] == [4, 2]
    assert {"seq", "time", "actor", "action", "app", "resource", "revision", "hash", "prevHash"} <= set(
        entries[0]
    )
    everything = {e["seq"]: e for e in json.loads(kedge("list", "-o", "json")[1])}
    assert sorted(everything) == [1, 2, 3, 4, 5]
    assert entries[0]["prevHash"] == everything[3]["hash"]
    assert len(json.loads(kedge("list", "--limit", "2", "-o", "json")[1])) == 2


def test_keygen_checkpoint_publish_and_verify(kedge: Kedge, state: Path, tmp_path: Path) -> None:
    code, out, _ = kedge("keygen", "--output", "audit.pem")
    assert code == 0
    key_file = tmp_path / "audit.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    public = out.strip()
    (tmp_path / "audit.pub").write_text(public + "\n")
    assert read_private_key(key_file) is not None
    assert "PRIVATE" not in out

    code, out, _ = kedge("checkpoint", "--key", "audit.pem", "--publish", "published.jsonl")
    assert code == 0
    signed = json.loads(out)
    assert signed["seq"] == 5 and signed["publicKey"] == public and len(signed["head"]) == 64
    assert json.loads((tmp_path / "published.jsonl").read_text()) == signed

    code, out, _ = kedge("verify", "--key", "audit.pub", "--checkpoint", "published.jsonl")
    assert code == 0 and "5 entries" in out
    code, out, _ = kedge("verify", "--key", "audit.pub", "-o", "json")
    assert code == 0
    report = json.loads(out)
    assert (report["ok"], report["entries"], report["firstBad"], report["checkpoints"]) == (True, 5, None, 1)

    # A key that did not sign the checkpoint: verification fails.
    kedge("keygen", "--output", "other.pem")
    code, _, err = kedge("verify", "--key", "other.pem")
    assert code == 1 and "not signed by any of the given public keys" in err


def test_verify_exits_1_and_names_the_modified_entry(kedge: Kedge, state: Path) -> None:
    with raw_sql(f"sqlite:///{state}") as connection:
        connection.exec_driver_sql("UPDATE audit SET actor = 'mallory' WHERE seq = 3")
    code, _, err = kedge("verify")
    assert code == 1
    assert "entry 3: hash does not match its content (modified?)" in err
    code, out, _ = kedge("verify", "-o", "json")
    assert code == 1 and json.loads(out)["firstBad"] == 3 and json.loads(out)["ok"] is False


def test_export_writes_json_lines_to_a_file_or_stdout(kedge: Kedge, state: Path, tmp_path: Path) -> None:
    code, _, err = kedge("export", "--output", "audit.jsonl")
    assert code == 0 and "exported 5 entries" in err
    lines = (tmp_path / "audit.jsonl").read_text().splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [1, 2, 3, 4, 5]
    code, out, _ = kedge("export")
    assert code == 0 and out.splitlines() == lines


def test_the_database_comes_from_kedge_db_or_db(kedge: Kedge, state: Path, tmp_path: Path) -> None:
    moved = tmp_path / "elsewhere.db"
    state.rename(moved)
    for suffix in ("-wal", "-shm"):
        if state.with_name(state.name + suffix).exists():
            state.with_name(state.name + suffix).rename(moved.with_name(moved.name + suffix))
    code, _, err = kedge("list")
    assert code == 1 and "no state database at .kedge/state.db" in err
    assert not state.exists()  # reading never creates an empty database
    assert kedge("list", "-o", "json", env={"KEDGE_DB": str(moved)})[0] == 0
    code, out, _ = kedge("list", "--db", str(moved), "-o", "json")
    assert code == 0 and len(json.loads(out)) == 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("checkpoint", "--key", "missing.pem"), "cannot read key file missing.pem"),
        (("verify", "--key", "missing.pub"), "cannot read key file missing.pub"),
        (("verify", "--checkpoint", "bad.jsonl"), "bad.jsonl:1: not a published checkpoint"),
    ],
)
def test_bad_arguments_are_clear_errors(
    kedge: Kedge, state: Path, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    (tmp_path / "bad.jsonl").write_text("{not json\n")
    code, _, err = kedge(*args)
    assert code == 1 and message in err and "Traceback" not in err


def test_keygen_never_overwrites_a_key(kedge: Kedge, tmp_path: Path) -> None:
    (tmp_path / "audit.pem").write_text("precious")
    code, _, err = kedge("keygen", "--output", "audit.pem")
    assert code == 1 and "already exists" in err
    assert (tmp_path / "audit.pem").read_text() == "precious"
