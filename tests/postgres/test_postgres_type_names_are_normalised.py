"""Type names and defaults are normalised so PostgreSQL's spelling is not drift (no database)."""

import pytest

from kedge.model import ConfigError
from kedge.providers.postgres.types import is_lossless, parse_default, parse_live_default, parse_type


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("int4", "integer"),
        ("INT", "integer"),
        ("int8", "bigint"),
        ("varchar(20)", "character varying(20)"),
        ("character varying ( 20 )", "character varying(20)"),
        ("char", "character(1)"),
        ("bool", "boolean"),
        ("float8", "double precision"),
        ("decimal(10, 2)", "numeric(10,2)"),
        ("timestamptz", "timestamp with time zone"),
        ("timestamp(3)", "timestamp(3) without time zone"),
        ("timestamp(3) with time zone", "timestamp(3) with time zone"),
        ("time", "time without time zone"),
        ("int[]", "integer[]"),
        ("varchar(5)[]", "character varying(5)[]"),
    ],
)
def test_aliases_normalise_to_what_format_type_prints(written, canonical):
    assert str(parse_type(written, "f")) == canonical
    assert parse_type(canonical, "f") == parse_type(written, "f")


@pytest.mark.parametrize(
    "bad", ["int; drop table x", "varchar(", "foo", "integer(3)", "text)", "numeric(2,5)", 'x"y', "serial"]
)
def test_unparseable_types_are_refused_with_the_field(bad):
    with pytest.raises(ConfigError, match=r"^columns\[1\]\.type: "):
        parse_type(bad, "columns[1].type")


@pytest.mark.parametrize(
    ("old", "new", "lossless", "reason"),
    [
        ("smallint", "integer", True, "widening an integer"),
        ("integer", "smallint", False, "narrowing an integer"),
        ("varchar(10)", "varchar(20)", True, "longer limit"),
        ("varchar(20)", "varchar(10)", False, "shorter limit"),
        ("varchar(20)", "text", True, "dropping the limit"),
        ("text", "varchar(20)", False, "adding a limit"),
        ("numeric(10,2)", "numeric(12,2)", True, "more digits"),
        ("numeric(10,2)", "numeric(10,3)", False, "fewer integer digits"),
        ("text", "integer", False, "different family"),
        ("integer", "numeric(5,0)", False, "bounded numeric"),
    ],
)
def test_lossy_type_changes_are_recognised(old, new, lossless, reason):
    assert is_lossless(parse_type(old, "f"), parse_type(new, "f")) is lossless, reason


@pytest.mark.parametrize(
    ("desired", "live"),
    [
        ("it's", "'it''s'::text"),
        (0, "0"),
        (-1, "'-1'::integer"),
        (1.5, "1.5"),
        ("1.50", "1.50"),
        (True, "true"),
        ({"expression": "NOW()"}, "now()"),
        ({"expression": "current_timestamp"}, "CURRENT_TIMESTAMP"),
        ("abc", "'abc'::character varying"),
    ],
)
def test_defaults_compare_with_what_pg_get_expr_prints(desired, live):
    assert parse_default(desired, "f").same_as(parse_live_default(live))


def test_different_defaults_differ():
    assert not parse_default("a", "f").same_as(parse_live_default("'b'::text"))
    assert not parse_default(1, "f").same_as(parse_live_default("2"))
    assert not parse_default({"expression": "now()"}, "f").same_as(parse_live_default("'now'::text"))
