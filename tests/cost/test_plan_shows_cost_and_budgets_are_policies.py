"""``kedge plan`` shows the monthly cost before and after, and a budget is a Policy ``deny``.

Against the AWS test server: the plan observes real buckets and queues, so "before" is what
exists and "after" what the manifests ask for.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import write

PROVIDER = """
apiVersion: kedge.dev/v1
kind: ProviderConfig
metadata: {{name: default}}
spec:
  provider: aws
  settings: {{region: us-east-1, endpointURL: "{endpoint}"}}
"""

BUCKET = """
apiVersion: aws.kedge.dev/v1
kind: S3Bucket
metadata:
  name: {name}
  annotations: {{kedge.dev/usage: "storageGB={gb}"}}
spec: {{}}
"""

BUDGET = """
apiVersion: kedge.dev/v1
kind: Policy
metadata: {{name: budget}}
spec:
  rules:
    - name: monthly-cap
      deny: "{expression}"
      message: this app may cost at most 50 USD a month
"""


def make_app(tmp_path, aws, *docs: str):
    app = tmp_path / "shop"
    write(app / "provider.yaml", PROVIDER.format(endpoint=aws.endpoint))
    (app / "resources.yaml").write_text("---\n".join(docs))
    return app


def plan_json(kedge, app) -> tuple[int, dict]:
    result = kedge("plan", app, "-o", "json")
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.stdout)


def test_plan_cost_goes_from_before_to_after(kedge, tmp_path, aws) -> None:
    app = make_app(tmp_path, aws, BUCKET.format(name="cost-a", gb=100))
    code, plan = plan_json(kedge, app)
    assert code == 0, plan
    assert plan["cost"] == {"before": 0, "after": pytest.approx(2.30), "currency": "USD"}
    text = kedge("plan", app)
    assert "Monthly cost: 0.00 USD -> 2.30 USD (+2.30 USD)" in text.stdout

    assert kedge("apply", app, "--auto-approve").exit_code == 0
    code, plan = plan_json(kedge, app)
    assert plan["cost"] == {"before": pytest.approx(2.30), "after": pytest.approx(2.30), "currency": "USD"}
    assert kedge("plan", app, "--detailed-exitcode").exit_code == 0

    # a second bucket, and the first one removed with --prune: 2.30 -> 1000 GB x 0.023
    (app / "resources.yaml").write_text(BUCKET.format(name="cost-b", gb=1000))
    result = kedge("plan", app, "-o", "json", "--prune", "--confirm-prune")
    assert result.exit_code == 0, result
    assert json.loads(result.stdout)["cost"] == {
        "before": pytest.approx(2.30),
        "after": pytest.approx(23.0),
        "currency": "USD",
    }


def test_a_budget_rule_denies_a_plan_over_it(kedge, tmp_path, aws) -> None:
    app = make_app(
        tmp_path,
        aws,
        BUCKET.format(name="cost-big", gb=5000),  # 115 USD a month
        BUDGET.format(expression="plan.cost.after > 50.0"),
    )
    code, plan = plan_json(kedge, app)
    assert code == 1
    errors = [d for d in plan["diagnostics"] if d["severity"] == "error"]
    assert len(errors) == 1, "a budget judges the plan once, not each change"
    assert "policy budget/monthly-cap denies this plan (1 change(s))" in errors[0]["message"]
    assert "at most 50 USD" in errors[0]["message"]
    assert plan["cost"]["after"] == pytest.approx(115.0)

    refused = kedge("apply", app, "--auto-approve")
    assert refused.exit_code == 1
    assert aws.boto("s3").list_buckets()["Buckets"] == []

    # under the budget the same rule lets the plan through
    (app / "resources.yaml").write_text(
        BUCKET.format(name="cost-small", gb=100)
        + "---\n"
        + BUDGET.format(expression="plan.cost.after > 50.0")
    )
    assert kedge("apply", app, "--auto-approve").exit_code == 0


def test_rules_can_weigh_a_change_against_the_app_cost(kedge, tmp_path, aws) -> None:
    rule = "change.kind == 'S3Bucket' && change.action == 'create' && app.cost - plan.cost.before > 20.0"
    app = make_app(tmp_path, aws, BUCKET.format(name="cost-grow", gb=1000), BUDGET.format(expression=rule))
    code, plan = plan_json(kedge, app)
    assert code == 1
    assert any("denies create of S3Bucket/cost-grow" in d["message"] for d in plan["diagnostics"])


@pytest.mark.parametrize(
    "expression,fragment",
    [
        ("plan.cost.after >", "deny does not compile: syntax error"),
        ("plan.cots.after > 5.0", "failed to evaluate"),
        ("budget > 5.0", "unknown name 'budget'"),
    ],
    ids=["syntax", "misspelt-field", "unknown-name"],
)
def test_a_budget_rule_that_does_not_work_blocks_with_a_clear_message(
    kedge, tmp_path, aws, expression, fragment
) -> None:
    app = make_app(tmp_path, aws, BUCKET.format(name="cost-c", gb=1), BUDGET.format(expression=expression))
    result = kedge("plan", app)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "policy budget/monthly-cap" in result.stderr and fragment in result.stderr, result.stderr
    assert "resources.yaml" in result.stderr
    if "failed" not in fragment:  # a rule that does not compile is found without a plan
        checked = kedge("validate", app)
        assert checked.exit_code == 1 and fragment in checked.stderr, checked
