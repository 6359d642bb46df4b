"""``kedge demo``: everything embedded, nothing to install or sign up for.

Creates a sample git repository, starts an AWS API server in-process (moto) as the demo cloud,
declares a local-files ProviderConfig, registers a demo app with automated sync and self-heal,
serves the API and UI on 127.0.0.1:8080, and prints three things to try. Ctrl-C stops it all.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from kedge.cli import output

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
        metadata: {{name: kedge-demo-assets}}
        spec:
          versioning: true
          tags: {{team: platform, env: demo}}
        ---
        apiVersion: aws.kedge.dev/v1
        kind: SQSQueue
        metadata: {{name: kedge-demo-jobs}}
        spec:
          tags: {{team: platform}}
    """,
}


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


def start_cloud() -> tuple[Any, str]:
    from moto.server import ThreadedMotoServer

    for key, value in {
        "AWS_ACCESS_KEY_ID": "demo",
        "AWS_SECRET_ACCESS_KEY": "demo",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        os.environ.setdefault(key, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return server, f"http://{host}:{port}"


def register(app: typer.Typer, handle: Callable[[Any], Any]) -> None:
    @app.command()
    @handle
    def demo(
        port: Annotated[int, typer.Option("--port", help="Port of the API and UI.")] = 8080,
        workdir: Annotated[
            Path | None, typer.Option("--dir", help="Where to put the demo [default: a temp dir]")
        ] = None,
        with_cloud: Annotated[
            bool, typer.Option("--cloud/--no-cloud", help="Include the in-process AWS API.")
        ] = True,
    ) -> None:
        """Run Kedge on an embedded example: sample repo, fake cloud, API and UI."""
        from kedge.cli.server import Server, ServerSettings, configure_logging, wait_for_interrupt
        from kedge.manifests import CoreDocument

        configure_logging()
        base = workdir or Path(tempfile.mkdtemp(prefix="kedge-demo-"))
        base.mkdir(parents=True, exist_ok=True)
        cloud, endpoint = start_cloud() if with_cloud else (None, "")
        repo, root = base / "repo", base / "files"
        root.mkdir(exist_ok=True)
        if not (repo / ".git").exists():
            make_repo(repo, endpoint)
            if not with_cloud:
                (repo / "app" / "cloud.yaml").unlink()
        token = os.environ.get("KEDGE_ADMIN_TOKEN") or "kedge_demo_" + secrets.token_urlsafe(12)
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
        )
        server = Server.build(settings, cache_dir=base / "git-cache")
        server.start()
        url = f"http://127.0.0.1:{port}"
        output.out.print(
            textwrap.dedent(f"""
            [bold green]Kedge demo is running[/] at {url}  (sign in with token [bold]{token}[/])
            Repository: {repo}/app    Files: {root}    Cloud: {endpoint or "off"}

            Three things to try:
              1. Commit a change:  cd {repo} && sed -i 's/workers = 4/workers = 8/' app/files.yaml \\
                                   && git commit -qam 'More workers'   -> applied within seconds
              2. Make a manual change behind git's back:
                                   echo tampered > {root}/etc/motd
              3. Watch it reverted: cat {root}/etc/motd   (or open {url}/apps/demo and see the drift timeline)

            Press Ctrl-C to stop.
        """)
        )
        try:
            wait_for_interrupt()
        finally:
            output.err.print("Stopping...")
            server.stop()
            if cloud is not None:
                cloud.stop()
