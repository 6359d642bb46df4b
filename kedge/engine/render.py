"""Render an app: load its manifests, expand its claims, bind each resource to a ProviderConfig,
order the graph.

Rendering never touches the outside world beyond reading the manifests and the secrets they
reference. Its result carries every diagnostic found; the caller stops on errors.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from kedge.engine.encryption import decrypter_from_env
from kedge.engine.files import attach_files
from kedge.manifests import ClaimDocument, CoreDocument, Decrypter, Expander, Graph, LoadResult, load_path
from kedge.model import ConfigError, Diagnostic, Resource
from kedge.model.diagnostics import has_errors
from kedge.model.values import reveal
from kedge.providers import registry

PC_ANNOTATION = "kedge.dev/provider-config"


@dataclass(frozen=True)
class BoundConfig:
    """A ProviderConfig ready to connect: provider name, config name, resolved settings."""

    provider: str
    name: str
    settings: Mapping[str, Any]


@dataclass
class Rendered:
    root: Path
    resources: list[Resource]
    configs: dict[str, BoundConfig]  # by ProviderConfig name
    graph: Graph | None
    diagnostics: list[Diagnostic]
    core: list[CoreDocument] = field(default_factory=list)
    revision: str = ""  # the source revision these manifests came from, when known
    claims: list[ClaimDocument] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)

    def config_for(self, resource: Resource) -> BoundConfig:
        return self.configs[resource.provider_config]


def render(
    path: Path,
    extra_configs: Sequence[CoreDocument] = (),
    env: Mapping[str, str] | None = None,
    decrypt: Decrypter | None = None,
    *,
    checkout: bool = False,
    expand: Expander | None = None,
) -> Rendered:
    """``decrypt`` defaults to the age identity named by ``KEDGE_AGE_IDENTITY_FILE`` in ``env``.

    A relative path in a ProviderConfig's settings (local ``root``) is relative to the manifest
    file that declares it; in a ``checkout`` (a temporary git working tree) it is refused.
    ``expand`` turns claims into composed resources (see ``kedge.engine.platform.expander``);
    without it, claims are unknown kinds."""
    if not path.exists():
        raise ConfigError(f"{path}: no such file or directory")
    if decrypt is None:
        decrypt = decrypter_from_env(os.environ if env is None else env)
    loaded: LoadResult = load_path(path, registry.kind_spec, env=env, decrypt=decrypt, expand=expand)
    diagnostics = list(loaded.diagnostics)
    own = [
        _anchor_paths(doc, loaded.root, checkout, diagnostics) for doc in loaded.provider_configs().values()
    ]
    configs = _bind_configs([*extra_configs, *own], diagnostics)
    resources = [_bind_resource(r, configs, diagnostics) for r in loaded.resources]
    resources = attach_files(resources, loaded.root, diagnostics)
    _provider_checks(resources, diagnostics)
    graph = loaded.graph if not has_errors(diagnostics) else None
    return Rendered(loaded.root, resources, configs, graph, diagnostics, loaded.core, claims=loaded.claims)


def bind_configs(docs: Sequence[CoreDocument], diagnostics: list[Diagnostic]) -> dict[str, BoundConfig]:
    """ProviderConfig documents (from a server's configuration) ready to connect."""
    return _bind_configs(docs, diagnostics)


def anchor_settings(doc: CoreDocument, base: Path) -> tuple[CoreDocument, list[str]]:
    """``doc`` with the provider's relative path settings (``Provider.path_settings``) made
    absolute against ``base``; also the names of the settings that were relative."""
    name = str(doc.spec.get("provider", ""))
    if name not in registry.names():
        return doc, []
    settings = dict(doc.spec.get("settings") or {})
    relative = [
        f
        for f in getattr(registry.get(name), "path_settings", ())
        if isinstance(settings.get(f), str) and settings[f] and not os.path.isabs(settings[f])
    ]
    if not relative:
        return doc, []
    for f in relative:
        settings[f] = os.path.normpath(base / settings[f])
    return dataclasses.replace(doc, spec={**doc.spec, "settings": settings}), relative


def _anchor_paths(
    doc: CoreDocument, root: Path, checkout: bool, diagnostics: list[Diagnostic]
) -> CoreDocument:
    base = (root / doc.file).parent if doc.file else root
    anchored, relative = anchor_settings(doc, base)
    if checkout:
        for f in relative:
            diagnostics.append(
                Diagnostic.error(
                    f"ProviderConfig/{doc.name}: a relative {f} is refused in a git source (the "
                    "checkout is temporary): write an absolute path, or declare this ProviderConfig "
                    "in the server's configuration",
                    file=doc.file,
                    line=doc.line,
                    path=f"spec.settings.{f}",
                )
            )
        return doc
    return anchored


def _provider_checks(resources: Sequence[Resource], diagnostics: list[Diagnostic]) -> None:
    """What a provider can refuse from the spec alone (``Provider.check``: a File path that
    leaves its root), found at validation with the manifest's file and line."""
    for r in resources:
        if r.key.provider not in registry.names():
            continue
        check = getattr(registry.get(r.key.provider), "check", None)
        if check is None:
            continue
        for problem in check(r.key.kind, reveal(r.spec)):
            diagnostics.append(
                dataclasses.replace(problem, message=f"{r.key}: {problem.message}", file=r.file, line=r.line)
            )


def _bind_configs(docs: Sequence[CoreDocument], diagnostics: list[Diagnostic]) -> dict[str, BoundConfig]:
    out: dict[str, BoundConfig] = {}
    for doc in docs:
        provider_name = str(doc.spec.get("provider", ""))
        if provider_name not in registry.names():
            known = ", ".join(registry.names())
            diagnostics.append(
                Diagnostic.error(
                    f"ProviderConfig/{doc.name}: unknown provider {provider_name!r} (installed: {known})",
                    file=doc.file,
                    line=doc.line,
                    path="spec.provider",
                )
            )
            continue
        settings = dict(doc.spec.get("settings") or {})
        schema = registry.get(provider_name).settings_schema
        validator = jsonschema.Draft202012Validator(schema)
        for err in sorted(validator.iter_errors(reveal(settings)), key=lambda e: list(e.path)):
            where = ".".join(str(p) for p in ["spec", "settings", *err.path])
            diagnostics.append(
                Diagnostic.error(
                    f"ProviderConfig/{doc.name}: {_schema_message(err)}",
                    file=doc.file,
                    line=doc.line,
                    path=where,
                )
            )
        out[doc.name] = BoundConfig(provider_name, doc.name, settings)
    return out


def _schema_message(err: jsonschema.ValidationError) -> str:
    # Never quote the instance: settings may hold secrets.
    if err.validator == "required":
        return str(err.message).split(" is a required")[0] + " is required"
    if err.validator == "additionalProperties":
        return "unknown setting (" + str(err.message).split("(")[-1]
    return f"does not match the schema ({err.validator})"


def _bind_resource(
    r: Resource, configs: Mapping[str, BoundConfig], diagnostics: list[Diagnostic]
) -> Resource:
    """Pick the ProviderConfig: the annotated one, else ``default``, else the only one for the provider."""
    provider = r.key.provider
    explicit = r.annotations.get(PC_ANNOTATION)
    if explicit:
        config = configs.get(explicit)
        if config is None or config.provider != provider:
            diagnostics.append(
                Diagnostic.error(
                    f"{r.key}: no ProviderConfig {explicit!r} for provider {provider!r}; declare one "
                    f"(apiVersion: kedge.dev/v1, kind: ProviderConfig, spec.provider: {provider})",
                    file=r.file,
                    line=r.line,
                    path=f"metadata.annotations.{PC_ANNOTATION}",
                )
            )
        return r
    default = configs.get("default")
    if default is not None and default.provider == provider:
        return r  # "default" is what a resource without the annotation uses already
    candidates = [c.name for c in configs.values() if c.provider == provider]
    if len(candidates) == 1:
        return _with_config(r, candidates[0])
    hint = "several match: name one with kedge.dev/provider-config" if candidates else "declare one"
    diagnostics.append(
        Diagnostic.error(
            f"{r.key}: no ProviderConfig for provider {provider!r} ({hint}: apiVersion: kedge.dev/v1, "
            f"kind: ProviderConfig, spec.provider: {provider})",
            file=r.file,
            line=r.line,
        )
    )
    return r


def _with_config(r: Resource, name: str) -> Resource:
    return dataclasses.replace(r, annotations={**r.annotations, PC_ANNOTATION: name})
