"""Files a spec names by path (a stack's ``templateFile``), read at render time.

A kind lists such fields in ``KindSpec.file_fields``; the path is relative to the manifest
that names it. The file must stay inside the source: the git work tree around the manifests
(a repository checkout, or a one-shot directory inside a repository), else the manifest
directory itself. A template written in YAML has to live outside the app's manifest path,
where it is not read as a manifest; JSON may live anywhere inside. Symlinks that leave the
source, missing files and files over the manifest size limit are errors naming the field.
The text goes into the spec field the kind names; the provider parses it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from kedge.manifests import MAX_FILE_BYTES
from kedge.model import Diagnostic, Resource
from kedge.providers import registry


def source_boundary(root: Path) -> Path:
    """The directory files may be read from: the enclosing git work tree, else ``root``."""
    for candidate in (root, *root.parents):
        if (candidate / ".git").exists():
            return candidate
    return root


def attach_files(resources: Sequence[Resource], root: Path, diagnostics: list[Diagnostic]) -> list[Resource]:
    out: list[Resource] = []
    boundary: Path | None = None
    for r in resources:
        spec = registry.kind_spec(r.key.api_version, r.key.kind)
        declared = spec.file_fields if spec else {}
        fields = {k: v for k, v in declared.items() if isinstance(r.spec.get(k), str)}
        if not fields:
            out.append(r)
            continue
        boundary = boundary or source_boundary(root.resolve())
        added: dict[str, str] = {}
        for name, into in fields.items():
            text, problem = _read(str(r.spec[name]), root, r, boundary)
            if problem:
                diagnostics.append(Diagnostic.error(f"{r.key}: {problem}", r.file, r.line, f"spec.{name}"))
            else:
                added[into] = text
        out.append(dataclasses.replace(r, spec={**r.spec, **added}) if added else r)
    return out


def _read(name: str, root: Path, r: Resource, boundary: Path) -> tuple[str, str]:
    manifest_dir = (root / (r.file or "")).parent if r.file else root
    path = (manifest_dir / name).resolve()
    if not path.is_relative_to(boundary):
        return "", f"{name} is outside the source ({boundary}); keep templates in the repository"
    if path.suffix.lower() not in (".json", ".yaml", ".yml", ".template"):
        return "", f"{name}: a template file is .json, .yaml or .yml"
    if path.suffix.lower() in (".yaml", ".yml") and path.is_relative_to(root.resolve()):
        return "", (
            f"{name} is a YAML file inside the app's manifest path, where it would be read as a "
            "manifest; move it outside the app's path or write it as JSON"
        )
    if not path.is_file():
        return "", f"{name} not found (looked at {path})"
    if path.stat().st_size > MAX_FILE_BYTES:
        return "", f"{name} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB"
    try:
        return path.read_text(encoding="utf-8"), ""
    except (OSError, UnicodeDecodeError) as exc:
        return "", f"cannot read {name}: {exc}"
