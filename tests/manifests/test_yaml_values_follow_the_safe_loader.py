"""Values read from YAML are what PyYAML's safe loader gives, kept to what JSON can hold."""

from __future__ import annotations

import string

import pytest
import yaml
from yaml.resolver import Resolver

from kedge.manifests.safe_yaml import line_index, parse_documents

SCALARS = [
    "plain", "yes", "No", "TRUE", "off", "On", "null", "Null", "~", "", "0", "42", "-7", "+3", "0644",
    "0x1F", "0b101", "1_000", "1:30", "3.14", "-.5", "1e3", ".inf", "-.Inf", ".NaN", "nope", "yesterday",
    "nullable", "f1", "d0/f0.txt", "'quoted yes'", '"42"', "!!str 42", "!!int '7'", "!!float 1",
    "!!bool yes", "!!null ''",
]  # fmt: skip


@pytest.mark.parametrize("text", SCALARS)
def test_scalars_match_the_safe_loader(text: str) -> None:
    docs, problems = parse_documents(f"value: {text}\n")
    expected = yaml.load(f"value: {text}\n", Loader=yaml.CSafeLoader)["value"]

    assert problems == []
    got = docs[0].value["value"]
    if isinstance(expected, float) and expected != expected:  # NaN
        assert got != got
    else:
        assert (type(got), got) == (type(expected), expected)


def test_timestamps_stay_strings_and_keys_are_always_strings() -> None:
    docs, _ = parse_documents("at: 2024-05-01\n1: one\ntrue: yes\nnull: x\n")

    assert docs[0].value == {"at": "2024-05-01", "1": "one", "true": True, "null": "x"}


def test_where_the_safe_loader_fails_or_strays_values_are_strings() -> None:
    # '=' and '<<' have no safe constructor; '!' is YAML's non-specific tag: a string
    docs, problems = parse_documents("a: =\nb: <<\nc: ! 12\n")

    assert problems == []
    assert docs[0].value == {"a": "=", "b": "<<", "c": "12"}


def test_plain_words_match_pyyaml() -> None:
    # A plain scalar starting with a letter can only be a bool or null word: the loader's
    # shortcut for letters relies on that.
    for char in string.ascii_letters:
        tags = {tag for tag, _ in Resolver.yaml_implicit_resolvers.get(char, [])}
        assert tags <= {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"}, char


def test_line_index_records_every_field() -> None:
    text = "a: 1\nb:\n  c: [x, {d: 2}]\n  e:\n    - f\n---\n- g\n"

    first, second = line_index(text)

    assert first == {
        (): 1,
        ("a",): 1,
        ("b",): 2,
        ("b", "c"): 3,
        ("b", "c", 0): 3,
        ("b", "c", 1): 3,
        ("b", "c", 1, "d"): 3,
        ("b", "e"): 4,
        ("b", "e", 0): 5,
    }
    assert second == {(): 7, (0,): 7}
