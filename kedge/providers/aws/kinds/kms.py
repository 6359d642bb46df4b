"""KMSKey: a customer managed key with its alias, rotation, state, policy and tags.

AWS names keys (a UUID), so a key is found by the id Kedge recorded, by an explicit
``kedge.dev/external-name`` (key id or ARN), by its ``alias`` (one ListAliases call for the
batch), or else by its ownership tags, which CreateKey sets atomically. A key scheduled for
deletion counts as gone; deleting schedules it after ``deletionWindowDays``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from kedge.model import KindSpec, Observation, ProviderError, ResourceKey
from kedge.providers.aws import policy as policies
from kedge.providers.aws import tags as tagging
from kedge.providers.aws.errors import is_code
from kedge.providers.aws.kinds.base import API_VERSION, Handler, top_fields
from kedge.providers.base import Applied, FieldChange, Target

EXTERNAL = "kedge.dev/external-name"
KEY_ID = re.compile(
    r"^(arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/)?[0-9a-f]{8}-[0-9a-f-]{27}$|^mrk-[0-9a-f]{32}$"
)
GONE_STATES = ("PendingDeletion", "PendingReplicaDeletion")

SPEC = KindSpec(
    api_version=API_VERSION,
    kind="KMSKey",
    description="A customer managed KMS key. AWS assigns its id; Kedge finds it by alias or ownership tags.",
    schema={
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "description": {
                "type": "string",
                "default": "",
                "maxLength": 8192,
                "description": "What the key is for.",
            },
            "keyUsage": {
                "enum": ["ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC"],
                "default": "ENCRYPT_DECRYPT",
                "description": "What the key may do (cannot change in place).",
            },
            "keySpec": {
                "type": "string",
                "default": "SYMMETRIC_DEFAULT",
                "description": "SYMMETRIC_DEFAULT, RSA_2048, ECC_NIST_P256, HMAC_256, ...",
            },
            "enabled": {"type": "boolean", "default": True, "description": "false: the key is disabled."},
            "enableKeyRotation": {
                "type": "boolean",
                "default": False,
                "description": "Yearly rotation (symmetric keys only).",
            },
            "alias": {
                "type": "string",
                "pattern": "^alias/[a-zA-Z0-9/_-]+$",
                "description": "alias/NAME pointing at the key.",
            },
            "policy": {
                **policies.POLICY_SCHEMA,
                "description": "Key policy; AWS's default policy when absent.",
            },
            "deletionWindowDays": {
                "type": "integer",
                "minimum": 7,
                "maximum": 30,
                "default": 30,
                "description": "Days between delete and the key's removal.",
            },
            "tags": tagging.TAGS_SCHEMA,
        },
    },
    outputs={"id": "key id", "arn": "ARN of the key", "alias": "alias name, when set"},
    replace_on=frozenset({"keyUsage", "keySpec"}),
)


class KMSKey(Handler):
    spec = SPEC
    aws_named = True

    def _kms(self) -> Any:
        return self.ctx.client("kms")

    def check(self, target: Target) -> None:
        alias = target.spec.get("alias")
        if isinstance(alias, str) and alias.startswith("alias/aws/"):
            raise self.config_error(target, "alias", "alias/aws/ is reserved for AWS managed keys")
        if (
            target.spec.get("enableKeyRotation")
            and target.spec.get("keySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT"
        ):
            raise self.config_error(target, "enableKeyRotation", "only symmetric keys rotate")
        if target.spec.get("policy") is not None:
            found = policies.problems(target.spec["policy"], policies.Place.RESOURCE)
            if found:
                raise self.config_error(target, "policy", "invalid key policy: " + "; ".join(found))

    # -- finding keys ---------------------------------------------------------------------------
    def observe_many(self, targets: Sequence[Target]) -> dict[ResourceKey, Observation]:
        kms = self._kms()
        with self.errors(targets[0], "ListAliases"):
            aliases = [a for page in kms.get_paginator("list_aliases").paginate() for a in page["Aliases"]]
        alias_of: dict[str, list[str]] = {}
        key_of_alias = {a["AliasName"]: a.get("TargetKeyId") for a in aliases}
        for a in aliases:
            if a.get("TargetKeyId"):
                alias_of.setdefault(a["TargetKeyId"], []).append(a["AliasName"])
        ids: dict[ResourceKey, str] = {}
        for t in targets:
            explicit = t.annotations.get(EXTERNAL, "")
            known = (
                explicit
                if KEY_ID.match(explicit)
                else (t.outputs.get("id") or key_of_alias.get(str(t.spec.get("alias"))))
            )
            if known:
                ids[t.key] = str(known).rsplit("/", 1)[-1]
        described = dict(
            zip(
                ids,
                self.ctx.map(
                    lambda k: self._describe(k[0], k[1]), [(t, ids[t.key]) for t in targets if t.key in ids]
                ),
                strict=True,
            )
        )
        live = {k: d for k, d in described.items() if d is not None}
        rest = [t for t in targets if t.key not in live and not KEY_ID.match(t.annotations.get(EXTERNAL, ""))]
        if rest:
            live.update(self._by_tags(rest))
        jobs = [
            (t, live[t.key]["KeyId"], what)
            for t in targets
            if t.key in live
            for what in ("tags", "rotation", *(("policy",) if "policy" in t.spec else ()))
        ]
        reads = self.ctx.map(lambda job: self._read(*job), jobs)
        got: dict[ResourceKey, dict[str, Any]] = {}
        for (t, _, what), value in zip(jobs, reads, strict=True):
            got.setdefault(t.key, {})[what] = value
        out = {t.key: Observation.missing() for t in targets}
        for t in targets:
            if t.key in live:
                out[t.key] = self._observation(
                    t, live[t.key], got[t.key], alias_of.get(live[t.key]["KeyId"], [])
                )
        return out

    def _describe(self, target: Target, key_id: str) -> dict[str, Any] | None:
        with self.errors(target, "DescribeKey"):
            try:
                meta: dict[str, Any] = self._kms().describe_key(KeyId=key_id)["KeyMetadata"]
            except Exception as exc:
                if is_code(exc, ["NotFoundException"]):
                    return None
                raise
        return None if meta.get("KeyState") in GONE_STATES else meta

    def _by_tags(self, targets: Sequence[Target]) -> dict[ResourceKey, dict[str, Any]]:
        """Scan the account's customer keys for Kedge's ownership tags (KMS has no tag filter)."""
        kms = self._kms()
        with self.errors(targets[0], "ListKeys"):
            key_ids = [k["KeyId"] for page in kms.get_paginator("list_keys").paginate() for k in page["Keys"]]
        tag_sets = self.ctx.map(lambda k: self._read(targets[0], k, "tags"), key_ids)
        wanted = {str(t.key): t for t in targets}
        matches: dict[ResourceKey, list[str]] = {}
        for key_id, key_tags in zip(key_ids, tag_sets, strict=True):
            if key_tags.get(tagging.APP_TAG) == self.ctx.app and key_tags.get(tagging.RESOURCE_TAG) in wanted:
                matches.setdefault(wanted[key_tags[tagging.RESOURCE_TAG]].key, []).append(key_id)
        found: dict[ResourceKey, dict[str, Any]] = {}
        for t in targets:
            metas = [m for k in matches.get(t.key, []) if (m := self._describe(t, k)) is not None]
            if len(metas) > 1:
                raise ProviderError(
                    f"{t.key}: several keys carry its ownership tags "
                    f"({', '.join(m['KeyId'] for m in metas)}); schedule the extra ones for deletion"
                )
            if metas:
                found[t.key] = metas[0]
        return found

    def _read(self, target: Target, key_id: str, what: str) -> Any:
        kms = self._kms()
        with self.errors(target, f"read {what}"):
            try:
                if what == "tags":
                    items = [
                        t
                        for page in kms.get_paginator("list_resource_tags").paginate(KeyId=key_id)
                        for t in page.get("Tags", [])
                    ]
                    return tagging.from_list(items, "TagKey", "TagValue")
                if what == "rotation":
                    return bool(kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"])
                return kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]
            except Exception as exc:
                if what == "rotation" and is_code(exc, ["UnsupportedOperationException"]):
                    return False
                if what == "tags" and is_code(exc, ["NotFoundException", "AccessDeniedException"]):
                    return {}  # a key of another account or one we may not read: not ours
                raise

    def _observation(
        self, target: Target, meta: dict[str, Any], read: dict[str, Any], aliases: list[str]
    ) -> Observation:
        desired = self.desired(target)
        wanted_alias = desired.get("alias")
        alias = wanted_alias if wanted_alias in aliases else (sorted(aliases)[0] if aliases else None)
        all_tags: dict[str, str] = read.get("tags", {})
        state: dict[str, Any] = {
            "description": meta.get("Description", ""),
            "keyUsage": meta.get("KeyUsage"),
            "keySpec": meta.get("KeySpec") or meta.get("CustomerMasterKeySpec"),
            "enabled": meta.get("KeyState") == "Enabled",
            "enableKeyRotation": read.get("rotation", False),
            "alias": alias,
            "deletionWindowDays": desired["deletionWindowDays"],  # Kedge's own setting for delete
            "tags": tagging.user_tags(all_tags),
        }
        if "policy" in read:
            state["policy"] = policies.shown(read["policy"], desired.get("policy"))
        return Observation(True, state, self._outputs(meta, alias), tagging.owner_of(all_tags))

    @staticmethod
    def _outputs(meta: dict[str, Any], alias: str | None) -> dict[str, Any]:
        return {"id": meta["KeyId"], "arn": meta["Arn"], "alias": alias or ""}

    # -- changing keys --------------------------------------------------------------------------
    def create(self, target: Target) -> Applied:
        desired, kms = self.desired(target), self._kms()
        args: dict[str, Any] = {
            "Description": desired["description"],
            "KeyUsage": desired["keyUsage"],
            "KeySpec": desired["keySpec"],
            "Tags": tagging.to_list(self.desired_tags(target), "TagKey", "TagValue"),
        }
        if desired.get("policy") is not None:
            args["Policy"] = policies.to_json(desired["policy"])
        with self.errors(target, "CreateKey"):
            meta = kms.create_key(**args)["KeyMetadata"]
        key_id = meta["KeyId"]
        current = {
            "enabled": True,
            "enableKeyRotation": False,
            "alias": None,
            "description": desired["description"],
        }
        self._apply(target, key_id, desired, current)
        return Applied(self._outputs(meta, desired.get("alias")))

    def _apply(self, target: Target, key_id: str, desired: dict[str, Any], current: dict[str, Any]) -> None:
        kms = self._kms()
        if desired["description"] != current.get("description"):
            with self.errors(target, "UpdateKeyDescription", "description"):
                kms.update_key_description(KeyId=key_id, Description=desired["description"])
        if desired["enableKeyRotation"] != current.get("enableKeyRotation"):
            with self.errors(target, "EnableKeyRotation", "enableKeyRotation"):
                (kms.enable_key_rotation if desired["enableKeyRotation"] else kms.disable_key_rotation)(
                    KeyId=key_id
                )
        if desired["enabled"] != current.get("enabled"):
            with self.errors(target, "EnableKey", "enabled"):
                (kms.enable_key if desired["enabled"] else kms.disable_key)(KeyId=key_id)
        alias = desired.get("alias")
        if alias and alias != current.get("alias"):
            with self.errors(target, "CreateAlias", "alias"):
                try:
                    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
                except Exception as exc:
                    if not is_code(exc, ["AlreadyExistsException"]):
                        raise
                    kms.update_alias(AliasName=alias, TargetKeyId=key_id)
        if (
            "policy" in current
            and desired.get("policy") is not None
            and current["policy"] != desired["policy"]
        ):
            with self.errors(target, "PutKeyPolicy", "policy"):
                kms.put_key_policy(
                    KeyId=key_id, PolicyName="default", Policy=policies.to_json(desired["policy"])
                )

    def update(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Applied:
        key_id = str(observed.outputs["id"])
        desired = self.desired(target)
        current = dict(observed.state)
        if "policy" in top_fields(diff):
            current.setdefault("policy", None)
        self._apply(target, key_id, desired, current)
        if self.needs_tags(observed, diff):
            kms = self._kms()
            actual = self._read(target, key_id, "tags")
            delta = tagging.TagDelta.between(actual, self.desired_tags(target))
            with self.errors(target, "TagResource", "tags"):
                if delta.set:
                    kms.tag_resource(KeyId=key_id, Tags=tagging.to_list(delta.set, "TagKey", "TagValue"))
                if delta.remove:
                    kms.untag_resource(KeyId=key_id, TagKeys=delta.remove)
        return Applied(
            {**observed.outputs, "alias": desired.get("alias") or observed.outputs.get("alias", "")}
        )

    def delete(self, target: Target, observed: Observation) -> None:
        kms = self._kms()
        key_id = observed.outputs.get("id") or target.outputs.get("id")
        if not key_id:
            return
        alias = observed.state.get("alias") or target.spec.get("alias")
        with self.errors(target, "ScheduleKeyDeletion"):
            try:
                if alias:
                    kms.delete_alias(AliasName=alias)
            except Exception as exc:
                if not is_code(exc, ["NotFoundException"]):
                    raise
            try:
                kms.schedule_key_deletion(
                    KeyId=key_id, PendingWindowInDays=int(target.spec.get("deletionWindowDays", 30))
                )
            except Exception as exc:
                if not is_code(exc, ["NotFoundException", "KMSInvalidStateException"]):
                    raise

    def calls(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> list[str]:
        if not observed.exists:
            return ["kms:CreateKey"] + (["kms:CreateAlias"] if target.spec.get("alias") else [])
        names = {
            "description": "UpdateKeyDescription",
            "enableKeyRotation": "EnableKeyRotation",
            "enabled": "EnableKey",
            "alias": "CreateAlias",
            "policy": "PutKeyPolicy",
            "tags": "TagResource",
        }
        return sorted({f"kms:{names[f]}" for f in top_fields(diff) if f in names})
