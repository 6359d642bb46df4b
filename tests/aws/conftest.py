"""AWS provider tests run against moto in server mode (see tests/fixtures/aws.py)."""

from tests.aws.helpers import *  # noqa: F403
