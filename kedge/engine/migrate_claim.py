"""``kedge migrate``'s request: which claim moves where, checked, and the manifest rewritten.

    request = check_request(run, platform, inventory, "ObjectStore/invoices", "objectstore-gcp")
    new_text = rewrite_annotation(old_text, request.claim, "objectstore-gcp")

The rewrite changes the one line that holds ``kedge.dev/composition`` (or its selector), or
adds that annotation, and keeps every other byte of the file: comments, order, quoting. The
result is parsed again and must differ from the original in that annotation only; otherwise
the file is left alone and the user is asked to edit it by hand.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from kedge.compositions.choose import COMPOSITION, SELECTOR, choose
from kedge.compositions.platform import Composition, Definition, Platform
from kedge.engine.migrate_plan import COPY_OBJECTS
from kedge.manifests import ClaimDocument
from kedge.model import ConfigError, Identity, InventoryEntry


@dataclass(frozen=True)
class Request:
    claim: ClaimDocument
    definition: Definition
    current: str | None  # the Composition the claim uses now (None: it names none that exists)
    target: Composition
    resume: bool  # the claim already names the target and its old resources are still owned


def check_request(
    claims: Sequence[ClaimDocument],
    platform: Platform,
    desired: set[Identity],
    inventory: Sequence[InventoryEntry],
    claim_ref: str,
    to: str,
) -> Request:
    """The migration asked for, or a ConfigError that says what is wrong and where."""
    kind, slash, name = claim_ref.partition("/")
    if not slash or not kind or not name:
        raise ConfigError(f"--claim {claim_ref!r}: write the claim as KIND/NAME, e.g. ObjectStore/invoices")
    claim = next((c for c in claims if c.kind == kind and c.name == name), None)
    if claim is None:
        listed = ", ".join(f"{c.kind}/{c.name}" for c in claims) or "none"
        raise ConfigError(f"--claim {claim_ref}: no such claim in the app (claims: {listed})")
    where = f"{claim.file}:{claim.line}"
    definition = platform.definition_for(claim.api_version, claim.kind)
    if definition is None:
        raise ConfigError(f"{where}: {claim.kind} has no Definition; nothing to migrate")
    target = platform.compositions.get(to)
    if target is None:
        listed = ", ".join(c.name for c in platform.compositions_for(claim.kind)) or "none"
        raise ConfigError(f"--to {to}: no Composition {to!r} (Compositions of {claim.kind}: {listed})")
    if target.definition != claim.kind:
        own = ", ".join(c.name for c in platform.compositions_for(claim.kind)) or "none"
        raise ConfigError(
            f"--to {to}: Composition {to} composes {target.definition}, not {claim.kind}; "
            f"choose one of {claim.kind}'s: {own}"
        )
    if definition.migration != COPY_OBJECTS:
        doc = definition.document
        raise ConfigError(
            f"{doc.file}:{doc.line}: Definition {definition.kind} has no spec.migration, so its claims' "
            f"objects would not be copied; the platform team adds `migration: {COPY_OBJECTS}` to allow moves"
        )
    chosen = choose(platform, definition, claim)
    current = chosen.name if isinstance(chosen, Composition) else None
    resume = False
    if current == to:
        resume = any(e.claim == claim.ref and e.identity not in desired for e in inventory)
        if not resume:
            raise ConfigError(f"{where}: {claim.ref} already uses Composition {to}; nothing to migrate")
    return Request(claim, definition, current, target, resume)


_NAMED = re.compile(r"""(kedge\.dev/composition["']?\s*:\s*["']?)([A-Za-z0-9][A-Za-z0-9._-]*)""")
_SELECTED = re.compile(r"""["']?kedge\.dev/composition-selector["']?\s*:\s*("[^"]*"|'[^']*'|[^#,}\s]+)""")


def rewrite_annotation(text: str, claim: ClaimDocument, composition: str) -> str:
    """``text`` (the claim's file) with the claim's ``kedge.dev/composition`` set to ``composition``."""
    lines = text.splitlines(keepends=True)
    at = claim.lines()
    named = at.get(("metadata", "annotations", COMPOSITION))
    selected = at.get(("metadata", "annotations", SELECTOR))
    annotations = at.get(("metadata", "annotations"))
    metadata = at.get(("metadata",))
    new = f"{COMPOSITION}: {composition}"
    if named is not None:
        lines[named - 1] = _NAMED.sub(lambda m: m.group(1) + composition, lines[named - 1], count=1)
    elif selected is not None:
        lines[selected - 1] = _SELECTED.sub(new, lines[selected - 1], count=1)
    elif annotations is not None:
        _insert(lines, annotations, "annotations", new)
    elif metadata is not None:
        _insert(
            lines, metadata, "metadata", f"annotations:\n{{indent}}  {new}", flow=f"annotations: {{{new}}}"
        )
    result = "".join(lines)
    _check(text, result, claim, composition)
    return result


def _insert(lines: list[str], number: int, key: str, entry: str, flow: str | None = None) -> None:
    line = lines[number - 1]
    brace = re.search(rf"{key}\s*:\s*\{{", line)
    if brace is not None:  # flow style: {a: b} gains one entry first
        end = brace.end()
        rest = line[end:].lstrip()
        sep = "" if rest.startswith("}") else ", "
        lines[number - 1] = line[:end] + (flow or entry) + sep + line[end:]
        return
    own = len(line) - len(line.lstrip())
    following = next((ln for ln in lines[number:] if ln.strip() and not ln.lstrip().startswith("#")), "")
    child = len(following) - len(following.lstrip())
    indent = " " * (child if child > own else own + 2)
    newline = "\r\n" if line.endswith("\r\n") else "\n"
    text = indent + entry.replace("{indent}", indent).replace("\n", newline) + newline
    lines.insert(number, text)


def _check(before: str, after: str, claim: ClaimDocument, composition: str) -> None:
    """The rewrite changed that one annotation and nothing else, or the file is left alone."""
    try:
        old = [d for d in yaml.safe_load_all(before)]
        new = [d for d in yaml.safe_load_all(after)]
    except yaml.YAMLError:
        new = []
        old = [None]
    expected = [_with_annotation(d, claim, composition) for d in old]
    if new != expected:
        raise ConfigError(
            f"{claim.file}:{claim.line}: could not rewrite {claim.ref}'s annotation safely; set "
            f"metadata.annotations.{COMPOSITION}: {composition} by hand, commit, and apply"
        )


def _with_annotation(doc: Any, claim: ClaimDocument, composition: str) -> Any:
    if not isinstance(doc, dict) or doc.get("kind") != claim.kind:
        return doc
    metadata = doc.get("metadata")
    if not isinstance(metadata, dict) or metadata.get("name") != claim.name:
        return doc
    annotations = dict(metadata.get("annotations") or {})
    if COMPOSITION not in annotations:  # the selector line became the name
        annotations.pop(SELECTOR, None)
    annotations[COMPOSITION] = composition
    return {**doc, "metadata": {**metadata, "annotations": annotations}}
