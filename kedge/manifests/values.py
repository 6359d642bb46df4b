"""Resolve the special values a spec may hold: secrets and references to other resources.

    {fromEnv: NAME}                          -> Secret(os value)
    {fromFile: PATH}                         -> Secret(file content, one trailing newline off)
    {encrypted: AGE-ARMOR}                   -> Secret(decrypted), when a decrypter is given
    {fromResource: {kind, name, field}}      -> Reference (filled in by the engine)

A mapping is special only when it has exactly one of these keys and nothing else. Each value
that cannot be resolved becomes a problem at its field path; its place in the result keeps the
mapping as written and is listed in ``holes`` so schema validation skips it. With
``resolve_secrets=False`` secrets stay as written (holes too) and nothing is read.

Messages name the variable or the file, never the value.

``fromFile`` is confined to ``ValueContext.root`` (the app's checkout, or the manifest
directory of a one-shot command): an absolute path, a ``..`` that leaves it, or a symlink that
points out of it is refused before anything is opened, with one message whatever lies outside,
so a manifest cannot read the server's own files nor learn whether a path exists. Only the
server's configuration is read with ``root=None`` (its secrets live outside any app).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kedge.manifests.problems import FieldPath, Problem
from kedge.model import Reference, Secret

Decrypter = Callable[[str], str]

MAX_SECRET_FILE_BYTES = 1024 * 1024
SPECIAL_KEYS = frozenset({"fromEnv", "fromFile", "fromResource", "encrypted"})
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_REFERENCE_FIELDS = ("field", "kind", "name")


@dataclass(frozen=True)
class ValueContext:
    env: Mapping[str, str]
    base_dir: Path  # relative fromFile paths start here (the manifest file's directory)
    decrypt: Decrypter | None = None
    resolve_secrets: bool = True
    root: Path | None = None  # fromFile may read only below it; None: anywhere (server config)


@dataclass
class Resolved:
    value: Any
    problems: list[Problem] = field(default_factory=list)
    holes: list[FieldPath] = field(default_factory=list)  # values schema validation must skip


def special_key(value: Any) -> str | None:
    """The special key of ``{fromEnv: ...}``-style mappings, else None."""
    if value.__class__ is dict and len(value) == 1:
        (key,) = value
        if key in SPECIAL_KEYS:
            return str(key)
    return None


def resolve_values(value: Any, ctx: ValueContext, path: FieldPath = ()) -> Resolved:
    out = Resolved(value)
    out.value = _walk(value, ctx, path, out)
    return out


def _walk(value: Any, ctx: ValueContext, path: FieldPath, out: Resolved) -> Any:
    """``value`` with special mappings replaced; the same object when nothing changed."""
    cls = value.__class__
    if cls is dict:
        key = special_key(value)
        if key is not None:
            return _special(key, value[key], value, ctx, path, out)
        changed = False
        new: dict[str, Any] = {}
        for k, v in value.items():
            r = _walk(v, ctx, (*path, k), out) if v.__class__ in (dict, list) else v
            changed = changed or r is not v
            new[k] = r
        return new if changed else value
    if cls is list:
        items = [_walk(v, ctx, (*path, i), out) for i, v in enumerate(value)]
        return items if any(a is not b for a, b in zip(items, value, strict=True)) else value
    return value


def _special(
    key: str, arg: Any, written: dict[str, Any], ctx: ValueContext, path: FieldPath, out: Resolved
) -> Any:
    """The value that replaces ``{key: arg}``; a hole (the mapping as written) when unresolved."""
    where = (*path, key)
    value: Any = None
    problem: Problem | None = None
    if key == "fromResource":
        value = _reference(arg, where, out)
        out.holes.append(path)  # a reference is validated against its target's output, later
        return written if value is None else value
    if not isinstance(arg, str) or not arg:
        problem = Problem(f"{key} needs a non-empty string", where)
    elif key == "fromEnv" and not _ENV_NAME.match(arg):
        problem = Problem(f"{arg!r} is not a valid environment variable name", where)
    elif not ctx.resolve_secrets:
        pass
    elif key == "fromEnv":
        value, problem = _from_env(arg, ctx, where)
    elif key == "fromFile":
        value, problem = _from_file(arg, ctx, where)
    else:
        value, problem = _decrypt(arg, ctx, where)
    if problem is not None:
        out.problems.append(problem)
    if value is None:
        out.holes.append(path)
        return written
    return value


def _reference(arg: Any, where: FieldPath, out: Resolved) -> Reference | None:
    if not isinstance(arg, dict):
        out.problems.append(Problem("fromResource needs a mapping {kind, name, field}", where))
        return None
    ok = True
    for extra in sorted(set(arg) - set(_REFERENCE_FIELDS)):
        out.problems.append(Problem(f"unknown field {extra!r} (allowed: field, kind, name)", (*where, extra)))
        ok = False
    for name in _REFERENCE_FIELDS:
        if name not in arg:
            out.problems.append(Problem(f"missing required field {name!r}", (*where, name)))
            ok = False
        elif not isinstance(arg[name], str) or not arg[name]:
            out.problems.append(Problem("must be a non-empty string", (*where, name)))
            ok = False
    return Reference(arg["kind"], arg["name"], arg["field"]) if ok else None


def _from_env(name: str, ctx: ValueContext, where: FieldPath) -> tuple[Secret | None, Problem | None]:
    value = ctx.env.get(name)
    if value is None:
        return None, Problem(f"environment variable {name} is not set; set it before running", where)
    return Secret(value, source=f"fromEnv {name}"), None


def _from_file(name: str, ctx: ValueContext, where: FieldPath) -> tuple[Secret | None, Problem | None]:
    path = _confined(name, ctx)
    if path is None:
        return None, Problem(
            f"fromFile: {name!r} is refused: fromFile reads only files inside the app's source "
            "(a relative path, no symlink or '..' out of it); a secret of the server belongs in "
            "the server's configuration",
            where,
        )
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_SECRET_FILE_BYTES + 1)
    except FileNotFoundError:
        shown = "" if ctx.root is not None else f" (looked at {path})"
        return None, Problem(f"fromFile: file {name!r} not found{shown}", where)
    except IsADirectoryError:
        return None, Problem(f"fromFile: {name!r} is a directory, not a file", where)
    except OSError as exc:
        return None, Problem(f"fromFile: cannot read {name!r}: {exc.strerror or type(exc).__name__}", where)
    if len(data) > MAX_SECRET_FILE_BYTES:
        return None, Problem(f"fromFile: {name!r} is larger than 1 MiB", where)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, Problem(f"fromFile: {name!r} is not UTF-8 text", where)
    if text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    return Secret(text, source=f"fromFile {name}"), None


def _confined(name: str, ctx: ValueContext) -> Path | None:
    """The file ``name`` names, or None when it is refused (decided without opening anything)."""
    if ctx.root is None:
        path = Path(os.path.expanduser(name))
        return path if path.is_absolute() else ctx.base_dir / path
    if "\0" in name or os.path.isabs(name) or name.startswith("~"):
        return None
    root = os.path.realpath(ctx.root)
    # realpath follows every symlink on the way (and applies '..' after them, as open would);
    # a target that does not exist is resolved as far as it goes, so existence never matters.
    real = os.path.realpath(os.path.join(ctx.base_dir, name))
    if real != root and not real.startswith(root.rstrip(os.sep) + os.sep):
        return None
    return Path(real)


def _decrypt(armor: str, ctx: ValueContext, where: FieldPath) -> tuple[Secret | None, Problem | None]:
    if ctx.decrypt is None:
        return None, Problem(
            "encrypted value but no age identity: set KEDGE_AGE_IDENTITY_FILE to the identity file "
            "of a recipient it was encrypted for",
            where,
        )
    try:
        clear = ctx.decrypt(armor)
    except Exception as exc:  # any failure of the decrypter is a problem of this value
        # Errors that declare their text free of key and ciphertext material say what is wrong.
        detail = f": {exc}" if getattr(exc, "message_is_safe", False) else "; check the recipient"
        return None, Problem(f"cannot decrypt the value ({type(exc).__name__}){detail}", where)
    return Secret(clear, source="encrypted"), None
