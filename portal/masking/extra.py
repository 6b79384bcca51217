"""Admin-defined masking patterns, run in RE2: matching time grows linearly with the text, whatever the pattern.

A backtracking engine (Python's ``re``) can take exponential time on shapes like ``(a|a)+$`` or
``(\\d|\\d\\d)+$``: one such pattern and a 32-digit string in a search stall the worker for a minute. No
structural check catches every such shape, so admin patterns never run in ``re``: they are compiled by RE2
(google-re2), which has no backtracking. RE2 does not support look-arounds, back-references or
possessive/atomic groups; a pattern using them is refused when the admin saves it, with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import re2
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

MAX_EXTRA_PATTERN_LENGTH = 500

# Probes for "can this pattern match the empty string somewhere?" (``\b`` matches nothing in "").
_EMPTY_PROBES = ("", " ", "a", "1", "中", "a b")


class PatternError(ValueError):
    """An admin-supplied extra pattern was rejected; ``str()`` gives the reason in the user's language."""

    def __init__(self, message: LazyString | str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


class MatchSpan(Protocol):
    """The part of an RE2 match that masking reads."""

    def start(self) -> int: ...

    def end(self) -> int: ...


class CompiledPattern(Protocol):
    """The part of a compiled RE2 pattern that masking uses."""

    def finditer(self, text: str) -> Iterator[MatchSpan]: ...

    def search(self, text: str) -> MatchSpan | None: ...


def _options() -> object:
    options = re2.Options()
    options.log_errors = False  # the admin gets the reason; RE2 need not print it to stderr
    return options


_OPTIONS = _options()


# RE2's \d, \w and \s are ASCII-only; Python's (which admins wrote their patterns for) are Unicode-aware:
# \d matches full-width digits, \w Chinese characters. The rewrite keeps that meaning.
_OUTSIDE_CLASS = {
    "d": r"\p{Nd}",
    "D": r"\P{Nd}",
    "w": r"[\p{L}\p{N}_]",
    "W": r"[^\p{L}\p{N}_]",
    "s": r"[\s\p{Z}]",
    "S": r"[^\s\p{Z}]",
}
_INSIDE_CLASS = {"d": r"\p{Nd}", "w": r"\p{L}\p{N}_", "s": r"\s\p{Z}"}


def unicode_classes(source: str) -> str:
    """``source`` with ``\\d``, ``\\w``, ``\\s`` (and their negations outside ``[...]``) made Unicode-aware."""
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(source):
        ch = source[i]
        if ch == "\\" and i + 1 < len(source):
            nxt = source[i + 1]
            table = _INSIDE_CLASS if in_class else _OUTSIDE_CLASS
            out.append(table.get(nxt, ch + nxt))
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class = True
            out.append(ch)
            i += 1
            # A "]" first in the class (after an optional "^") is a literal, not the end.
            if source.startswith("^", i):
                out.append("^")
                i += 1
            if source.startswith("]", i):
                out.append("\\]")
                i += 1
            continue
        if ch == "]" and in_class:
            in_class = False
        out.append(ch)
        i += 1
    return "".join(out)


@lru_cache(maxsize=256)
def _compile(source: str) -> CompiledPattern:
    """Compile ``source`` with RE2 (cached: the search log compiles the admin patterns for every query)."""
    try:
        compiled: CompiledPattern = re2.compile(unicode_classes(source), _OPTIONS)
    except re2.error as exc:
        raise _refusal(source, exc) from None
    return compiled


def _refusal(source: str, exc: Exception) -> PatternError:
    """Tell a syntax error (Python's ``re`` refuses it too) from a feature RE2 leaves out."""
    try:
        re.compile(source)  # only compiled, never run: compiling cannot backtrack
    except re.error as py_exc:
        where = py_exc.pos if py_exc.pos is not None else 0
        return PatternError(
            _l(
                "the pattern is not a valid regular expression (at position %(pos)d: %(reason)s)",
                pos=where,
                reason=py_exc.msg,
            )
        )
    reason = (
        exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
    )
    return PatternError(
        _l(
            "the pattern uses a feature that is not supported here (look-arounds, back-references, "
            "possessive or atomic groups): %(reason)s",
            reason=reason,
        )
    )


def validate_extra_pattern(source: object) -> CompiledPattern:
    """Compile an admin-supplied regular expression with RE2 or raise :class:`PatternError` saying why.

    Refused: non-strings, blank or overlong patterns, syntax errors, features RE2 does not have, and
    patterns that can match the empty string (they would "mask" nothing and everything at once).
    """
    if not isinstance(source, str):
        raise PatternError(_l("the pattern must be text"))
    if not source.strip():
        raise PatternError(_l("the pattern is empty"))
    if len(source) > MAX_EXTRA_PATTERN_LENGTH:
        raise PatternError(_l("the pattern is longer than %(n)d characters", n=MAX_EXTRA_PATTERN_LENGTH))
    compiled = _compile(source)
    for probe in _EMPTY_PROBES:
        m = compiled.search(probe)
        if m is not None and m.end() == m.start():
            raise PatternError(_l("the pattern can match an empty string; require at least one character"))
    return compiled


def _inline_flags(pattern: re.Pattern[str]) -> str:
    flags = "".join(
        letter
        for flag, letter in ((re.IGNORECASE, "i"), (re.MULTILINE, "m"), (re.DOTALL, "s"))
        if pattern.flags & flag
    )
    return f"(?{flags})" if flags else ""


@dataclass(frozen=True, slots=True)
class ExtraPattern:
    """An admin-configured pattern; build it with :meth:`compile` so it is validated."""

    label: str
    pattern: CompiledPattern

    @classmethod
    def compile(cls, label: str, source: str) -> ExtraPattern:
        """Validate ``source`` (see :func:`validate_extra_pattern`) and wrap it with ``label``."""
        return cls(label=label.strip() or "custom", pattern=validate_extra_pattern(source))

    @classmethod
    def coerce(cls, item: ExtraPattern | re.Pattern[str] | str) -> ExtraPattern:
        """An :class:`ExtraPattern` from what callers pass; a Python pattern is recompiled in RE2."""
        if isinstance(item, ExtraPattern):
            return item
        if isinstance(item, re.Pattern):
            return cls.compile("custom", _inline_flags(item) + item.pattern)
        return cls.compile("custom", item)
