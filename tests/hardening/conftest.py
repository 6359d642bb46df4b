"""Attack tests share the controller tests' fixtures: a real store, real git, the local provider."""

from tests.controller.conftest import make_controller, repo, root

__all__ = ["make_controller", "repo", "root"]
