"""GCSBucket: a Cloud Storage bucket with location, storage class, versioning, labels and
lifecycle rules.

Observation is one paginated ``buckets.list`` of the project (its answer holds every field
Kedge manages). A create is one ``buckets.insert`` with the whole spec; an update is one
``buckets.patch`` of the fields that changed, guarded by the bucket's metageneration. Labels
are merged by the service on a patch, so a label that is no longer wanted is sent as null.
Kedge's ownership mark is the label ``kedge-app``; a bucket composed for a claim also carries
``kedge-claim-kind`` and ``kedge-claim`` (the claim's kind and name, as label values allow:
lower case, other characters as ``-``).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from kedge.model import (
    ClaimRef,
    ConfigError,
    ConflictError,
    KindSpec,
    Observation,
    ProviderError,
    ResourceKey,
)
from kedge.model.values import reveal, secret_values
from kedge.providers.base import Existing, FieldChange, Target
from kedge.providers.gcp.errors import gcs_errors, is_conflict, is_not_found
from kedge.providers.steps import Step, Steps, top_fields

API_VERSION = "gcp.kedge.dev/v1"
APP_LABEL = "kedge-app"
CLAIM_KIND_LABEL = "kedge-claim-kind"
CLAIM_LABEL = "kedge-claim"
CLASSES = ["STANDARD", "NEARLINE", "COLDLINE", "ARCHIVE"]
_DATE = {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
CONDITIONS: Mapping[str, Any] = {
    "age": {"type": "integer", "minimum": 0, "description": "Days since the object was created."},
    "createdBefore": {**_DATE, "description": "Objects created before this date (YYYY-MM-DD)."},
    "isLive": {"type": "boolean", "description": "false: only noncurrent versions."},
    "numNewerVersions": {"type": "integer", "minimum": 0},
    "matchesStorageClass": {"type": "array", "items": {"enum": [*CLASSES, "MULTI_REGIONAL", "REGIONAL"]}},
    "matchesPrefix": {"type": "array", "items": {"type": "string"}},
    "matchesSuffix": {"type": "array", "items": {"type": "string"}},
    "daysSinceNoncurrentTime": {"type": "integer", "minimum": 0},
    "noncurrentTimeBefore": _DATE,
    "daysSinceCustomTime": {"type": "integer", "minimum": 0},
    "customTimeBefore": _DATE,
}

SPEC = KindSpec(
    api_version=API_VERSION,
    kind="GCSBucket",
    description=(
        "A Cloud Storage bucket in the ProviderConfig's project. The bucket name is "
        "metadata.name or kedge.dev/external-name. A bucket that holds objects is not deleted: "
        "empty it first, or set kedge.dev/deletion-policy: Orphan."
    ),
    schema={
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "location": {
                "type": "string",
                "default": "US",
                "pattern": "^[A-Za-z0-9-]+$",
                "description": "Region, dual-region or multi-region (US, EU, europe-west1...). "
                "Changing it replaces the bucket.",
            },
            "storageClass": {"enum": CLASSES, "default": "STANDARD", "description": "Default storage class."},
            "versioning": {"type": "boolean", "default": False, "description": "Keep noncurrent versions."},
            "labels": {
                "type": "object",
                "default": {},
                "description": "Labels. Keys: lowercase letter first, then lowercase letters, digits, "
                "_ and -; Kedge adds kedge-app itself, so keys starting with kedge- are reserved.",
                "propertyNames": {"pattern": "^[a-z][a-z0-9_-]{0,62}$", "not": {"pattern": "^kedge-"}},
                "additionalProperties": {"type": "string", "pattern": "^[a-z0-9_-]{0,63}$"},
            },
            "lifecycle": {
                "type": "array",
                "default": [],
                "description": "Lifecycle rules: an action and the conditions that trigger it.",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["action", "condition"],
                    "properties": {
                        "action": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["type"],
                            "properties": {
                                "type": {
                                    "enum": ["Delete", "SetStorageClass", "AbortIncompleteMultipartUpload"]
                                },
                                "storageClass": {"enum": CLASSES, "description": "For SetStorageClass."},
                            },
                        },
                        "condition": {
                            "type": "object",
                            "additionalProperties": False,
                            "minProperties": 1,
                            "properties": CONDITIONS,
                        },
                    },
                },
            },
        },
    },
    outputs={
        "name": "bucket name",
        "url": "gs:// URL of the bucket",
        "location": "location, as GCS spells it",
    },
    replace_on=frozenset({"location"}),
)

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*[a-z0-9]$")


def name_problem(name: str) -> str | None:
    if not 3 <= len(name) <= 222 or any(len(part) > 63 for part in name.split(".")):
        return "must be 3 to 63 characters long (222 with dots, 63 between dots)"
    if not _NAME.match(name):
        return (
            "may hold only lowercase letters, digits, dots, hyphens and underscores, and must "
            "begin and end with a letter or digit"
        )
    if name.startswith("goog") or "google" in name or "g00gle" in name:
        return "must not begin with 'goog' nor contain 'google'"
    try:
        ipaddress.IPv4Address(name)
        return "must not look like an IP address"
    except ValueError:
        return None


def label_value(name: str) -> str:
    """A name as a label value (lowercase letters, digits, _ and -; 63 at most)."""
    return re.sub(r"[^a-z0-9_-]", "-", name.lower())[:63]


def _rules(rules: Any) -> list[dict[str, Any]]:
    """Lifecycle rules as the spec spells them (the service may add fields of its own)."""
    out = []
    for rule in rules or []:
        action = {k: v for k, v in dict(rule.get("action") or {}).items() if k in ("type", "storageClass")}
        condition = {k: v for k, v in dict(rule.get("condition") or {}).items() if k in CONDITIONS}
        out.append({"action": action, "condition": condition})
    return out


class GCSBucket:
    spec = SPEC

    def __init__(self, client: Any, app: str) -> None:
        self.client = client
        self.app = app

    def check(self, target: Target) -> None:
        problem = name_problem(target.external_id)
        if problem:
            raise ConfigError(
                f"{target.key}: invalid bucket name {target.external_id!r}: {problem} "
                "(set metadata.name or kedge.dev/external-name)"
            )
        for i, rule in enumerate(reveal(target.spec.get("lifecycle")) or []):
            action = rule.get("action") or {}
            if (action.get("type") == "SetStorageClass") != ("storageClass" in action):
                raise ConfigError(
                    f"{target.key}: spec.lifecycle[{i}].action: storageClass goes with type "
                    "SetStorageClass, and only with it"
                )

    @contextmanager
    def errors(self, target: Target, operation: str, field: str | None = None) -> Iterator[None]:
        with gcs_errors(f"{target.key}: {operation}", field, secret_values(target.spec)):
            yield

    # -- observe ----------------------------------------------------------------------------
    def observe_many(self, targets: Sequence[Target]) -> dict[ResourceKey, Observation]:
        out = {t.key: Observation.missing() for t in targets}
        valid = [t for t in targets if name_problem(t.external_id) is None]
        if not valid:
            return out
        with gcs_errors("GCSBucket: list"):
            listed = {b.name: dict(b._properties) for b in self.client.list_buckets(timeout=(10, 60))}
        for t in valid:
            found = listed.get(t.external_id)
            if found is not None:
                out[t.key] = self._observation(t, found)
        return out

    def list_existing(self) -> list[Existing]:
        """Every bucket of the project: its name, its ``kedge-app`` mark, where it is and its class."""
        with gcs_errors("GCSBucket: list"):
            listed = [dict(b._properties) for b in self.client.list_buckets(timeout=(10, 60))]
        return [
            Existing(
                SPEC.kind,
                str(r["name"]),
                (r.get("labels") or {}).get(APP_LABEL) or None,
                {"location": r.get("location") or "US", "storageClass": r.get("storageClass") or "STANDARD"},
            )
            for r in sorted(listed, key=lambda r: str(r["name"]))
        ]

    def _observation(self, target: Target, resource: Mapping[str, Any]) -> Observation:
        labels = {k: v for k, v in (resource.get("labels") or {}).items() if v is not None}
        location = str(resource.get("location") or "US")
        wanted = str(reveal(target.spec.get("location")) or "US")
        state = {
            "location": wanted if wanted.upper() == location.upper() else location,
            "storageClass": resource.get("storageClass") or "STANDARD",
            "versioning": bool((resource.get("versioning") or {}).get("enabled", False)),
            "labels": {k: v for k, v in labels.items() if not k.startswith("kedge-")},
            "lifecycle": _rules((resource.get("lifecycle") or {}).get("rule")),
        }
        mark = labels.get(APP_LABEL)
        owner = self.app if mark and mark == label_value(self.app) else mark
        return Observation(True, state, self.outputs(target, location), owner or None)

    def outputs(self, target: Target, location: str | None = None) -> dict[str, Any]:
        where = location or str(reveal(target.spec.get("location")) or "US").upper()
        return {"name": target.external_id, "url": f"gs://{target.external_id}", "location": where}

    # -- changes ----------------------------------------------------------------------------
    def labels(self, target: Target) -> dict[str, str]:
        user = reveal(target.spec.get("labels")) or {}
        marks = {APP_LABEL: label_value(self.app)}
        claim = ClaimRef.of(target.annotations)
        if claim is not None:
            marks.update({CLAIM_KIND_LABEL: label_value(claim.kind), CLAIM_LABEL: label_value(claim.name)})
        return {**{str(k): str(v) for k, v in user.items()}, **marks}

    def create_steps(self, target: Target) -> Steps:
        spec = reveal(dict(target.spec))

        def insert() -> None:
            bucket = self.client.bucket(target.external_id)
            bucket.storage_class = spec.get("storageClass", "STANDARD")
            bucket.versioning_enabled = bool(spec.get("versioning", False))
            bucket.labels = self.labels(target)
            bucket.lifecycle_rules = spec.get("lifecycle") or []
            try:
                created = self.client.create_bucket(
                    bucket, location=spec.get("location", "US"), timeout=(10, 60)
                )
            except Exception as exc:
                if not is_conflict(exc):
                    raise
                self._claim_existing(target)
                return
            # A service that answers without a field it was sent (an emulator that ignores the
            # body of an insert) gets that field patched, so the next plan is clean.
            missing = self._differs(target, created._properties)
            if missing:
                self._patch(created, target, missing)

        steps = Steps()
        steps.add("gcs:InsertBucket", insert)
        return steps

    def _claim_existing(self, target: Target) -> None:
        """A create that finds the name taken: ours after a lost answer or a crash (then brought
        to the spec), or someone else's (a conflict: bucket names are global)."""
        try:
            existing = self.client.get_bucket(target.external_id, timeout=(10, 60))
        except Exception as exc:
            if isinstance(exc, ProviderError) or status_forbidden(exc):
                raise ConflictError(
                    f"{target.key}: the bucket name {target.external_id} is taken by another "
                    "project; choose another name"
                ) from None
            raise
        self._patch(existing, target, {"storageClass", "versioning", "labels", "lifecycle"})

    def _differs(self, target: Target, resource: Mapping[str, Any]) -> set[str]:
        seen = self._observation(target, resource)
        wanted = {**self._defaults(), **reveal(dict(target.spec))}
        fields = {
            f for f in ("storageClass", "versioning", "labels", "lifecycle") if seen.state[f] != wanted[f]
        }
        if seen.owner != self.app:
            fields.add("labels")
        return fields

    @staticmethod
    def _defaults() -> dict[str, Any]:
        return {k: v["default"] for k, v in SPEC.schema["properties"].items() if "default" in v}

    def _patch(self, bucket: Any, target: Target, fields: set[str]) -> None:
        spec = reveal(dict(target.spec))
        if "storageClass" in fields:
            bucket.storage_class = spec.get("storageClass", "STANDARD")
        if "versioning" in fields:
            bucket.versioning_enabled = bool(spec.get("versioning", False))
        if "labels" in fields:
            bucket.labels = self.labels(target)  # removed keys are sent as null: GCS merges labels
        if "lifecycle" in fields:
            bucket.lifecycle_rules = spec.get("lifecycle") or []
        bucket.patch(if_metageneration_match=bucket.metageneration, timeout=(10, 60))

    def update_steps(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Steps:
        fields = top_fields(diff) & {"storageClass", "versioning", "labels", "lifecycle"}
        if observed.owner != self.app:
            fields.add("labels")
        steps = Steps()
        if fields:
            steps.add(
                "gcs:PatchBucket",
                lambda: self._patch(
                    self.client.get_bucket(target.external_id, timeout=(10, 60)), target, fields
                ),
                ",".join(sorted(fields)),
            )
        return steps

    def delete(self, target: Target) -> None:
        with self.errors(target, "DeleteBucket"):
            try:
                self.client.bucket(target.external_id).delete(timeout=(10, 60))
            except Exception as exc:
                if is_not_found(exc):
                    return
                if is_conflict(exc):
                    raise ProviderError(
                        f"{target.key}: bucket {target.external_id} holds objects; empty it first, or "
                        "set kedge.dev/deletion-policy: Orphan to leave it in place"
                    ) from None
                raise

    def wrap(self, target: Target) -> Any:
        def around(step: Step) -> Any:
            return self.errors(target, step.name.split(":", 1)[-1], step.field)

        return around


def status_forbidden(exc: BaseException) -> bool:
    return getattr(exc, "code", None) == 403
