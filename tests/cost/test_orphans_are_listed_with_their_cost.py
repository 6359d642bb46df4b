"""``kedge orphans``: what exists in a target but no app owns, read-only, with its cost.

Against real targets: a local root, the AWS test server and a throwaway PostgreSQL.
"""

from __future__ import annotations

import json
import socket

import pytest

from tests.conftest import write

FILE = """
apiVersion: local.kedge.dev/v1
kind: File
metadata: {{name: {name}}}
spec: {{path: {path}, content: hi}}
"""


def orphans(kedge, *args: str, code: int = 0) -> dict:
    result = kedge("orphans", *args, "-o", "json")
    assert result.exit_code == code, result
    assert "Traceback" not in result.output
    return json.loads(result.stdout)


def names(report: dict, kind: str) -> set[str]:
    return {o["name"] for o in report["orphans"] if o["kind"] == kind}


def test_local_files_no_app_declares_are_orphans(kedge, local_app) -> None:
    app, root = local_app(FILE.format(name="motd", path="etc/motd"))
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    write(root / "etc" / "stray.conf", "left behind\n")
    write(root / "declared-later.txt", "x")
    (app / "more.yaml").write_text(FILE.format(name="later", path="declared-later.txt"))

    report = orphans(kedge, app)
    assert names(report, "File") == {"etc/stray.conf"}
    (stray,) = report["orphans"]
    assert stray["provider"] == "local" and stray["monthly"] is None
    assert stray["reason"] == "no app declares it"
    assert (root / "etc" / "stray.conf").read_text() == "left behind\n", "orphans only reads"

    text = kedge("orphans", app)
    assert text.exit_code == 0 and "File/etc/stray.conf" in text.stdout and "Orphans: 1" in text.stdout


def test_the_server_configuration_names_the_targets(kedge, tmp_path) -> None:
    root = tmp_path / "files"
    write(root / "a.txt", "a")
    config = write(
        tmp_path / "kedge.yaml",
        f"""
        apiVersion: kedge.dev/v1
        kind: ServerConfig
        metadata: {{name: server}}
        spec: {{db: {tmp_path / "state.db"}}}
        ---
        apiVersion: kedge.dev/v1
        kind: ProviderConfig
        metadata: {{name: files}}
        spec:
          provider: local
          settings: {{root: {root}}}
        """,
    )
    report = orphans(kedge, "--config", config)
    assert [(o["providerConfig"], o["kind"], o["name"]) for o in report["orphans"]] == [("files", "File", "a.txt")]


def test_a_path_or_a_configuration_is_needed(kedge, tmp_path) -> None:
    result = kedge("orphans")
    assert result.exit_code == 1
    assert "give a manifest directory or --config FILE" in result.stderr
    missing = kedge("orphans", "--config", tmp_path / "nope.yaml")
    assert missing.exit_code == 1 and "nope.yaml: no such configuration file" in missing.stderr


PROVIDER = """
apiVersion: kedge.dev/v1
kind: ProviderConfig
metadata: {{name: default}}
spec:
  provider: aws
  settings: {{region: us-east-1, endpointURL: "{endpoint}"}}
"""


def test_aws_objects_without_kedge_tags_are_orphans(kedge, tmp_path, aws) -> None:
    app = tmp_path / "shop"
    write(app / "provider.yaml", PROVIDER.format(endpoint=aws.endpoint))
    write(
        app / "resources.yaml",
        """
        apiVersion: aws.kedge.dev/v1
        kind: S3Bucket
        metadata: {name: orphan-test-owned}
        spec: {}
        ---
        apiVersion: aws.kedge.dev/v1
        kind: SQSQueue
        metadata: {name: owned-queue}
        spec: {}
        ---
        apiVersion: aws.kedge.dev/v1
        kind: Route53Zone
        metadata: {name: owned.example.org}
        spec: {}
        """,
    )
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    aws.boto("s3").create_bucket(Bucket="orphan-test-stray")
    aws.boto("sqs").create_queue(QueueName="stray-queue")
    aws.boto("sns").create_topic(Name="stray-topic")
    stray_key = aws.boto("kms").create_key(Description="left behind")["KeyMetadata"]["KeyId"]
    aws.boto("route53").create_hosted_zone(Name="stray.example.org", CallerReference="by-hand")
    other = aws.boto("s3")
    other.create_bucket(Bucket="other-app-bucket")
    other.put_bucket_tagging(
        Bucket="other-app-bucket", Tagging={"TagSet": [{"Key": "kedge.dev/app", "Value": "billing"}]}
    )

    report = orphans(kedge, app)
    assert names(report, "S3Bucket") == {"orphan-test-stray"}
    assert names(report, "SQSQueue") == {"stray-queue"}
    assert names(report, "SNSTopic") == {"stray-topic"}
    bucket = next(o for o in report["orphans"] if o["name"] == "orphan-test-stray")
    assert bucket["provider"] == "aws" and bucket["monthly"] == 0
    assert "kedge.dev/app" in bucket["reason"]
    key = next(o for o in report["orphans"] if o["kind"] == "KMSKey")
    assert key["name"] == stray_key and key["monthly"] == 1.0, "a key costs its monthly fee"
    assert names(report, "Route53Zone") == {"stray.example.org"}, "the app's own zone is tagged"
    zone = next(o for o in report["orphans"] if o["kind"] == "Route53Zone")
    assert zone["monthly"] == 0.5
    assert report["total"] == 1.5
    assert report["errors"] == []


def test_an_unreachable_target_is_an_error_never_an_empty_list(kedge, tmp_path, aws) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    app = tmp_path / "shop"
    write(app / "provider.yaml", PROVIDER.format(endpoint=f"http://127.0.0.1:{closed}"))
    write(app / "resources.yaml", "apiVersion: aws.kedge.dev/v1\nkind: S3Bucket\nmetadata: {name: x-bucket}\nspec: {}\n")
    result = kedge("orphans", app, "-o", "json", env={"AWS_MAX_ATTEMPTS": "1"})
    assert result.exit_code == 1, result
    report = json.loads(result.stdout)
    assert report["orphans"] == []
    assert {e["kind"] for e in report["errors"]} >= {"S3Bucket", "SQSQueue"}
    assert "cannot list default (aws) S3Bucket" in result.stderr


@pytest.mark.postgres
def test_postgres_objects_without_the_kedge_mark_are_orphans(kedge, tmp_path, pg_cluster, pg_admin, pg_name) -> None:
    app = tmp_path / "db"
    write(
        app / "provider.yaml",
        f"""
        apiVersion: kedge.dev/v1
        kind: ProviderConfig
        metadata: {{name: default}}
        spec:
          provider: postgres
          settings: {{dsn: "{pg_cluster.dsn()}"}}
        """,
    )
    write(
        app / "roles.yaml",
        f"""
        apiVersion: postgres.kedge.dev/v1
        kind: Role
        metadata: {{name: {pg_name}_owned}}
        spec: {{login: false}}
        """,
    )
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    pg_admin.autocommit = True
    pg_admin.execute(f"CREATE ROLE {pg_name}_stray")
    pg_admin.execute(f"CREATE SCHEMA {pg_name}_stray_schema")

    report = orphans(kedge, app)
    roles = names(report, "Role")
    assert f"{pg_name}_stray" in roles and f"{pg_name}_owned" not in roles
    assert not any(r.startswith("pg_") for r in roles) and "postgres" not in roles
    assert f"{pg_name}_stray_schema" in names(report, "Schema")
    assert not names(report, "Schema") & {"public", "information_schema", "pg_catalog"}
    assert not names(report, "Database") & {"postgres", "template0", "template1"}
    assert all("COMMENT" in o["reason"] for o in report["orphans"])
