"""Hostile YAML is refused quickly: alias bombs, huge files, huge apps, deep nesting."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from kedge.manifests import MAX_APP_BYTES, MAX_DEPTH, MAX_FILE_BYTES, load_path, load_text
from kedge.manifests.safe_yaml import parse_documents

from .conftest import file_doc, kinds, one_error

BILLION_LAUGHS = """\
apiVersion: local.kedge.dev/v1
kind: File
metadata: {name: lol}
spec:
  path: a.txt
  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
  h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
  i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
  content: *i
"""


def test_an_alias_bomb_is_refused_at_the_first_alias() -> None:
    start = time.perf_counter()
    result = load_text(BILLION_LAUGHS + "---\n" + file_doc("after", "b.txt"), kinds, file="bomb.yaml", env={})
    elapsed = time.perf_counter() - start

    error = one_error(result)
    assert "aliases are not allowed" in error.message
    assert (error.file, error.line) == ("bomb.yaml", 7)
    assert elapsed < 5.0  # refused at once: no exponential expansion, no deep recursion
    # the document is dropped; the next one in the same file is still read
    assert [r.key.name for r in result.resources] == ["after"]


def test_a_ten_megabyte_file_is_refused_and_the_rest_still_loads(write, tmp_path: Path) -> None:
    write("a.yaml", file_doc("a", "a.txt"))
    big = tmp_path / "app" / "big.yaml"
    big.write_bytes(b"# padding\n" * (1024 * 1024))  # 10 MiB

    result = load_path(tmp_path / "app", kinds, env={})

    error = one_error(result)
    assert error.file == "big.yaml"
    assert "10.0 MiB" in error.message and "2.0 MiB" in error.message
    assert [r.key.name for r in result.resources] == ["a"]


def test_text_over_the_file_limit_is_refused() -> None:
    result = load_text("# x\n" * (MAX_FILE_BYTES // 4 + 1), kinds, env={})

    assert "larger than 2 MiB" in one_error(result).message


def test_an_app_over_twenty_mebibytes_stops_at_the_file_that_crosses_the_limit(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    chunk = MAX_FILE_BYTES - 4096
    count = MAX_APP_BYTES // chunk + 1
    for i in range(count):
        body = file_doc(f"f{i}", f"f{i}.txt").encode()
        (app / f"m{i:02d}.yaml").write_bytes(body + b"#" * (chunk - len(body) - 1) + b"\n")

    result = load_path(app, kinds, env={})

    error = one_error(result)
    assert "20.0 MiB" in error.message
    assert error.file == f"m{count - 1:02d}.yaml"
    assert len(result.resources) == count - 1


@pytest.mark.parametrize(
    ("reason", "nested"),
    [
        ("flow sequences", "[" * 10_000 + "]" * 10_000),
        ("flow mappings", "{a: " * 10_000 + "1" + "}" * 10_000),
        ("block sequences", "\n" + "".join(" " * i + "-\n" for i in range(2, 400))),
    ],
)
def test_deep_nesting_is_refused_without_recursing(reason: str, nested: str) -> None:
    text = f"apiVersion: test.kedge.dev/v1\nkind: Thing\nmetadata: {{name: deep}}\nspec:\n  items: {nested}\n"

    start = time.perf_counter()
    result = load_text(text, kinds, file="deep.yaml", env={})
    elapsed = time.perf_counter() - start

    error = one_error(result)
    assert f"deeper than {MAX_DEPTH} levels" in error.message, reason
    assert error.file == "deep.yaml"
    assert error.line is not None and error.line >= 5
    assert elapsed < 5.0  # refused at once: no exponential expansion, no deep recursion
    assert result.resources == []


def test_depth_sixty_four_is_allowed_and_sixty_five_is_not() -> None:
    def nested(depth: int) -> str:  # the document's root list counts as level 1
        return "[" * depth + "]" * depth

    docs, problems = parse_documents(nested(MAX_DEPTH))
    assert problems == [] and len(docs) == 1

    docs, problems = parse_documents(nested(MAX_DEPTH + 1))
    assert docs == [] and "deeper than" in problems[0].problem.message


def test_a_deep_document_does_not_hide_the_next_one() -> None:
    text = "[" * 500 + "]" * 500 + "\n---\n" + file_doc("ok", "ok.txt")

    result = load_text(text, kinds, env={})

    assert "deeper than" in one_error(result).message
    assert [r.key.name for r in result.resources] == ["ok"]
