"""ProviderConfig ``roleARN``: each app works with its own short-lived credentials of the role,
in a session named after the app, renewed before they expire, and never written down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kedge.model import ConfigError, ProviderError
from kedge.providers.aws.session import AwsSession, AwsSettings, session_name
from tests.aws.helpers import target
from tests.conftest import write

ROLE = "arn:aws:iam::123456789012:role/deployer"


def session(aws, endpoint, clock=None, app="payments", **settings):
    parsed = AwsSettings.parse({"region": aws.region, "endpointURL": endpoint, "roleARN": ROLE, **settings}, "ProviderConfig default")
    return AwsSession(parsed, "ProviderConfig default", app, clock)


def test_each_app_gets_a_session_named_after_it(aws):
    for app in ("payments", "search"):
        client = aws.connect(app=app, roleARN=ROLE, externalID="k-123", sessionDuration="15m")
        arn = client.ctx.client("sts").get_caller_identity()["Arn"]
        assert arn.endswith(f":assumed-role/deployer/{app}")


def test_session_names_are_what_sts_accepts():
    assert session_name("shop/eu west") == "shop-eu-west"
    assert session_name("x") == "kedge-x"
    assert len(session_name("a" * 100)) == 64


def test_credentials_are_renewed_before_they_expire(aws, fault_proxy):
    now = [datetime.now(UTC)]
    s = session(aws, fault_proxy.url, clock=lambda: now[0], sessionDuration="1h")
    sts = s.client("sts")
    sts.get_caller_identity()
    sts.get_caller_identity()
    assert fault_proxy.count(r"^sts:AssumeRole ") == 1  # reused while fresh
    now[0] += timedelta(minutes=46)  # less than 15 minutes left: renew first
    sts.get_caller_identity()
    assert fault_proxy.count(r"^sts:AssumeRole ") == 2


def test_the_session_lasts_as_long_as_asked(aws):
    from botocore.config import Config

    from kedge.providers.aws.session import AssumedRole

    settings = AwsSettings.parse(
        {"region": aws.region, "endpointURL": aws.endpoint, "roleARN": ROLE, "sessionDuration": "2h", "externalID": "t-7"},
        "ProviderConfig default",
    )
    role = AssumedRole(settings, Config(region_name=aws.region), "ProviderConfig default", "payments")
    expiry = datetime.fromisoformat(role.fetch()["expiry_time"])
    assert timedelta(minutes=119) < expiry - datetime.now(UTC) <= timedelta(hours=2)


@pytest.mark.parametrize("value", ["5m", "13h", "soon"])
def test_a_session_duration_out_of_range_is_refused(value):
    with pytest.raises(ConfigError, match="sessionDuration must be a duration from 15m to 12h"):
        AwsSettings.parse({"roleARN": ROLE, "sessionDuration": value}, "ProviderConfig default")


def test_a_role_that_cannot_be_assumed_is_a_clear_error(aws, fault_proxy):
    fault_proxy.add(r"^sts:AssumeRole ", code="AccessDenied", status=403)
    client = aws.connect(endpointURL=fault_proxy.url, roleARN=ROLE)
    with pytest.raises(ProviderError) as err:
        client.observe_many("SQSQueue", [target("SQSQueue", "orders", {})])
    message = str(err.value)
    assert f"cannot assume role {ROLE} as session shop (AccessDenied" in message
    assert "trust policy" in message
    assert fault_proxy.count(r"^sqs:") == 0  # nothing was sent with other credentials


def test_cli_apply_with_an_assumed_role_writes_no_credentials(kedge, tmp_path, aws, fault_proxy):
    app = tmp_path / "orders"
    write(
        app / "resources.yaml",
        f"""
        apiVersion: kedge.dev/v1
        kind: ProviderConfig
        metadata: {{name: default}}
        spec:
          provider: aws
          settings: {{region: us-east-1, endpointURL: "{fault_proxy.url}", roleARN: "{ROLE}", sessionDuration: 15m}}
        ---
        apiVersion: aws.kedge.dev/v1
        kind: SQSQueue
        metadata: {{name: orders-q}}
        spec: {{}}
        """,
    )
    result = kedge("apply", app, "--auto-approve")
    assert result.exit_code == 0, result
    state = (app / ".kedge" / "state.db").read_bytes()
    assert b"ASIA" not in state and b"SessionToken" not in state  # moto's temporary keys start ASIA
    assert kedge("plan", app, "--detailed-exitcode").exit_code == 0
    # every run connects anew; the app's fresh credentials are reused, not assumed again
    assert fault_proxy.count(r"^sts:AssumeRole ") == 1

    fault_proxy.add(r"^sts:AssumeRole ", code="AccessDenied", status=403)
    resources = app / "resources.yaml"
    resources.write_text(resources.read_text().replace("role/deployer", "role/not-trusting-kedge"))
    result = kedge("plan", app)
    assert result.exit_code == 1
    assert "cannot assume role" in result.output and "Traceback" not in result.output
