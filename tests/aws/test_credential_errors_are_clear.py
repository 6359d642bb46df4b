"""Missing, expired or refused credentials give a clear ProviderError, never "resource gone"."""

from __future__ import annotations

import pytest

from kedge.model import ConfigError, ProviderError
from tests.aws.helpers import target


def test_missing_credentials_name_what_to_set(aws, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    client = aws.connect()
    t = target("S3Bucket", "shop-assets", {})
    with pytest.raises(ProviderError, match=r"no usable AWS credentials: set AWS_ACCESS_KEY_ID") as err:
        client.observe_many("S3Bucket", [t])
    assert not err.value.temporary


@pytest.mark.parametrize("code", ["ExpiredToken", "InvalidClientTokenId", "AuthFailure"])
def test_expired_or_refused_credentials_are_reported(aws, fault_proxy, monkeypatch, code):
    monkeypatch.setenv("AWS_SESSION_TOKEN", "session-token-that-expired")
    client = aws.connect(endpointURL=fault_proxy.url)
    fault_proxy.add(r"^ec2:", code=code, status=400 if code != "AuthFailure" else 401)
    with pytest.raises(ProviderError) as err:
        client.observe_many("VPC", [target("VPC", "main", {"cidrBlock": "10.0.0.0/16"})])
    message = str(err.value)
    assert f"AWS refused the credentials ({code})" in message
    assert "session-token-that-expired" not in message and "testing" not in message
    assert not err.value.temporary


def test_access_denied_says_which_permission_is_missing(aws, fault_proxy):
    client = aws.connect(endpointURL=fault_proxy.url)
    fault_proxy.add(r"^sqs:GetQueueUrl", code="AccessDenied", status=403)
    with pytest.raises(ProviderError, match=r"SQSQueue/orders: GetQueueUrl: access denied \(AccessDenied\)"):
        client.observe_many("SQSQueue", [target("SQSQueue", "orders", {})])


def test_unknown_profile_is_a_config_error(aws):
    with pytest.raises(ConfigError, match=r"ProviderConfig default: settings.profile"):
        aws.connect(profile="does-not-exist")


def test_assume_role_per_provider_config(aws):
    client = aws.connect(roleARN="arn:aws:iam::123456789012:role/deployer")
    identity = client.ctx.client("sts").get_caller_identity()
    assert ":assumed-role/deployer/shop" in identity["Arn"]  # the session is named after the app
    plain = aws.connect(provider_config="plain")
    assert "assumed-role" not in plain.ctx.client("sts").get_caller_identity()["Arn"]


def test_unknown_settings_are_refused(aws):
    with pytest.raises(ConfigError, match=r"unknown aws setting\(s\) endpoint"):
        aws.connect(endpoint="http://x")
