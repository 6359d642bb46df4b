"""A multi-line value (a file's content) that changed shows in ``kedge plan`` line by line, the
lines removed and added with a little context, like ``terraform plan``; one-line values stay
``before -> after``."""

from __future__ import annotations

FILE = """
apiVersion: local.kedge.dev/v1
kind: File
metadata: {name: conf}
spec: {path: app.conf, content: "one\\ntwo\\nthree\\nfour\\nfive\\nsix\\n", mode: "0644"}
"""


def test_changed_file_content_is_shown_line_by_line(kedge, local_app) -> None:
    app, root = local_app(FILE)
    assert kedge("apply", app, "--auto-approve").exit_code == 0
    (root / "app.conf").write_text("one\ntwo\nTHREE\nfour\nfive\nsix\n")
    (root / "app.conf").chmod(0o600)

    plan = kedge("plan", app)
    assert plan.exit_code == 0, plan
    lines = [line.strip() for line in plan.stdout.splitlines()]
    at = lines.index("~ content:")
    assert lines[at + 1 : at + 7] == ["one", "two", "- THREE", "+ three", "four", "five"]
    assert '~ mode: "0600" -> "0644"' in lines
    assert "six" not in lines, "only a little context around the change"
