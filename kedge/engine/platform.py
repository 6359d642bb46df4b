"""Where an app's Definitions and Compositions come from, beyond its own manifests.

    documents = load_platform([Path("platform/")])      # --platform DIR, for one-shot commands
    functions = installed_functions()                   # the kedge.functions entry point group

A platform directory holds Definitions and Compositions only (and may be split over files).
Composition functions are Python callables that the platform team installs as a package; they
are never loaded from git. A function that fails to import is left out, with a warning in the
log, and a Composition naming it gets a clear error.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import lru_cache
from importlib.metadata import entry_points
from pathlib import Path

from kedge.compositions import PLATFORM_KINDS, ClaimExpander, Function
from kedge.manifests import CoreDocument, load_path
from kedge.model import ConfigError, Diagnostic
from kedge.model.diagnostics import has_errors
from kedge.providers import registry

FUNCTIONS_GROUP = "kedge.functions"
log = logging.getLogger(__name__)


def load_platform(directories: Sequence[Path]) -> list[CoreDocument]:
    """The Definitions and Compositions under ``directories``; ConfigError with every problem."""
    documents: list[CoreDocument] = []
    diagnostics: list[Diagnostic] = []
    for directory in directories:
        if not directory.exists():
            raise ConfigError(f"--platform {directory}: no such file or directory")
        loaded = load_path(directory, registry.kind_spec, resolve_secrets=False)
        diagnostics.extend(loaded.diagnostics)
        for doc in loaded.core:
            if doc.kind in PLATFORM_KINDS:
                documents.append(doc)
            else:
                diagnostics.append(_not_platform(doc.kind, doc.file, doc.line, directory))
        for resource in loaded.resources:
            diagnostics.append(_not_platform(resource.key.kind, resource.file, resource.line, directory))
    if has_errors(diagnostics):
        raise ConfigError("the platform directories have errors; nothing was done", diagnostics=diagnostics)
    return documents


def _not_platform(kind: str, file: str | None, line: int | None, directory: Path) -> Diagnostic:
    return Diagnostic.error(
        f"{kind}: a platform directory ({directory}) holds only Definitions and Compositions; "
        "move it to the app's manifests",
        file,
        line,
    )


@lru_cache(maxsize=1)
def installed_functions() -> dict[str, Function]:
    functions: dict[str, Function] = {}
    for entry in entry_points(group=FUNCTIONS_GROUP):
        try:
            functions[entry.name] = entry.load()
        except Exception as err:  # a broken plug-in must not stop every app
            log.warning(
                "composition function %s could not be loaded: %s: %s", entry.name, type(err).__name__, err
            )
    return functions


def expander(platform: Sequence[CoreDocument] = (), *, allow_declared: bool = True) -> ClaimExpander:
    return ClaimExpander(platform, allow_declared=allow_declared, functions=installed_functions())
