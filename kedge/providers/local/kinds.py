"""What the local provider serves: the ``File`` and ``Directory`` kinds and the settings schema.

Also the small rules about ``mode`` shared by observe and apply: how a mode string is read
(``"644"``, ``"0644"`` and ``"4755"`` are all octal) and how an observed mode is spelled so that
it compares equal with the manifest when the bits are the same.

Not for: touching the filesystem.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kedge.model import ConfigError, Diagnostic, KindSpec

API_VERSION = "local.kedge.dev/v1"
FILE = "File"
DIRECTORY = "Directory"
DEFAULT_MODES = {FILE: "0644", DIRECTORY: "0755"}
_MODE_PATTERN = "^0?[0-7]{3,4}$"
_MODE_RE = re.compile("0?[0-7]{3,4}")
_MODES: dict[str, int] = {}  # parsed modes: a handful of distinct strings, read thousands of times

_PATH_DESCRIPTION = (
    "Path relative to the ProviderConfig's root, with '/' between components. Absolute paths, "
    "'..', '.', empty components, NUL bytes and symbolic links anywhere below the root are "
    "refused. Parent directories are created (mode 0755) as needed."
)


def _mode_schema(default: str) -> dict[str, Any]:
    return {
        "type": "string",
        "pattern": _MODE_PATTERN,
        "default": default,
        "description": f"Permission bits as an octal string, e.g. {default!r}. A change is an update.",
    }


FILE_SPEC = KindSpec(
    api_version=API_VERSION,
    kind=FILE,
    description=(
        "A regular file under the root. Written atomically: a temporary file in the same "
        "directory gets the content and the mode, then replaces the old file, so no reader ever "
        "sees a partial file. The content may be a secret ({fromEnv: NAME} or {fromFile: PATH}); "
        "it is then never shown in plans, drift reports or errors."
    ),
    schema={
        "type": "object",
        "properties": {
            "path": {"type": "string", "minLength": 1, "description": _PATH_DESCRIPTION},
            "content": {
                "type": "string",
                "default": "",
                "description": "The whole content of the file, as UTF-8 text. A change is an update.",
            },
            "mode": _mode_schema(DEFAULT_MODES[FILE]),
        },
        "required": ["path"],
        "additionalProperties": False,
    },
    outputs={"path": "absolute path of the file", "sha256": "hex digest of the content"},
    identity_field="path",
)

DIRECTORY_SPEC = KindSpec(
    api_version=API_VERSION,
    kind=DIRECTORY,
    description=(
        "A directory under the root. Deleting it removes it only when it is empty: remove its "
        "files from the app first, or set kedge.dev/deletion-policy: Orphan."
    ),
    schema={
        "type": "object",
        "properties": {
            "path": {"type": "string", "minLength": 1, "description": _PATH_DESCRIPTION},
            "mode": _mode_schema(DEFAULT_MODES[DIRECTORY]),
        },
        "required": ["path"],
        "additionalProperties": False,
    },
    outputs={"path": "absolute path of the directory"},
    identity_field="path",
)

KINDS: Mapping[str, KindSpec] = {FILE: FILE_SPEC, DIRECTORY: DIRECTORY_SPEC}

SETTINGS_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "root": {
            "type": "string",
            "minLength": 1,
            "description": (
                "Directory that every path is relative to. Created on the first write when it is "
                "missing. A relative root is relative to the manifest file that declares the "
                "ProviderConfig (refused in a git source, whose checkout is temporary)."
            ),
        },
        "fsync": {
            "type": "boolean",
            "default": False,
            "description": (
                "Flush each written file and its directory to disk before reporting success. "
                "Off by default: the write is atomic either way (no reader sees a torn file), "
                "but without fsync a power cut may lose the last writes."
            ),
        },
    },
    "required": ["root"],
    "additionalProperties": False,
}


def parse_mode(value: Any, kind: str) -> int:
    """The permission bits of a ``mode`` field (the kind's default when absent)."""
    if value is None:
        value = DEFAULT_MODES[kind]
    if type(value) is str and value in _MODES:
        return _MODES[value]
    if not isinstance(value, str) or not _MODE_RE.fullmatch(value):
        message = f"{value!r} is not an octal mode such as {DEFAULT_MODES[kind]!r}"
        raise ConfigError(f"spec.mode: {message}", [Diagnostic.error(message, path="spec.mode")])
    bits = _MODES[value] = int(value, 8)
    return bits


def format_mode(bits: int, desired: Any = None) -> str:
    """Spell observed ``bits`` as the manifest did when they are equal, else as ``"0644"``."""
    if isinstance(desired, str):
        try:
            if int(desired, 8) == bits:
                return desired
        except ValueError:
            pass
    return f"{bits:04o}"
