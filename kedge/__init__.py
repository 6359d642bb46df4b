"""Kedge: infrastructure as apps.

Desired state lives in git as YAML manifests; Kedge plans, applies and keeps pulling the real
world back to it. See ``docs/`` for the user guide and ``DESIGN.md`` for the contract.
"""

__version__ = "0.1.0"
