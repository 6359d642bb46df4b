"""S3Bucket: a general purpose bucket with versioning, default encryption, public access block,
bucket policy and tags.

Observation lists the account's buckets in the region once (ListBuckets filtered by region),
then reads the five settings of each existing bucket as separate calls on the thread pool (S3
has no batch read). The bucket name is the
external name; it is checked against S3's naming rules before any call, and the bucket policy
against the IAM grammar (restricted to this bucket's ARN).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from typing import Any

from kedge.model import ConflictError, KindSpec, Observation, ProviderError, ResourceKey
from kedge.providers.aws import policy as policies
from kedge.providers.aws import tags as tagging
from kedge.providers.aws.errors import is_code
from kedge.providers.aws.kinds.base import API_VERSION, Handler, top_fields
from kedge.providers.base import Applied, FieldChange, Target
from kedge.providers.steps import Steps

PAB_FIELDS = {
    "blockPublicAcls": "BlockPublicAcls",
    "ignorePublicAcls": "IgnorePublicAcls",
    "blockPublicPolicy": "BlockPublicPolicy",
    "restrictPublicBuckets": "RestrictPublicBuckets",
}
DEFAULT_ENCRYPTION = {"algorithm": "AES256", "bucketKey": False}

SPEC = KindSpec(
    api_version=API_VERSION,
    kind="S3Bucket",
    description="An S3 bucket. The bucket name is metadata.name or kedge.dev/external-name.",
    schema={
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "region": {
                "type": "string",
                "description": "Region of the bucket; must be the ProviderConfig's region "
                "(use one ProviderConfig per region).",
            },
            "versioning": {"type": "boolean", "default": False, "description": "Keep object versions."},
            "encryption": {
                "type": "object",
                "additionalProperties": False,
                "description": "Default encryption. AWS encrypts with AES256 when nothing is set.",
                "default": dict(DEFAULT_ENCRYPTION),
                "properties": {
                    "algorithm": {
                        "enum": ["AES256", "aws:kms", "aws:kms:dsse"],
                        "default": "AES256",
                        "description": "SSE-S3 (AES256) or SSE-KMS.",
                    },
                    "kmsKeyId": {"type": "string", "description": "KMS key id or ARN (aws:kms only)."},
                    "bucketKey": {"type": "boolean", "default": False, "description": "S3 Bucket Key."},
                },
            },
            "publicAccessBlock": {
                "type": "object",
                "additionalProperties": False,
                "description": "Public access block; all four are on by default, as AWS does.",
                "default": dict.fromkeys(PAB_FIELDS, True),
                "properties": {
                    name: {"type": "boolean", "default": True, "description": f"S3 {aws}."}
                    for name, aws in PAB_FIELDS.items()
                },
            },
            "policy": {
                **policies.POLICY_SCHEMA,
                "type": ["object", "string", "null"],
                "default": None,
                "description": "Bucket policy (IAM grammar); null: no policy.",
            },
            "forceDestroy": {
                "type": "boolean",
                "default": False,
                "description": "On delete, remove every object version first.",
            },
            "tags": tagging.TAGS_SCHEMA,
        },
    },
    outputs={
        "arn": "ARN of the bucket",
        "name": "bucket name",
        "region": "region of the bucket",
        "domainName": "regional domain name",
    },
    replace_on=frozenset({"region"}),
)

NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
BAD_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
BAD_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def bucket_name_problem(name: str) -> str | None:
    if not 3 <= len(name) <= 63:
        return "must be 3 to 63 characters long"
    if not NAME.match(name):
        return (
            "may hold only lowercase letters, digits, dots and hyphens, and must begin and end "
            "with a letter or digit"
        )
    if ".." in name or ".-" in name or "-." in name:
        return "must not contain two adjacent periods or a period next to a hyphen"
    try:
        ipaddress.IPv4Address(name)
        return "must not look like an IP address"
    except ValueError:
        pass
    if name.startswith(BAD_PREFIXES) or name.endswith(BAD_SUFFIXES):
        return "uses a prefix or suffix that S3 reserves"
    return None


class S3Bucket(Handler):
    spec = SPEC
    READS = ("tags", "versioning", "encryption", "pab", "policy")

    def _s3(self) -> Any:
        return self.ctx.client("s3")

    def _outputs(self, name: str, region: str) -> dict[str, Any]:
        return {
            "arn": f"arn:aws:s3:::{name}",
            "name": name,
            "region": region,
            "domainName": f"{name}.s3.{region}.amazonaws.com",
        }

    def check(self, target: Target) -> None:
        problem = bucket_name_problem(target.external_id)
        if problem:
            raise self.config_error(
                target,
                None,
                f"invalid bucket name {target.external_id!r}: {problem} "
                "(set metadata.name or kedge.dev/external-name)",
            )
        region = target.spec.get("region")
        if region and region != self.ctx.region:
            raise self.config_error(
                target,
                "region",
                f"{region} differs from the ProviderConfig's region "
                f"{self.ctx.region}; use a ProviderConfig for {region}",
            )
        document = target.spec.get("policy")
        if document is not None:
            found = policies.problems(document, policies.Place.RESOURCE, f"arn:aws:s3:::{target.external_id}")
            if found:
                raise self.config_error(target, "policy", "invalid bucket policy: " + "; ".join(found))

    # -- observe --------------------------------------------------------------------------
    def observe_many(self, targets: Sequence[Target]) -> dict[ResourceKey, Observation]:
        out = {t.key: Observation.missing() for t in targets}
        valid = [t for t in targets if bucket_name_problem(t.external_id) is None]
        if not valid:
            return out
        here = self._list(valid[0], self.ctx.region)
        elsewhere = [t for t in valid if t.external_id not in here]
        if elsewhere:  # a bucket of ours in another region must not look missing
            everywhere = self._list(valid[0], None)
            for t in elsewhere:
                if t.external_id in everywhere:
                    region = everywhere[t.external_id] or self._location(t)
                    raise self._region_error(t, region)
        present = [t for t in valid if t.external_id in here]
        jobs = [(t, what) for t in present for what in self.READS]
        results = self.ctx.map(lambda job: self._read(*job), jobs)
        reads: dict[ResourceKey, dict[str, Any]] = {}
        for (t, what), value in zip(jobs, results, strict=True):
            reads.setdefault(t.key, {})[what] = value
        for t in present:
            out[t.key] = self._observation(t, reads[t.key])
        return out

    def _list(self, target: Target, region: str | None) -> dict[str, str | None]:
        """Bucket name -> region (when AWS says it) of the account's buckets, in ``region`` only
        when given: one paginated call instead of one location call per bucket."""
        args = {"BucketRegion": region} if region else {}
        with self.errors(target, "ListBuckets"):
            pages = self._s3().get_paginator("list_buckets").paginate(**args)
            return {
                b["Name"]: b.get("BucketRegion") or region for page in pages for b in page.get("Buckets", [])
            }

    def _location(self, target: Target) -> str:
        with self.errors(target, "GetBucketLocation"):
            answer = self._s3().get_bucket_location(Bucket=target.external_id)
        region = answer.get("LocationConstraint") or "us-east-1"
        return "eu-west-1" if region == "EU" else str(region)

    def _region_error(self, target: Target, region: str) -> Exception:
        return self.config_error(
            target,
            "region",
            f"bucket {target.external_id} exists in {region}, not in the ProviderConfig's "
            f"region {self.ctx.region}; use a ProviderConfig for {region}",
        )

    def _read(self, target: Target, what: str) -> Any:
        s3, bucket = self._s3(), target.external_id
        with self.errors(target, f"read {what}"):
            try:
                if what == "tags":
                    return tagging.from_list(s3.get_bucket_tagging(Bucket=bucket).get("TagSet"))
                if what == "versioning":
                    return s3.get_bucket_versioning(Bucket=bucket).get("Status") == "Enabled"
                if what == "encryption":
                    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"][
                        "Rules"
                    ]
                    return rules[0] if rules else None
                if what == "pab":
                    return s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
                return s3.get_bucket_policy(Bucket=bucket)["Policy"]
            except Exception as exc:
                absent = {
                    "tags": "NoSuchTagSet",
                    "encryption": "ServerSideEncryptionConfigurationNotFoundError",
                    "pab": "NoSuchPublicAccessBlockConfiguration",
                    "policy": "NoSuchBucketPolicy",
                }
                if what in absent and is_code(exc, [absent[what]]):
                    return None
                raise

    def _observation(self, target: Target, read: dict[str, Any]) -> Observation:
        region = self.ctx.region
        desired = self.desired(target)
        all_tags: dict[str, str] = read["tags"] or {}
        state: dict[str, Any] = {
            "region": region,
            "versioning": read["versioning"],
            "encryption": self._encryption_state(read["encryption"], desired.get("encryption")),
            "publicAccessBlock": {k: bool((read["pab"] or {}).get(v, False)) for k, v in PAB_FIELDS.items()},
            "policy": policies.shown(read["policy"], desired.get("policy")),
            "forceDestroy": desired.get("forceDestroy", False),  # Kedge's own switch, not in AWS
            "tags": tagging.user_tags(all_tags),
        }
        return Observation(True, state, self._outputs(target.external_id, region), tagging.owner_of(all_tags))

    @staticmethod
    def _encryption_state(rule: Any, desired: Any) -> dict[str, Any]:
        if not rule:
            return dict(DEFAULT_ENCRYPTION)
        default = rule.get("ApplyServerSideEncryptionByDefault", {})
        state: dict[str, Any] = {
            "algorithm": default.get("SSEAlgorithm", "AES256"),
            "bucketKey": bool(rule.get("BucketKeyEnabled", False)),
        }
        key = default.get("KMSMasterKeyID")
        if key:
            wanted = (desired or {}).get("kmsKeyId")
            # AWS may return the ARN of a key given by id: show the user's form when they agree
            state["kmsKeyId"] = wanted if wanted and key.endswith(str(wanted)) else key
        return state

    # -- create / update / delete ---------------------------------------------------------
    # One list of steps per change: ``calls`` (the plan) shows the names of the very steps that
    # ``create`` and ``update`` run.
    CONFIGURED = ("tags", "publicAccessBlock", "encryption", "versioning", "policy")

    def create(self, target: Target) -> Applied:
        self.run(target, self._create_steps(target))
        return Applied(self._outputs(target.external_id, self.ctx.region))

    def update(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Applied:
        self.run(target, self._update_steps(target, observed, diff))
        return Applied(self._outputs(target.external_id, self.ctx.region))

    def calls(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> list[str]:
        if not observed.exists:
            return self._create_steps(target).names()
        return self._update_steps(target, observed, diff).names()

    def _create_steps(self, target: Target) -> Steps:
        steps = Steps()
        steps.add("s3:CreateBucket", lambda: self._create_bucket(target))
        self._configure(steps, target, self.desired(target), set(self.CONFIGURED), creating=True)
        return steps

    def _update_steps(self, target: Target, observed: Observation, diff: Sequence[FieldChange]) -> Steps:
        fields = top_fields(diff)
        if self.needs_tags(observed, diff):
            fields.add("tags")
        steps = Steps()
        self._configure(steps, target, self.desired(target), fields, creating=False)
        return steps

    def _create_bucket(self, target: Target) -> None:
        bucket = target.external_id
        config: dict[str, Any] = {"Tags": tagging.to_list(self.desired_tags(target))}
        if self.ctx.region != "us-east-1":
            config["LocationConstraint"] = self.ctx.region
        try:
            self._s3().create_bucket(Bucket=bucket, CreateBucketConfiguration=config)
        except Exception as exc:
            if is_code(exc, ["BucketAlreadyExists"]):
                raise ConflictError(
                    f"{target.key}: the bucket name {bucket} is taken by another "
                    "AWS account; choose another name"
                ) from None
            if not is_code(exc, ["BucketAlreadyOwnedByYou"]):
                raise

    def _configure(
        self, steps: Steps, target: Target, desired: dict[str, Any], fields: set[str], creating: bool
    ) -> None:
        """One call per field, in an order that keeps the bucket closed while it is configured:
        the public access block before the policy it guards."""
        s3, bucket = self._s3(), target.external_id
        if "tags" in fields:
            tag_set = {"TagSet": tagging.to_list(self.desired_tags(target))}
            steps.add(
                "s3:PutBucketTagging", lambda: s3.put_bucket_tagging(Bucket=bucket, Tagging=tag_set), "tags"
            )
        if "publicAccessBlock" in fields:
            pab = desired["publicAccessBlock"]
            block = {v: bool(pab[k]) for k, v in PAB_FIELDS.items()}
            steps.add(
                "s3:PutPublicAccessBlock",
                lambda: s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=block),
                "publicAccessBlock",
            )
        if "encryption" in fields:
            enc = desired["encryption"]
            default: dict[str, Any] = {"SSEAlgorithm": enc["algorithm"]}
            if enc.get("kmsKeyId"):
                default["KMSMasterKeyID"] = enc["kmsKeyId"]
            rule = {"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": bool(enc["bucketKey"])}
            steps.add(
                "s3:PutBucketEncryption",
                lambda: s3.put_bucket_encryption(
                    Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [rule]}
                ),
                "encryption",
            )
        if "versioning" in fields and (desired["versioning"] or not creating):
            status = {"Status": "Enabled" if desired["versioning"] else "Suspended"}
            steps.add(
                "s3:PutBucketVersioning",
                lambda: s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration=status),
                "versioning",
            )
        if "policy" in fields:
            document = desired.get("policy")
            if document is not None:
                text = policies.to_json(document)
                steps.add(
                    "s3:PutBucketPolicy", lambda: s3.put_bucket_policy(Bucket=bucket, Policy=text), "policy"
                )
            elif not creating:
                steps.add("s3:DeleteBucketPolicy", lambda: s3.delete_bucket_policy(Bucket=bucket), "policy")

    def delete(self, target: Target, observed: Observation) -> None:
        s3, bucket = self._s3(), target.external_id
        if target.spec.get("forceDestroy"):
            self._empty(target)
        with self.errors(target, "DeleteBucket"):
            try:
                s3.delete_bucket(Bucket=bucket)
            except Exception as exc:
                if is_code(exc, ["NoSuchBucket"]):
                    return
                if is_code(exc, ["BucketNotEmpty"]):
                    raise ProviderError(
                        f"{target.key}: bucket {bucket} is not empty; empty it or set spec.forceDestroy: true"
                    ) from None
                raise

    def _empty(self, target: Target) -> None:
        s3, bucket = self._s3(), target.external_id
        with self.errors(target, "empty bucket"):
            for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
                objects = [
                    {"Key": v["Key"], "VersionId": v["VersionId"]}
                    for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
                ]
                if objects:
                    s3.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
