"""One reconcile of one app: render -> observe -> plan -> apply -> prune -> record.

The engine knows nothing of schedules, queues or git: the CLI calls it once, the controller
calls it in a loop. Each step is a module of its own. ``Engine`` and its types load on first
use, so that a step used alone (``kedge.engine.render`` for ``kedge validate``) does not pull
in the state store.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kedge.engine.engine import Engine
    from kedge.engine.run import AppRun, Options

__all__ = ["AppRun", "Engine", "Options"]


def __getattr__(name: str) -> Any:
    if name == "Engine":
        from kedge.engine import engine

        return engine.Engine
    if name in __all__:
        from kedge.engine import run

        return getattr(run, name)
    raise AttributeError(f"module 'kedge.engine' has no attribute {name!r}")
