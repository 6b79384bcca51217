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
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from portal.masking.id_numbers import is_luhn_valid, is_valid_resident_id
from portal.masking.pattern_safety import validate_extra_pattern

__all__ = [
    "MASK_CHAR",
    "ExtraPattern",
    "MaskKind",
    "MaskResult",
    "MaskSpan",
    "mask_text",
]

MASK_CHAR = "*"


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
