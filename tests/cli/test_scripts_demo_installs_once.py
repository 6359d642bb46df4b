"""scripts/demo installs Kedge with its demo extra once, and not again until pyproject.toml
changes: a second start goes straight to `kedge demo`. Run against a stand-in virtualenv that
records what it is asked to do, so the test installs nothing."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.cli.process import ROOT

FAKE_PYTHON = """#!/bin/sh
echo "python $*" >> "$(dirname "$0")/../calls.log"
case "$*" in
  *find_spec*) [ -f "$(dirname "$0")/../moto-installed" ] ;;
  *"pip install"*) touch "$(dirname "$0")/../moto-installed"
    printf '#!/bin/sh\necho "kedge $*" >> "$(dirname "$0")/../calls.log"\n' > "$(dirname "$0")/kedge"
    chmod +x "$(dirname "$0")/kedge" ;;
esac
"""


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "demo", repo / "scripts" / "demo")
    shutil.copy(ROOT / "pyproject.toml", repo / "pyproject.toml")
    bin_dir = repo / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").write_text(FAKE_PYTHON)
    (bin_dir / "python").chmod(0o755)
    return repo


def _start(repo: Path, *args: str) -> list[str]:
    log = repo / ".venv" / "calls.log"
    log.unlink(missing_ok=True)
    done = subprocess.run([repo / "scripts" / "demo", *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return log.read_text().splitlines()


def test_the_second_start_does_not_install_again(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    first = _start(repo, "--port", "9090")
    assert any("pip install" in c and ".[demo]" in c for c in first), first
    second = _start(repo, "--port", "9090")
    assert not any("pip install" in c for c in second), second
    assert second[-1] == "kedge demo --port 9090"

    with (repo / "pyproject.toml").open("a") as fp:
        fp.write("\n# a changed dependency list\n")
    third = _start(repo)
    assert any("pip install" in c for c in third), "a changed pyproject.toml installs again"


def test_a_missing_demo_extra_is_installed_even_with_a_stamp(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    _start(repo)
    (repo / ".venv" / "moto-installed").unlink()  # moto removed by hand since
    again = _start(repo)
    assert any("pip install" in c for c in again), again
