"""The plan's preview of an S3Bucket change lists exactly the calls that apply then makes:
both come from one list of steps, so they cannot disagree."""

from __future__ import annotations

import pytest

from kedge.model import Observation
from tests.aws.helpers import diff, observe, target


def recorded_calls(client):
    seen: list[str] = []
    s3 = client.session.client("s3")
    s3.meta.events.register("before-call.s3", lambda model, **_: seen.append(f"s3:{model.name}"))
    return seen


POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket", "Resource": "arn:aws:s3:::steps-b"}
    ],
}


@pytest.mark.parametrize(
    ("reason", "spec"),
    [
        ("defaults: no versioning call, no policy call", {}),
        ("versioning and a policy", {"versioning": True, "policy": POLICY}),
    ],
)
def test_create_preview_is_what_create_sends(aws, reason, spec):
    client = aws.connect()
    t = target("S3Bucket", "steps-b", spec)
    shown = client.preview(t, Observation.missing(), [])
    seen = recorded_calls(client)
    client.create(t)
    assert shown == seen, reason


def test_update_preview_is_what_update_sends(aws):
    client = aws.connect()
    client.create(target("S3Bucket", "steps-b", {"policy": POLICY, "tags": {"team": "a"}}))
    wanted = target("S3Bucket", "steps-b", {"policy": None, "tags": {"team": "b"}})
    observed = observe(client, wanted)
    changes = diff(wanted, observed)
    shown = client.preview(wanted, observed, changes)
    assert "s3:DeleteBucketPolicy" in shown  # removing a policy is a delete call, not a put
    seen = recorded_calls(client)
    client.update(wanted, observed, changes)
    assert shown == seen
    assert diff(wanted, observe(client, wanted)) == []


def test_adopting_an_unmarked_bucket_previews_the_tagging_call(aws):
    aws.boto("s3").create_bucket(Bucket="steps-b")
    client = aws.connect()
    t = target("S3Bucket", "steps-b", {})
    observed = observe(client, t)
    assert observed.owner is None
    shown = client.preview(t, observed, diff(t, observed))
    assert "s3:PutBucketTagging" in shown
    seen = recorded_calls(client)
    client.update(t, observed, diff(t, observed))
    assert shown == seen
