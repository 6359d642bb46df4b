"""Arbitrary input to the manifest loader ends in diagnostics, never in an exception.

Hypothesis feeds the loader text no one would write on purpose (random unicode, broken YAML,
deep nesting, huge scalars, documents of the right shape with random specs) through the same
entry point ``kedge validate`` uses. Every outcome must be a LoadResult; every rejection a
diagnostic that names the file.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kedge.manifests import load_text
from kedge.model.diagnostics import Severity
from tests.manifests.conftest import FILE_API, THING_API, kinds

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
)
values: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=25,
)


def _check(text: str) -> None:
    result = load_text(text, kinds, file="fuzz.yaml", env={})
    for d in result.diagnostics:
        assert d.message, d
        if d.severity is Severity.ERROR:
            assert d.file == "fuzz.yaml", d
    if not result.ok:
        assert any(d.severity is Severity.ERROR for d in result.diagnostics)


@FUZZ
@given(st.text(max_size=400))
def test_random_text_is_diagnosed_not_raised(text: str) -> None:
    _check(text)


@FUZZ
@given(
    st.lists(
        st.sampled_from(
            ["{", "}", "[", "]", ":", "- ", "&a ", "*a", "!!python/object:os.system ", "'", '"', "\n",
             "  ", "\t", "---\n", "key", "é", "\x00", "%YAML 1.1\n", "? ", "|\n", ">\n", "#", ","]
        ),
        max_size=60,
    ).map("".join)
)
def test_yaml_punctuation_soup_is_diagnosed_not_raised(text: str) -> None:
    _check(text)


@FUZZ
@given(st.sampled_from([(FILE_API, "File"), (THING_API, "Thing"), ("nope.kedge.dev/v1", "Nope")]),
       st.text(min_size=0, max_size=30), values)
def test_documents_with_random_specs_are_diagnosed_not_raised(
    kind: tuple[str, str], name: str, spec: Any
) -> None:
    doc = {"apiVersion": kind[0], "kind": kind[1], "metadata": {"name": name}, "spec": spec}
    # JSON is YAML: this writes every value, including odd floats and huge integers, as YAML sees it.
    _check(json.dumps(doc, allow_nan=True))


@settings(max_examples=20, deadline=None)
@given(st.integers(min_value=60, max_value=3000), st.sampled_from(["[", "{a: "]))
def test_deep_nesting_is_refused_with_a_diagnostic(depth: int, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    result = load_text(opener * depth + closer * depth, kinds, file="fuzz.yaml", env={})
    if depth > 64:
        assert not result.ok
        assert any("depth" in d.message or "nest" in d.message for d in result.diagnostics), result.diagnostics


@settings(max_examples=10, deadline=None)
@given(st.integers(min_value=1, max_value=4))
def test_huge_scalars_are_refused_by_size(megabytes: int) -> None:
    text = f"apiVersion: {FILE_API}\nkind: File\nmetadata: {{name: big}}\nspec:\n  path: a\n  content: '"
    text += "x" * (megabytes * 1024 * 1024) + "'\n"
    result = load_text(text, kinds, file="fuzz.yaml", env={})
    if megabytes >= 2:
        assert not result.ok
        assert any("MiB" in d.message for d in result.diagnostics)
