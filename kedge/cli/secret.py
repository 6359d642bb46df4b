"""``kedge secret keygen`` and ``kedge secret encrypt``: values encrypted in git with age.

    kedge secret keygen --output server.key          # prints the recipient (age1...)
    printf %s "$PASSWORD" | kedge secret encrypt --recipient age1...
    {encrypted: "-----BEGIN AGE ENCRYPTED FILE-----\\n...\\n-----END AGE ENCRYPTED FILE-----\\n"}

The printed mapping is ready to paste as a spec value. The server (``kedge serve``, or
``kedge plan``/``apply``) decrypts it in memory with the identity file named by
``KEDGE_AGE_IDENTITY_FILE``. Nothing here ever prints a clear value or an identity.
"""


import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from kedge.cli import output

MAX_VALUE_BYTES = 1024 * 1024


def register(app: typer.Typer, handle: Callable[[Any], Any]) -> None:
    group = typer.Typer(
        help="Encrypt values for manifests with age; create the server's identity.",
        no_args_is_help=True,
    )
    app.add_typer(group, name="secret")

    @group.command("encrypt")
    @handle
    def encrypt_command(
        recipient: Annotated[
            list[str],
            typer.Option(
                "--recipient",
                "-r",
                help="age public key (age1...) of the server that will decrypt; repeat for several.",
            ),
        ],
    ) -> None:
        """Encrypt the value read on stdin; print {encrypted: "..."} to paste into a manifest."""
        from kedge.engine.encryption import encrypt, parse_recipient

        recipients = [parse_recipient(r) for r in recipient]
        value = _read_value()
        armor = encrypt(value, recipients)
        # A JSON string is a valid YAML double-quoted scalar: one line, newlines escaped.
        sys.stdout.write(f"{{encrypted: {json.dumps(armor)}}}\n")

    @group.command("keygen")
    @handle
    def keygen(
        path: Annotated[
            Path, typer.Option("--output", "-o", help="Where to write the identity (mode 0600).")
        ],
        force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    ) -> None:
        """Create an age identity for the server and print its recipient (the public key)."""
        from kedge.engine.encryption import IDENTITY_ENV, generate

        identity, public = generate()
        _write_private(path, f"# public key: {public}\n{identity}\n", force)
        where = output.escape(str(path))
        output.err.print(f"Wrote the identity to {where}; give the server {IDENTITY_ENV}={where}.")
        sys.stdout.write(public + "\n")


def _read_value() -> str:
    from kedge.model import ConfigError

    if sys.stdin.isatty():
        value = str(typer.prompt("Value to encrypt", hide_input=True, prompt_suffix=": "))
    else:
        stream = getattr(sys.stdin, "buffer", None)
        data = stream.read(MAX_VALUE_BYTES + 1) if stream else sys.stdin.read(MAX_VALUE_BYTES + 1).encode()
        if len(data) > MAX_VALUE_BYTES:
            raise ConfigError("the value on stdin is larger than 1 MiB")
        try:
            value = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ConfigError("the value on stdin is not UTF-8 text") from None
        # `echo value | kedge secret encrypt` adds a newline that is not part of the value.
        value = value.removesuffix("\n").removesuffix("\r")
    if not value:
        raise ConfigError('no value on stdin: pipe it in, e.g. printf %s "$VALUE" | kedge secret encrypt')
    return value


def _write_private(path: Path, text: str, force: bool) -> None:
    """Create ``path`` with mode 0600 from the start: the key is never readable by others."""
    from kedge.model import ConfigError

    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise ConfigError(f"{path} exists; pass --force to overwrite it") from None
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or type(exc).__name__}") from None
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode("ascii"))
    finally:
        os.close(fd)
