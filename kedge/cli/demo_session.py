"""A running ``kedge demo``: sample repository, local files, fake cloud, server, terminal.

The terminal is for the person trying Kedge: it shows Kedge's own events (a commit applied, a
drift found and reverted, with times), prints the things to try again on Enter and every few
minutes, and never the fake cloud's access log. The port is checked before anything is built,
and a temporary directory is removed on exit and on Ctrl-C.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kedge.cli import output
from kedge.cli.demo_cloud import check_cloud, start_cloud, stop_cloud, wait_for_cloud

if TYPE_CHECKING:
    from kedge.controller.protocol import StreamEvent

MANIFESTS = {
    "files.yaml": """
        # Local files: edit them here, commit, and Kedge applies the change.
        apiVersion: local.kedge.dev/v1
        kind: Directory
        metadata: {{name: etc}}
        spec: {{path: etc}}
        ---
        apiVersion: local.kedge.dev/v1
        kind: File
        metadata:
          name: motd
          annotations: {{kedge.dev/depends-on: Directory/etc}}
        spec:
          path: etc/motd
          content: "Welcome to the Kedge demo. This file is kept in line with git.\\n"
          mode: "0644"
        ---
        apiVersion: local.kedge.dev/v1
        kind: File
        metadata:
          name: app-config
          annotations: {{kedge.dev/depends-on: Directory/etc}}
        spec:
          path: etc/app.ini
          content: "[server]\\nport = 8080\\nworkers = 4\\n"
          mode: "0640"
    """,
    "cloud.yaml": """
        # The demo cloud: an in-process AWS API (moto) at {endpoint}.
        apiVersion: aws.kedge.dev/v1
        kind: S3Bucket
        metadata:
          name: kedge-demo-assets
          annotations: {{kedge.dev/usage: "storageGB=120,requests=2000000"}}  # priced by `kedge cost`
        spec:
          versioning: true
          tags: {{team: platform, env: demo}}
        ---
        apiVersion: aws.kedge.dev/v1
        kind: SQSQueue
        metadata:
          name: kedge-demo-jobs
          annotations: {{kedge.dev/usage: "requests=5000000"}}
        spec:
          tags: {{team: platform}}
    """,
    "claims.yaml": """
        # A claim: the platform team's ObjectStore (see the server's Definitions) becomes
        # an encrypted bucket, and a second one for logs when size is large.
        apiVersion: platform.example.org/v1
        kind: ObjectStore
        metadata: {{name: kedge-demo-uploads}}
        spec:
          size: large
          versioned: true
    """,
}

# The platform team's side of the demo: the ObjectStore Definition and Composition that
# examples/platform/definitions/object-store.yaml ships, as the server's configuration holds it.
PLATFORM = """
apiVersion: kedge.dev/v1
kind: Definition
metadata: {name: ObjectStore}
spec:
  group: platform.example.org
  description: A private, encrypted bucket for an app's objects.
  schema:
    type: object
    required: [size]
    properties:
      size: {type: string, enum: [small, large]}
      versioned: {type: boolean, default: false}
  outputs:
    arn: "${bucket.outputs.arn}"
---
apiVersion: kedge.dev/v1
kind: Composition
metadata: {name: objectstore-aws, labels: {cloud: aws}}
spec:
  definition: ObjectStore
  resources:
    - id: bucket
      template:
        apiVersion: aws.kedge.dev/v1
        kind: S3Bucket
        metadata: {name: "${claim.metadata.name}-data"}
        spec:
          versioning: "${claim.spec.versioned}"
          encryption: {algorithm: AES256, bucketKey: true}
          tags: {claim: "${claim.metadata.name}"}
    - id: logs
      includeWhen: "claim.spec.size == 'large'"
      template:
        apiVersion: aws.kedge.dev/v1
        kind: S3Bucket
        metadata: {name: "${claim.metadata.name}-logs"}
        spec:
          encryption: {algorithm: AES256}
          tags: {claim: "${claim.metadata.name}", logsFor: "${bucket.metadata.name}"}
"""


def platform_documents() -> list[Any]:
    """The demo platform's Definition and Composition, as core documents."""
    from kedge.manifests import load_text
    from kedge.providers import registry

    loaded = load_text(PLATFORM, registry.kind_spec, file="<demo platform>")
    return [d for d in loaded.core if d.kind in ("Definition", "Composition")]


def make_repo(repo: Path, endpoint: str) -> None:
    import pygit2

    repo.mkdir(parents=True, exist_ok=True)
    git = pygit2.init_repository(str(repo), initial_head="main")
    for name, text in MANIFESTS.items():
        (repo / "app" / name).parent.mkdir(exist_ok=True)
        (repo / "app" / name).write_text(textwrap.dedent(text.format(endpoint=endpoint)).lstrip())
    git.index.add_all()
    git.index.write()
    tree = git.index.write_tree()
    author = pygit2.Signature("Kedge demo", "demo@kedge.invalid")
    git.create_commit("HEAD", author, author, "Demo app: files and a bucket", tree, [])
    git.config["user.name"] = "Kedge demo"
    git.config["user.email"] = "demo@kedge.invalid"


def check_port(port: int) -> None:
    """Fail before anything is built when the port is taken: say so, and what to do."""
    from kedge.model import ConfigError

    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        probe.bind(("127.0.0.1", port))
    except OSError:
        raise ConfigError(
            f"port {port} on 127.0.0.1 is already in use (another kedge demo or serve?): "
            f"stop it, or pick another port with --port"
        ) from None
    finally:
        probe.close()


def quiet_logging() -> None:
    """Only Kedge's warnings and errors, one plain line each; no access log of the fake cloud
    (werkzeug), no botocore notes about where it found credentials."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    level = os.environ.get("KEDGE_LOG_LEVEL", "WARNING").upper()
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for noisy in ("werkzeug", "botocore", "boto3", "urllib3", "moto", "alembic", "uvicorn"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


def describe(event: StreamEvent) -> str | None:
    """One line for the terminal per event that a person watching the demo cares about."""
    data = event.data
    if event.type == "sync":
        revision = str(data.get("revision") or "")[:12]
        trigger = data.get("trigger") or "sync"
        if data.get("ok"):
            if trigger == "drift":
                return None  # "drift reverted" follows and says it better
            return f"[green]applied[/] revision {revision} to app {event.app} ({trigger})"
        return f"[red]sync failed[/] for app {event.app} at {revision}: see {{url}}/apps/{event.app}"
    if event.type == "drift":
        if "reverted" in data:
            return f"[green]drift reverted[/] in app {event.app}: the real world matches git again"
        resource = data.get("resource") or {}
        fields = ", ".join(str(f.get("path")) for f in data.get("fields") or [] if isinstance(f, dict))
        what = f"{resource.get('kind')}/{resource.get('name')}" if resource else event.app
        return f"[yellow]drift found[/] in {what}" + (f" ({fields})" if fields else "")
    return None


def things_to_try(url: str, token: str, repo: Path, root: Path, endpoint: str) -> str:
    return textwrap.dedent(f"""
        [bold green]Kedge demo is running[/] at {url}  (sign in with token [bold]{token}[/])
        Repository: {repo}/app    Files: {root}    Cloud: {endpoint or "off"}

        Three things to try:
          1. Commit a change:  cd {repo} && sed -i 's/workers = 4/workers = 8/' app/files.yaml \\
                               && git commit -qam 'More workers'   -> applied within seconds
          2. Make a manual change behind git's back:
                               echo tampered > {root}/etc/motd
          3. Watch it reverted: cat {root}/etc/motd   (or open {url}/apps/demo and see the drift timeline)
        The ObjectStore claim in app/claims.yaml shows on {url}/apps/demo with the buckets it composed.

        Events appear below as they happen. Press Enter to see this again, Ctrl-C to stop.
    """)


def run(port: int, workdir: Path | None, with_cloud: bool, remind: float) -> None:
    """The whole demo, from the port check to the removal of its temporary directory."""
    check_port(port)
    if with_cloud:
        check_cloud()
    quiet_logging()
    temporary = workdir is None
    base = workdir or Path(tempfile.mkdtemp(prefix="kedge-demo-"))
    stop = threading.Event()
    previous = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGINT, signal.SIGTERM)}
    cloud: subprocess.Popen[bytes] | None = None
    server = None
    try:
        base.mkdir(parents=True, exist_ok=True)
        cloud, endpoint = start_cloud() if with_cloud else (None, "")
        token = os.environ.get("KEDGE_ADMIN_TOKEN") or "kedge_demo_" + secrets.token_urlsafe(12)
        repo, root = base / "repo", base / "files"
        server = _build(base, repo, root, port, token, endpoint, with_cloud)
        events = server.controller.subscribe()  # before start: the first sync is shown too
        if cloud is not None:
            wait_for_cloud(cloud, endpoint)
        server.start()
        url = f"http://127.0.0.1:{port}"
        help_text = things_to_try(url, token, repo, root, endpoint)
        output.out.print(help_text)
        _run(events, stop, lambda: output.out.print(help_text), remind, url)
    finally:
        output.err.print("Stopping...")
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if server is not None:
            server.stop()
        if cloud is not None:
            stop_cloud(cloud)
        if temporary:
            shutil.rmtree(base, ignore_errors=True)
            output.err.print(f"Removed {base}.")


def _build(base: Path, repo: Path, root: Path, port: int, token: str, endpoint: str, with_cloud: bool) -> Any:
    from kedge.cli.server import Server, ServerSettings
    from kedge.manifests import CoreDocument

    root.mkdir(exist_ok=True)
    if not (repo / ".git").exists():
        make_repo(repo, endpoint)
        if not with_cloud:
            (repo / "app" / "cloud.yaml").unlink()
            (repo / "app" / "claims.yaml").unlink()
    configs = [
        CoreDocument(
            "ProviderConfig",
            "default",
            {"provider": "local", "settings": {"root": str(root)}},
            {},
            {},
            None,
            None,
        )
    ]
    if with_cloud:
        configs.append(
            CoreDocument(
                "ProviderConfig",
                "aws",
                {"provider": "aws", "settings": {"region": "us-east-1", "endpointURL": endpoint}},
                {},
                {},
                None,
                None,
            )
        )
    app_spec = {
        "source": {"repoURL": str(repo), "targetRevision": "main", "path": "app", "pollInterval": "2s"},
        "syncPolicy": {"automated": True, "selfHeal": True, "prune": True, "driftInterval": "10s"},
    }
    settings = ServerSettings(
        db=str(base / "state.db"),
        port=port,
        admin_token=token,
        provider_configs=configs,
        apps=[CoreDocument("Application", "demo", app_spec, {}, {}, None, None)],
        local_sources=[str(repo)],  # the demo's own sample repository, and nothing else
        platform=platform_documents() if with_cloud else [],
    )
    return Server.build(settings, cache_dir=base / "git-cache")


def _run(events: Any, stop: threading.Event, show_help: Callable[[], None], remind: float, url: str) -> None:
    """Print events until ``stop``; the things to try again on Enter and every ``remind`` s."""
    import time

    again = threading.Event()

    def read_enter() -> None:
        for _line in sys.stdin:
            again.set()

    def print_events() -> None:
        try:
            while not stop.is_set():
                for event in events.events(timeout=0.5):
                    line = describe(event)
                    if line:
                        stamp = datetime.now().strftime("%H:%M:%S")
                        output.out.print(f"[dim]{stamp}[/] {line.replace('{url}', url)}")
                    if stop.is_set():
                        break
        finally:
            events.close()

    threading.Thread(target=read_enter, name="kedge-demo-stdin", daemon=True).start()
    threading.Thread(target=print_events, name="kedge-demo-events", daemon=True).start()
    reminder = time.monotonic() + remind
    while not stop.wait(0.2):
        if again.is_set() or time.monotonic() >= reminder:
            again.clear()
            reminder = time.monotonic() + remind
            show_help()
