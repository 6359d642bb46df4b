"""Read YAML documents safely: plain JSON-like values, limits checked on the event stream.

Values are built straight from libyaml's event stream (``yaml.parse`` with the C parser), never
by composing a node graph first, so:

- an alias is refused the moment it appears (no billion-laughs expansion, no shared objects);
- nesting deeper than ``MAX_DEPTH`` is refused as it is read, without recursion, so a
  10,000-deep document costs 10,000 events and nothing more;
- a bad document is skipped and the next one in the same file is still read, so every problem
  is reported in one pass. Only a syntax error ends the file (libyaml's own cap of 1,000 flow
  levels is one: it scans ahead, so a very deep flow collection also ends the file).

Scalars follow PyYAML's safe loader (YAML 1.1: ``0644`` is an int, ``yes`` a bool), except
that timestamps stay strings and mapping keys are always strings, so every value is one JSON
could hold. Explicit tags beyond the JSON types (``!!binary``, ``!!set``, ``!custom``) are
refused.

Lines are not kept on the fast path. ``line_index`` walks a file a second time and records the
line of every field; the loader calls it only for a file that has something to report.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from kedge.manifests.problems import FieldPath, Problem

MAX_DEPTH = 64
_TOO_DEEP = f"nesting deeper than {MAX_DEPTH} levels; flatten the document"

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = frozenset(_TAG + t for t in ("str", "int", "float", "bool", "null"))
_MAPPING_TAGS = frozenset({None, "!", _TAG + "map"})
_SEQUENCE_TAGS = frozenset({None, "!", _TAG + "seq"})
_CACHE_MAX_LEN = 64


class _Refused(Exception):
    """The current document cannot be read; the message says why."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True)
class RawDocument:
    index: int  # position in the file, counting empty documents
    value: Any
    line: int  # 1-based line where the document's content starts


@dataclass(frozen=True)
class FileProblem:
    """A problem that belongs to the file, or to a document refused before it had a value."""

    problem: Problem
    line: int | None


# YAML 1.1 words that a plain scalar starting with a letter can resolve to something other than a
# string (PyYAML registers only the bool and null resolvers under letters); see the test
# test_plain_words_match_pyyaml.
_WORDS = (
    *("yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE"),
    *("on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL"),
)


class Scalars:
    """Plain scalar -> Python value, with PyYAML's implicit resolvers; share one per load."""

    def __init__(self) -> None:
        self._resolver: Any = Resolver()
        self._constructor = SafeConstructor()
        self.cache: dict[str, Any] = {}
        # Only a scalar starting with one of these can be something other than a string.
        self._first = frozenset(k for k in Resolver.yaml_implicit_resolvers if k)
        self._words = {w: self._resolve(w) for w in _WORDS}

    def plain(self, text: str) -> Any:
        first = text[:1]
        if first.isalpha():
            return self._words.get(text, text)
        if first and first not in self._first:
            return text
        value = self._resolve(text)
        if len(text) <= _CACHE_MAX_LEN:
            self.cache[text] = value
        return value

    def _resolve(self, text: str) -> Any:
        tag = self._resolver.resolve(ScalarNode, text, (True, False))
        return self._construct(tag, text) if tag in _SCALAR_TAGS else text

    def tagged(self, tag: str, text: str, line: int) -> Any:
        if tag == "!":
            return text
        if tag not in _SCALAR_TAGS:
            raise _Refused(f"unsupported YAML tag {tag!r}: only plain JSON values are allowed", line)
        try:
            return self._construct(tag, text)
        except (ValueError, yaml.YAMLError):
            raise _Refused(f"{text!r} is not a valid {tag.removeprefix(_TAG)}", line) from None

    def _construct(self, tag: str, text: str) -> Any:
        node = ScalarNode(tag, text)
        c = self._constructor
        if tag == _TAG + "str":
            return text
        if tag == _TAG + "int":
            return c.construct_yaml_int(node)
        if tag == _TAG + "float":
            return c.construct_yaml_float(node)
        if tag == _TAG + "bool":
            return c.construct_yaml_bool(node)
        return None


_NO_KEY = object()  # a mapping frame waiting for its next key
_DROP = object()  # a mapping frame whose current key was a duplicate: drop the value


def _events(data: bytes | str) -> Iterator[Any]:
    """libyaml's events; typed loosely because the loop reads fields per event class."""
    return yaml.parse(data, Loader=yaml.CSafeLoader)  # type: ignore[no-any-return]


def _syntax_problem(exc: yaml.YAMLError, data: bytes | str) -> FileProblem:
    if isinstance(exc, yaml.reader.ReaderError):
        newline: Any = b"\n" if isinstance(data, bytes) else "\n"
        line = data.count(newline, 0, exc.position) + 1
        return FileProblem(Problem(f"cannot read the file as YAML text: {exc.reason}"), line)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    mark = getattr(exc, "problem_mark", None)
    message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    return FileProblem(Problem(message + "; fix the syntax"), mark.line + 1 if mark else None)


def parse_documents(
    data: bytes | str, scalars: Scalars | None = None
) -> tuple[list[RawDocument], list[FileProblem]]:
    """Every document of a YAML stream as plain values; refused documents become problems."""
    docs: list[RawDocument] = []
    problems: list[FileProblem] = []
    scalars = scalars or Scalars()
    cache = scalars.cache
    missing = _NO_KEY
    # Open containers; the bottom one is a list that receives the document's root value.
    stack: list[Any] = []
    keys: list[Any] = []  # per frame: pending key, _NO_KEY or _DROP (None for lists)
    index = -1
    doc_line = 0
    skipping = False
    try:
        for ev in _events(data):
            cls = ev.__class__
            if skipping:
                if cls is DocumentEndEvent:
                    skipping = False
                continue
            try:
                if cls is ScalarEvent:
                    text = ev.value
                    if keys[-1] is _NO_KEY:
                        if text in stack[-1]:
                            line = ev.start_mark.line + 1
                            problems.append(FileProblem(Problem(f"duplicate key {text!r}"), line))
                            keys[-1] = _DROP
                        else:
                            keys[-1] = text
                        continue
                    if ev.tag is not None:
                        value = scalars.tagged(ev.tag, text, ev.start_mark.line + 1)
                    elif ev.implicit[0]:
                        value = cache.get(text, missing)
                        if value is missing:
                            value = scalars.plain(text)
                    else:
                        value = text
                elif cls is MappingStartEvent or cls is SequenceStartEvent:
                    if keys[-1] is _NO_KEY:
                        raise _Refused("mapping keys must be plain strings", ev.start_mark.line + 1)
                    depth = len(stack)
                    if depth > MAX_DEPTH:
                        raise _Refused(_TOO_DEEP, ev.start_mark.line + 1)
                    if depth == 1:
                        doc_line = ev.start_mark.line + 1
                    if cls is MappingStartEvent:
                        if ev.tag is not None and ev.tag not in _MAPPING_TAGS:
                            raise _Refused(
                                f"unsupported YAML tag {ev.tag!r} on a mapping", ev.start_mark.line + 1
                            )
                        stack.append({})
                        keys.append(_NO_KEY)
                    else:
                        if ev.tag is not None and ev.tag not in _SEQUENCE_TAGS:
                            raise _Refused(
                                f"unsupported YAML tag {ev.tag!r} on a list", ev.start_mark.line + 1
                            )
                        stack.append([])
                        keys.append(None)
                    continue
                elif cls is MappingEndEvent or cls is SequenceEndEvent:
                    value = stack.pop()
                    keys.pop()
                elif cls is DocumentStartEvent:
                    index += 1
                    stack = [[]]
                    keys = [None]
                    doc_line = ev.start_mark.line + 1
                    continue
                elif cls is DocumentEndEvent:
                    holder = stack[0]
                    if holder and holder[0] is not None:
                        docs.append(RawDocument(index, holder[0], doc_line))
                    continue
                elif cls is AliasEvent:
                    raise _Refused(
                        f"YAML aliases are not allowed (*{ev.anchor}); write the value out",
                        ev.start_mark.line + 1,
                    )
                else:  # stream start and end
                    continue
            except _Refused as refused:
                problems.append(FileProblem(Problem(refused.message), refused.line))
                skipping = True
                continue
            # a finished value: attach it to the open container (a list, or a mapping's key)
            top = stack[-1]
            if top.__class__ is list:
                top.append(value)
            else:
                key = keys[-1]
                if key is not _DROP:
                    top[key] = value
                keys[-1] = _NO_KEY
    except yaml.YAMLError as exc:
        found = _syntax_problem(exc, data)
        if "nesting depth" in str(getattr(exc, "problem", "")):
            # libyaml's own flow-level cap (it scans ahead): the same mistake, said once.
            if skipping and problems and problems[-1].problem.message == _TOO_DEEP:
                return docs, problems
            found = FileProblem(Problem(_TOO_DEEP), found.line)
        problems.append(found)
    return docs, problems


def line_index(data: bytes | str) -> list[dict[FieldPath, int]]:
    """For each document (by index), the 1-based line of every field path it spells out.

    A mapping entry's line is its key's line; a list item's line is where the item starts.
    Paths deeper than ``MAX_DEPTH`` are not recorded (those documents are refused anyway).
    """
    out: list[dict[FieldPath, int]] = []
    lines: dict[FieldPath, int] = {}
    # per open container: its path, and for a mapping the pending key (or None) / next index
    frames: list[list[Any]] = []
    try:
        for ev in _events(data):
            cls = ev.__class__
            if cls is DocumentStartEvent:
                lines = {}
                out.append(lines)
                frames = []
                continue
            if cls is MappingEndEvent or cls is SequenceEndEvent:
                frames.pop()
                _advance(frames)
                continue
            if cls not in (ScalarEvent, MappingStartEvent, SequenceStartEvent, AliasEvent):
                continue
            line = ev.start_mark.line + 1
            if not frames:
                path: FieldPath = ()
                lines.setdefault(path, line)
            else:
                parent_path, is_mapping, slot = frames[-1]
                if is_mapping and slot is None:  # this event is a key
                    key = ev.value if cls is ScalarEvent else "?"
                    frames[-1][2] = key
                    if len(parent_path) < MAX_DEPTH:
                        lines.setdefault((*parent_path, key), line)
                    if cls is ScalarEvent or cls is AliasEvent:
                        continue
                    path = (*parent_path, "?")
                elif len(parent_path) >= MAX_DEPTH:
                    path = parent_path  # too deep to matter: keep paths (and the cost) bounded
                else:
                    path = (*parent_path, slot)
                    if not is_mapping:
                        lines.setdefault(path, line)
            if cls is MappingStartEvent:
                frames.append([path, True, None])
            elif cls is SequenceStartEvent:
                frames.append([path, False, 0])
            else:
                _advance(frames)
    except yaml.YAMLError:
        pass
    return out


def _advance(frames: list[list[Any]]) -> None:
    """A value inside the innermost container is complete: move to its next slot."""
    if frames:
        frame = frames[-1]
        frame[2] = None if frame[1] else frame[2] + 1
