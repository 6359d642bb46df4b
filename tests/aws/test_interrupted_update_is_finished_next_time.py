"""A timeout in the middle of a multi-call update leaves a temporary error; the next
reconcile sees what is still different and finishes the job."""

from __future__ import annotations

import pytest

from kedge.model import TemporaryError
from tests.aws.helpers import converge, diff, observe, target


def test_bucket_update_cut_off_after_the_first_calls(aws, fault_proxy):
    client = aws.connect(endpointURL=fault_proxy.url, readTimeout=0.5, maxAttempts=2)
    t, _ = converge(client, target("S3Bucket", "shop-assets", {"versioning": True, "tags": {"team": "a"}}))
    s3 = aws.boto("s3")
    s3.put_bucket_versioning(Bucket="shop-assets", VersioningConfiguration={"Status": "Suspended"})
    s3.put_bucket_tagging(Bucket="shop-assets", Tagging={"TagSet": []})
    s3.delete_public_access_block(Bucket="shop-assets")

    hang = fault_proxy.add(r"^s3:.* PUT /shop-assets\?versioning", action="hang", delay=1.0)
    observed = observe(client, t)
    assert {c.path for c in diff(t, observed)} == {"versioning", "tags", "publicAccessBlock"}
    with pytest.raises(
        TemporaryError, match=r"S3Bucket/shop-assets: PutBucketVersioning \(spec.versioning\)"
    ):
        client.update(t, observed, diff(t, observed))
    assert hang.hits == 2  # every attempt timed out

    halfway = observe(client, t)
    assert {c.path for c in diff(t, halfway)} == {"versioning"}  # tags and access block were done

    fault_proxy.clear()
    client.update(t, halfway, diff(t, halfway))
    assert diff(t, observe(client, t)) == []


def test_topic_attributes_set_one_by_one_resume(aws, fault_proxy):
    client = aws.connect(endpointURL=fault_proxy.url, maxAttempts=1)
    spec = {"attributes": {"DisplayName": "Shop", "KmsMasterKeyId": "alias/shop"}}
    t, _ = converge(client, target("SNSTopic", "events", spec))
    arn = t.outputs["arn"]
    sns = aws.boto("sns")
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="x")
    sns.set_topic_attributes(TopicArn=arn, AttributeName="KmsMasterKeyId", AttributeValue="alias/other")

    # the first SetTopicAttributes lands, the connection drops on the second
    fault_proxy.add(r"^sns:SetTopicAttributes ", action="drop-before", skip=1)
    observed = observe(client, t)
    with pytest.raises(TemporaryError):
        client.update(t, observed, diff(t, observed))
    fault_proxy.clear()
    halfway = observe(client, t)
    assert [c.path for c in diff(t, halfway)] == ["attributes"]
    assert halfway.state["attributes"]["DisplayName"] == "Shop"  # the first call landed
    client.update(t, halfway, diff(t, halfway))
    assert diff(t, observe(client, t)) == []
