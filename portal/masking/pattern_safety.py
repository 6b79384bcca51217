"""Admin-supplied regular expressions for masking: compiled only when they are safe to run on every transcript."""

from __future__ import annotations

import re

try:  # The parser is private API; without it only the cheaper checks run.
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on the Python version
    _sre_parse = None

MAX_EXTRA_PATTERN_LENGTH = 500


class PatternError(ValueError):
    """An admin-supplied extra pattern was rejected; the message says why."""


def _has_nested_unbounded_repeat(parsed) -> bool:
    """True if an unbounded repeat contains another unbounded repeat, e.g. ``(a+)+`` or ``(\\w+\\s?)*``."""
    repeat_ops = {_sre_parse.MAX_REPEAT, _sre_parse.MIN_REPEAT}
    if hasattr(_sre_parse, "POSSESSIVE_REPEAT"):
        repeat_ops.add(_sre_parse.POSSESSIVE_REPEAT)
    maxrepeat = _sre_parse.MAXREPEAT
    atomic = getattr(_sre_parse, "ATOMIC_GROUP", None)

    def children(op, av) -> list:
        if op in repeat_ops:
            return [av[2]]
        if op is _sre_parse.SUBPATTERN:
            return [av[-1]]
        if op is _sre_parse.BRANCH:
            return list(av[1])
        if op in (_sre_parse.ASSERT, _sre_parse.ASSERT_NOT):
            return [av[1]]
        if atomic is not None and op is atomic:
            return [av]
        if op is _sre_parse.GROUPREF_EXISTS:
            return [p for p in av[1:] if p is not None]
        return []

    def walk(items, inside_unbounded: bool) -> bool:
        for op, av in items:
            unbounded = op in repeat_ops and av[1] == maxrepeat
            if unbounded and inside_unbounded:
                return True
            if any(walk(child, inside_unbounded or unbounded) for child in children(op, av)):
                return True
        return False

    return walk(parsed, False)


def validate_extra_pattern(source: str) -> re.Pattern[str]:
    """Compile an admin-supplied regular expression or raise :class:`PatternError` with a clear message.

    Rejected: non-strings, blank or overlong patterns, syntax errors, patterns that can match the empty
    string (they would "mask" nothing and everything at once), and nested unbounded quantifiers such as
    ``(a+)+`` that can backtrack catastrophically.
    """
    if not isinstance(source, str):
        raise PatternError("the pattern must be text")
    if not source.strip():
        raise PatternError("the pattern is empty")
    if len(source) > MAX_EXTRA_PATTERN_LENGTH:
        raise PatternError(f"the pattern is longer than {MAX_EXTRA_PATTERN_LENGTH} characters")
    try:
        compiled = re.compile(source)
    except re.error as exc:
        where = f" at position {exc.pos}" if exc.pos is not None else ""
        raise PatternError(f"invalid regular expression{where}: {exc.msg}") from None
    if _sre_parse is not None:
        parsed = _sre_parse.parse(source)
        if parsed.getwidth()[0] == 0:
            raise PatternError("the pattern can match an empty string; require at least one character")
        if _has_nested_unbounded_repeat(parsed):
            raise PatternError(
                "the pattern nests unbounded repeats (like (a+)+) and could hang on long text; "
                "rewrite it without a repeat inside a repeat"
            )
    if compiled.search("") is not None:
        raise PatternError("the pattern can match an empty string; require at least one character")
    return compiled
