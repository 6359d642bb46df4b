"""What a provider declares about each kind it serves.

The planner reads this (which fields force a replacement, which are sensitive, which spec field
is the real-world identity) without importing any provider.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class KindSpec:
    api_version: str  # "local.kedge.dev/v1"
    kind: str  # "File"
    schema: Mapping[str, Any]  # JSON Schema of ``spec``
    description: str = ""
    outputs: Mapping[str, str] = field(default_factory=dict)  # output -> what it is
    sensitive: frozenset[str] = frozenset()  # spec paths whose values are redacted
    replace_on: frozenset[str] = frozenset()  # spec paths whose change forces a replace
    # A spec field that names the real-world object (File.path). None: the external name is
    # ``kedge.dev/external-name`` or ``metadata.name``.
    identity_field: str | None = None
    # Spec fields that name another resource of the same provider by its real name
    # (Grant.role -> Role): field -> kind. A plain string (or a list of strings) that matches a
    # resource of that kind in the same app orders the two, as a ``fromResource`` would; a name
    # that matches nothing in the app refers to an object outside it and adds no edge.
    # A field may name one of several kinds (Grant.objects: tables, or roles for ``on: role``).
    name_refs: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)
    # Spec fields that name a file relative to the manifest declaring them (a stack's
    # ``templateFile``) -> the spec field that render fills with the file's text.
    file_fields: Mapping[str, str] = field(default_factory=dict)

    @property
    def group(self) -> str:
        return self.api_version.split("/", 1)[0]

    @property
    def provider(self) -> str:
        return self.group.split(".", 1)[0]
