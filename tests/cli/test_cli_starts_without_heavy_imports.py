"""`kedge --help` answers at once: the CLI loads no web server, cloud SDK or fake cloud until a
command needs one. Timing is measured by bench/startup.py; this checks what is imported."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.cli.process import ROOT, env, kedge

HEAVY = ("fastapi", "boto3", "botocore", "moto", "uvicorn", "sqlalchemy", "httpx")


def _loaded(code: str) -> set[str]:
    script = f"import sys, json\n{code}\nprint(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env(), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_importing_the_cli_loads_no_server_sdk_or_fake_cloud() -> None:
    loaded = _loaded("import kedge.cli.main")
    assert not loaded & {"fastapi", "boto3", "moto", "uvicorn"}, loaded & set(HEAVY)


def test_help_and_version_load_none_of_the_heavy_libraries() -> None:
    for argv in (["--help"], ["--version"], ["plan", "--help"], ["app", "--help"]):
        loaded = _loaded(
            "from kedge.cli import main\n"
            f"sys.argv = ['kedge', *{argv!r}]\n"
            "try:\n    main.main()\nexcept SystemExit:\n    pass"
        )
        assert not loaded & set(HEAVY), (argv, loaded & set(HEAVY))


def test_version_prints_the_installed_version() -> None:
    import kedge as package

    result = kedge("--version")
    assert result.exit_code == 0, result
    assert result.stdout.strip() == f"kedge {package.__version__}"


def test_help_shows_defaults_and_no_type_noise() -> None:
    result = kedge("demo", "--help")
    assert result.exit_code == 0, result
    assert "[default: 8080]" in result.stdout
    assert "<bool>" not in result.stdout
    plan = " ".join(kedge("plan", "--help").stdout.split())
    assert "PATH/.kedge/state.db" in plan and "the directory's name" in plan
    assert "<bool>" not in plan
