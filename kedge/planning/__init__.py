"""Pure planning: from (desired, observed, inventory) to a Plan. No I/O, no clock, no randomness."""

from kedge.planning.plan import Action, Change, FieldDiff, Plan

__all__ = ["Action", "Change", "FieldDiff", "Plan"]
