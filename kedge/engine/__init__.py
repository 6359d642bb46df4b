"""One reconcile of one app: render -> observe -> plan -> apply -> prune -> record.

The engine knows nothing of schedules, queues or git: the CLI calls it once, the controller
calls it in a loop. Each step is a module of its own.
"""

from kedge.engine.reconcile import AppRun, Engine, Options

__all__ = ["AppRun", "Engine", "Options"]
