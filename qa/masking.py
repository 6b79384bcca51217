"""Masking of personal data in interaction transcripts.

Transcripts are masked *before* anything is stored: the service layer calls :func:`mask_text` on every turn
and only ever persists ``MaskResult.text``. Nothing in this module logs, stores or returns the unmasked
values (``MaskSpan`` carries positions and kinds only), so it is safe to log a ``MaskResult``.

What is masked (built-in detectors):

* mainland mobile numbers ``1[3-9]x xxxx xxxx``, optionally with ``+86`` / ``0086`` / ``86`` and single
  spaces or dashes between the 3-4-4 groups → ``138****5678`` (first 3 and last 4 digits kept);
* 18-digit resident ID numbers with a valid GB 11643 check digit (``X``/``x`` allowed) and a real birth date,
  and 15-digit first-generation IDs (6-digit region + ``YYMMDD`` + 3 digits, date validated as 19YY)
  → ``110***********1234`` (first 3 and last 4 kept);
* bank card numbers of 16–19 digits that pass the Luhn check, plain or grouped in 4s with spaces/dashes
  → ``**** **** **** 1234`` (only the last 4 kept: the issuer prefix is not needed to match a customer);
* e-mail addresses → ``z*******@qq.com`` (first character of the local part and the domain kept);
* admin-configured extra patterns (:class:`ExtraPattern`): every non-blank character of a match is masked.

Every masked character is replaced by :data:`MASK_CHAR` one for one, so the masked text has the same length
as the input and the returned spans index both texts alike; a viewer highlights ``MaskResult.spans``.

What is deliberately *not* masked:

* a digit run that is part of a longer alphanumeric token – preceded or followed by an ASCII/full-width
  letter or digit, or joined to one by ``-`` / ``_`` – e.g. order ID ``DD202311230001234567`` or ticket
  ``20231123-A001``;
* an ID-/card-shaped number directly after an order/ticket label (``订单号：``, ``单号``, ``工单号``,
  ``order no.``, …), because e-commerce order numbers are often 16–19 plain digits and some pass Luhn by
  chance. Phone numbers are masked even there: a leaked phone costs more than a masked order number.

Full-width digits, letters, ``＋``, ``－`` and the ideographic space are recognised (``１３８１２３４５６７８``):
detection runs on a copy where those characters are mapped one-to-one to ASCII, so positions stay aligned.

Known limits: landline numbers, names and postal addresses are not detected by the built-ins (configure extra
patterns); the catastrophic-backtracking check in :func:`validate_extra_pattern` is a cheap structural
heuristic (nested unbounded quantifiers), not a proof.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

try:  # The parser is private API; without it only the cheaper checks run.
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on the Python version
    _sre_parse = None

__all__ = [
    "MASK_CHAR",
    "ExtraPattern",
    "MaskKind",
    "MaskResult",
    "MaskSpan",
    "PatternError",
    "is_luhn_valid",
    "is_valid_resident_id",
    "mask_text",
    "resident_id_check_digit",
    "validate_extra_pattern",
]

MASK_CHAR = "*"
MAX_EXTRA_PATTERN_LENGTH = 500


class MaskKind(StrEnum):
    """What a masked span contained."""

    PHONE = "phone"
    RESIDENT_ID = "resident_id"
    BANK_CARD = "bank_card"
    EMAIL = "email"
    CUSTOM = "custom"


@dataclass(frozen=True, slots=True)
class MaskSpan:
    """A masked region ``[start, end)`` of the text (same offsets in the input and the masked text).

    ``label`` is the kind's value for built-in detectors and the admin's label for extra patterns.
    """

    start: int
    end: int
    kind: MaskKind
    label: str


@dataclass(frozen=True, slots=True)
class MaskResult:
    """The masked text and where it was masked. Holds no unmasked value."""

    text: str
    spans: tuple[MaskSpan, ...]

    @property
    def changed(self) -> bool:
        """True when at least one value was masked."""
        return bool(self.spans)

    def counts(self) -> dict[str, int]:
        """Number of masked values per label (for import statistics)."""
        out: dict[str, int] = {}
        for span in self.spans:
            out[span.label] = out.get(span.label, 0) + 1
        return out


class PatternError(ValueError):
    """An admin-supplied extra pattern was rejected; the message says why."""


@dataclass(frozen=True, slots=True)
class ExtraPattern:
    """An admin-configured pattern; build it with :meth:`compile` so it is validated."""

    label: str
    pattern: re.Pattern[str]

    @classmethod
    def compile(cls, label: str, source: str) -> ExtraPattern:
        """Validate ``source`` (see :func:`validate_extra_pattern`) and wrap it with ``label``."""
        return cls(label=label.strip() or MaskKind.CUSTOM.value, pattern=validate_extra_pattern(source))


# --- normalisation ---------------------------------------------------------------------------------------

# Full-width ASCII variants (U+FF01..U+FF5E) map one-to-one onto U+0021..U+007E; the ideographic space
# becomes a space. One character in, one character out, so offsets in the copy equal offsets in the input.
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20


def _normalise(text: str) -> str:
    return text.translate(_FULLWIDTH)


# --- validators ------------------------------------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"


def resident_id_check_digit(first17: str) -> str:
    """GB 11643-1999 check character (``0``–``9`` or ``X``) for the first 17 digits of a resident ID."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("expected exactly 17 ASCII digits")
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def _is_real_date(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def is_valid_resident_id(value: str) -> bool:
    """True for an 18-digit ID with a valid check digit and birth date, or a 15-digit ID with a valid date.

    ``value`` must be the bare digits (``X``/``x`` allowed as the 18th character), no separators.
    """
    if len(value) == 18:
        body, check = value[:17], value[17].upper()
        if not (body.isascii() and body.isdigit()) or body[0] == "0":
            return False
        year = int(body[6:10])
        if not 1900 <= year <= 2099 or not _is_real_date(year, int(body[10:12]), int(body[12:14])):
            return False
        return resident_id_check_digit(body) == check
    if len(value) == 15:
        if not (value.isascii() and value.isdigit()) or value[0] == "0":
            return False
        # First-generation IDs were issued before 2000 and always mean 19YY.
        return _is_real_date(1900 + int(value[6:8]), int(value[8:10]), int(value[10:12]))
    return False


def is_luhn_valid(digits: str) -> bool:
    """Luhn (mod 10) check of a string of ASCII digits."""
    if not digits or not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


# --- detectors -------------------------------------------------------------------------------------------

# A match must not be glued to a longer alphanumeric token (order IDs, ticket IDs): no letter or digit
# directly before/after, and no "-"/"_" joining it to one. Lookbehinds are fixed width, hence two of them.
_TOK = r"[0-9A-Za-z]"
_START = rf"(?<!{_TOK})(?<!{_TOK}[-_])"
_END = rf"(?!{_TOK})(?![-_]{_TOK})"

_PHONE_RE = re.compile(
    _START + r"(?:\(?(?:\+|00)?86\)?[ -]?)?(?P<nat>1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4})" + _END,
    re.ASCII,
)
_ID18_RE = re.compile(_START + r"[1-9][0-9]{5}[ -]?[0-9]{8}[ -]?[0-9]{3}[0-9Xx]" + _END, re.ASCII)
_ID15_RE = re.compile(_START + r"[1-9][0-9]{14}" + _END, re.ASCII)
_CARD_RE = re.compile(
    _START + r"(?:[0-9]{16,19}|[0-9]{4}(?:[ -][0-9]{4}){3}(?:[ -]?[0-9]{1,3})?)" + _END,
    re.ASCII,
)
_EMAIL_RE = re.compile(
    r"(?<![0-9A-Za-z._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}(?![A-Za-z0-9-])",
    re.ASCII,
)
# A number right after one of these labels is an order/ticket/tracking number, not personal data.
_ORDER_LABEL_RE = re.compile(
    r"(?:订单号码?|订单编号|单号|工单号|工单编号|运单号|流水号|交易号|"
    r"order\s*(?:no\.?|number|id|#)?|ticket\s*(?:no\.?|number|id|#)?)\s*[:：#＃]?\s*$",
    re.IGNORECASE,
)
_ORDER_LABEL_LOOKBACK = 12

_MASKABLE_DIGITS = frozenset("0123456789Xx")


@dataclass(frozen=True, slots=True)
class _Candidate:
    start: int
    end: int
    kind: MaskKind
    keep_head: int  # leading digits left visible
    keep_tail: int  # trailing digits left visible
    mask_from: int  # characters before this offset are never masked (the +86 prefix)
    priority: int


def _digits(s: str) -> str:
    return "".join(ch for ch in s if ch in _MASKABLE_DIGITS)


def _after_order_label(norm: str, start: int) -> bool:
    return _ORDER_LABEL_RE.search(norm, max(0, start - _ORDER_LABEL_LOOKBACK), start) is not None


def _scan(pattern: re.Pattern[str], norm: str, accept) -> Iterable[re.Match[str]]:
    """Yield accepted matches; after a rejected one resume one character later.

    A plain ``finditer`` would let a rejected candidate (say, a Luhn-invalid run) hide a valid one
    that starts inside it.
    """
    pos = 0
    while (m := pattern.search(norm, pos)) is not None:
        if accept(m):
            yield m
            pos = m.end()
        else:
            pos = m.start() + 1


def _builtin_candidates(norm: str) -> list[_Candidate]:
    found: list[_Candidate] = []

    def numeric_ok(m: re.Match[str]) -> bool:
        return not _after_order_label(norm, m.start())

    for m in _scan(_EMAIL_RE, norm, lambda m: True):
        found.append(_Candidate(m.start(), m.end(), MaskKind.EMAIL, 0, 0, m.start(), 0))
    for m in _scan(_ID18_RE, norm, lambda m: numeric_ok(m) and is_valid_resident_id(_digits(m.group()))):
        found.append(_Candidate(m.start(), m.end(), MaskKind.RESIDENT_ID, 3, 4, m.start(), 1))
    for m in _scan(_ID15_RE, norm, lambda m: numeric_ok(m) and is_valid_resident_id(m.group())):
        found.append(_Candidate(m.start(), m.end(), MaskKind.RESIDENT_ID, 3, 4, m.start(), 1))
    for m in _scan(_CARD_RE, norm, lambda m: numeric_ok(m) and is_luhn_valid(_digits(m.group()))):
        found.append(_Candidate(m.start(), m.end(), MaskKind.BANK_CARD, 0, 4, m.start(), 2))
    # Phones ignore order labels on purpose: a leaked phone number costs more than a masked order number.
    for m in _scan(_PHONE_RE, norm, lambda m: True):
        found.append(_Candidate(m.start(), m.end(), MaskKind.PHONE, 3, 4, m.start("nat"), 3))
    return found


def _select(cands: list[_Candidate]) -> list[_Candidate]:
    """Pick non-overlapping candidates: longest first, then by kind priority, then leftmost."""
    chosen: list[_Candidate] = []
    starts: list[int] = []
    for c in sorted(cands, key=lambda c: (-(c.end - c.start), c.priority, c.start)):
        i = bisect.bisect_left(starts, c.start)
        if i > 0 and chosen[i - 1].end > c.start:
            continue
        if i < len(chosen) and chosen[i].start < c.end:
            continue
        starts.insert(i, c.start)
        chosen.insert(i, c)
    return chosen


def _mask_candidate(norm: str, out: list[str], c: _Candidate) -> None:
    if c.kind is MaskKind.EMAIL:
        at = norm.index("@", c.start, c.end)
        for i in range(c.start + 1, at):
            out[i] = MASK_CHAR
        return
    positions = [i for i in range(c.mask_from, c.end) if norm[i] in _MASKABLE_DIGITS]
    for i in positions[c.keep_head : len(positions) - c.keep_tail]:
        out[i] = MASK_CHAR


# --- extra patterns --------------------------------------------------------------------------------------


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


def _coerce_extra(item: ExtraPattern | re.Pattern[str] | str) -> ExtraPattern:
    if isinstance(item, ExtraPattern):
        return item
    if isinstance(item, re.Pattern):
        return ExtraPattern(MaskKind.CUSTOM.value, item)
    return ExtraPattern.compile(MaskKind.CUSTOM.value, item)


# --- entry point -----------------------------------------------------------------------------------------


def mask_text(text: str, extra_patterns: Iterable[ExtraPattern | re.Pattern[str] | str] = ()) -> MaskResult:
    """Mask personal data in ``text``; see the module docstring for what is masked and how.

    ``extra_patterns`` are :class:`ExtraPattern` objects (preferred), compiled patterns, or pattern strings
    (validated on the spot, :class:`PatternError` if rejected). They run on the original text, after the
    built-in detectors; where an extra match overlaps a built-in one, the union is masked completely and
    reported as one span with the extra pattern's label.
    """
    if not text:
        return MaskResult(text=text, spans=())
    norm = _normalise(text)
    builtin = _select(_builtin_candidates(norm))
    out = list(text)

    extras: list[tuple[int, int, str]] = []
    for item in extra_patterns:
        extra = _coerce_extra(item)
        extras.extend(
            (m.start(), m.end(), extra.label) for m in extra.pattern.finditer(text) if m.end() > m.start()
        )

    if not extras:
        for c in builtin:
            _mask_candidate(norm, out, c)
        spans = tuple(MaskSpan(c.start, c.end, c.kind, c.kind.value) for c in builtin)
        return MaskResult(text="".join(out), spans=spans)

    # Merge overlapping regions; a group that contains an extra match is masked whole.
    items: list[tuple[int, int, _Candidate | None, str]] = [
        (c.start, c.end, c, c.kind.value) for c in builtin
    ]
    items.extend((s, e, None, label) for s, e, label in extras)
    items.sort(key=lambda t: (t[0], -t[1]))
    spans_out: list[MaskSpan] = []
    i = 0
    while i < len(items):
        start, end, cand, _ = items[i]
        group = [items[i]]
        j = i + 1
        while j < len(items) and items[j][0] < end:
            end = max(end, items[j][1])
            group.append(items[j])
            j += 1
        custom = [g for g in group if g[2] is None]
        if not custom and cand is not None:  # built-ins never overlap each other: a lone built-in
            _mask_candidate(norm, out, cand)
            spans_out.append(MaskSpan(start, end, cand.kind, cand.kind.value))
        else:
            for k in range(start, end):
                if not text[k].isspace():
                    out[k] = MASK_CHAR
            spans_out.append(MaskSpan(start, end, MaskKind.CUSTOM, custom[0][3]))
        i = j
    return MaskResult(text="".join(out), spans=tuple(spans_out))
