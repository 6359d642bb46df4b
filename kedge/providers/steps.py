"""One list of steps that is both shown in the plan and run by apply.

A provider that builds its calls as ``Steps`` cannot preview one thing and do another: the
plan prints ``steps.names()`` and apply calls ``steps.run()`` on the very same list.

    steps = Steps()
    steps.add("s3:PutBucketTagging", lambda: s3.put_bucket_tagging(...), field="tags")
    steps.names()   # ["s3:PutBucketTagging"]     <- Previewable.preview
    steps.run(wrap) # performs them in order        <- create / update

``wrap(step)`` is a context manager the provider supplies to turn its SDK's exceptions into
Kedge errors naming the step and the spec field. Shared by every provider; it imports none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from kedge.providers.base import FieldChange


@dataclass(frozen=True)
class Step:
    name: str  # what the plan shows, e.g. "azure:SetContainerMetadata"
    call: Callable[[], Any]
    field: str | None = None  # the spec field the step sets, named in its errors


@dataclass
class Steps:
    items: list[Step] = field(default_factory=list)

    def add(self, name: str, call: Callable[[], Any], field: str | None = None) -> None:
        self.items.append(Step(name, call, field))

    def names(self) -> list[str]:
        return [step.name for step in self.items]

    def run(self, wrap: Callable[[Step], AbstractContextManager[Any]] | None = None) -> None:
        for step in self.items:
            with wrap(step) if wrap else nullcontext():
                step.call()

    def __iter__(self) -> Iterator[Step]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def top_fields(diff: Sequence[FieldChange]) -> set[str]:
    """The top-level spec fields a diff touches ("tags.env" -> "tags", "rules[0]" -> "rules")."""
    return {change.path.split(".", 1)[0].split("[", 1)[0] for change in diff}
