"""Ansible as the peer in the PostgreSQL converge benchmark.

Ansible lives in its own throwaway virtualenv under ``~/.cache/kedge-bench/ansible-venv`` (made
with ``python -m venv`` and ``pip install ansible psycopg2-binary`` on first use), never in the
project's environment. The playbook declares what the Kedge targets of the benchmark declare:
roles with the same attributes and comment (``community.postgresql.postgresql_user``) and
``CONNECT`` on the database (``community.postgresql.postgresql_privs``, type ``database``), one
loop per task, as a team would write it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VENV = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "kedge-bench" / "ansible-venv"
PACKAGES = ["ansible", "psycopg2-binary"]

# What Kedge's Role with {login: true} and defaults creates: the attributes of its CREATE ROLE
# and the ownership comment it sets (see the statements the benchmark hands to psql).
ROLE_FLAGS = "LOGIN,NOSUPERUSER,NOCREATEDB,NOCREATEROLE,INHERIT"


def role_comment(app: str) -> str:
    return f'kedge.dev/owner {{"app":"{app}"}}'


def ensure_venv() -> Path:
    """The ``ansible-playbook`` of the cache venv; creates the venv the first time."""
    playbook = VENV / "bin" / "ansible-playbook"
    if playbook.exists():
        return playbook
    print(f"installing {' '.join(PACKAGES)} into {VENV} (first use)", file=sys.stderr)
    VENV.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
    subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", *PACKAGES], check=True)
    return playbook


def versions() -> str:
    """``ansible-core X, community.postgresql Y`` as installed in the cache venv."""
    core = subprocess.run(
        [str(VENV / "bin" / "python"), "-c", "import ansible.release as r; print(r.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    listing = subprocess.run(
        [
            str(VENV / "bin" / "ansible-galaxy"),
            "collection",
            "list",
            "community.postgresql",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
        env=_env(),
    ).stdout
    collection = "?"
    try:
        for found in json.loads(listing).values():
            collection = found.get("community.postgresql", {}).get("version", collection)
    except ValueError:
        pass
    return f"ansible-core {core}, community.postgresql {collection}"


def playbook(login: dict[str, object], database: str, names: list[str]) -> str:
    """The playbook (JSON is YAML) creating ``names`` as roles, each with CONNECT on ``database``."""
    task_login = {**login, "login_db": "postgres"}
    play = {
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "vars": {"ansible_python_interpreter": str(VENV / "bin" / "python")},
        "tasks": [
            {
                "name": "roles",
                "community.postgresql.postgresql_user": {
                    **task_login,
                    "name": "{{ item }}",
                    "role_attr_flags": ROLE_FLAGS,
                    "conn_limit": -1,
                    "comment": role_comment("bench"),
                },
                "loop": names,
            },
            {
                "name": "grants",
                "community.postgresql.postgresql_privs": {
                    **task_login,
                    "type": "database",
                    "objs": database,
                    "privs": "CONNECT",
                    "roles": "{{ item }}",
                },
                "loop": names,
            },
        ],
    }
    return json.dumps([play], indent=1)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("VIRTUAL_ENV", None)
    env.update(
        ANSIBLE_LOCALHOST_WARNING="False",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="False",
        # Generous to the peer: no temp-file copy per module call.
        ANSIBLE_PIPELINING="True",
    )
    return env


def run_playbook(text: str) -> float:
    """Wall time of ``ansible-playbook`` (process start included, as a user meets it)."""
    exe = ensure_venv()
    with tempfile.TemporaryDirectory(prefix="kedge-bench-ansible-") as work:
        path = Path(work) / "playbook.yml"
        path.write_text(text)
        env = {**_env(), "ANSIBLE_LOCAL_TEMP": str(Path(work) / "tmp")}
        start = time.perf_counter()
        result = subprocess.run(
            [str(exe), "-i", "localhost,", str(path)], capture_output=True, text=True, env=env
        )
        elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"ansible-playbook failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return elapsed
