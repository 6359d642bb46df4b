"""``kedge serve --config``: Definitions and Compositions in the config are the platform of every
app; a broken one stops the server at start with the file and line."""

from __future__ import annotations

import pytest

from kedge.cli.server import read_config
from kedge.model import ConfigError
from tests.compositions.conftest import COMPOSITION, DEFINITION
from tests.conftest import write


def test_definitions_in_the_config_are_read(tmp_path) -> None:
    config = write(tmp_path / "kedge.yaml", DEFINITION + "---\n" + COMPOSITION)
    settings = read_config(config)
    assert sorted(d.kind for d in settings.platform) == ["Composition", "Definition"]


def test_a_broken_composition_in_the_config_is_refused_at_start(tmp_path) -> None:
    broken = COMPOSITION.replace("${claim.spec.greeting}", "${claim.spec.greeting +}")
    config = write(tmp_path / "kedge.yaml", DEFINITION + "---\n" + broken)
    with pytest.raises(ConfigError) as err:
        read_config(config)
    [problem] = err.value.diagnostics
    assert problem.file is not None and problem.file.endswith("kedge.yaml")
    assert problem.line == DEFINITION.count("\n") + 1 + 27 and "does not compile" in problem.message
