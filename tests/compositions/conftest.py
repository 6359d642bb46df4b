"""A small platform over the local provider: an ``AppConfig`` claim composes a directory and files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import write

DEFINITION = """\
apiVersion: kedge.dev/v1
kind: Definition
metadata:
  name: AppConfig
spec:
  group: platform.example.org
  schema:
    type: object
    required: [greeting]
    properties:
      greeting: {type: string}
      size: {type: string, enum: [small, large], default: small}
      debug: {type: boolean, default: false}
      limits:
        type: object
        default: {}
        properties:
          connections: {type: integer, default: 10}
  outputs:
    motd: "${motd.outputs.sha256}"
"""

COMPOSITION = """\
apiVersion: kedge.dev/v1
kind: Composition
metadata:
  name: appconfig-files
  labels: {storage: local}
spec:
  definition: AppConfig
  resources:
    - id: dir
      template:
        apiVersion: local.kedge.dev/v1
        kind: Directory
        metadata:
          name: "${claim.metadata.name}"
        spec:
          path: "${claim.metadata.name}"
    - id: motd
      template:
        apiVersion: local.kedge.dev/v1
        kind: File
        metadata:
          name: "${claim.metadata.name}-motd"
          annotations:
            kedge.dev/depends-on: "Directory/${dir.metadata.name}"
        spec:
          path: "${dir.spec.path}/motd"
          content: "${claim.spec.greeting}"
    - id: settings
      includeWhen: "claim.spec.size == 'large'"
      template:
        apiVersion: local.kedge.dev/v1
        kind: File
        metadata:
          name: "${claim.metadata.name}-settings"
          annotations:
            kedge.dev/depends-on: "Directory/${dir.metadata.name}"
        spec:
          path: "${dir.spec.path}/settings"
          content: "debug=${claim.spec.debug} connections=${claim.spec.limits.connections}"
"""

CLAIM = """\
apiVersion: platform.example.org/v1
kind: AppConfig
metadata:
  name: {name}
spec:
  greeting: hello
  size: large
"""


@pytest.fixture
def platform_dir(tmp_path: Path) -> Callable[..., Path]:
    """A --platform directory: the Definition and the Composition (each replaceable)."""

    def make(definition: str = DEFINITION, composition: str = COMPOSITION) -> Path:
        directory = tmp_path / "platform"
        write(directory / "definition.yaml", definition)
        write(directory / "composition.yaml", composition)
        return directory

    return make
