"""search: mask personal data in queries already in the search log

Agents paste customers' words into the search box; before this revision the log stored them as typed. New
queries are masked before they are stored (articles/search/privacy.py); this masks the rows written
before, with the built-in detectors of conversation imports (mobile, resident ID, bank card, e-mail).

Revision ID: search_0003
Revises: search_0002
Create Date: 2026-12-02 06:20:00
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Iterable
from enum import StrEnum
from typing import NamedTuple

import sqlalchemy as sa
from alembic import op

revision = "search_0003"
down_revision = "search_0002"
branch_labels = None
depends_on = None

_LOG = sa.table(
    "search_log",
    sa.column("id", sa.Integer),
    sa.column("query", sa.String),
    sa.column("query_norm", sa.String),
)


def upgrade() -> None:
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(
            sa.select(_LOG.c.id, _LOG.c.query, _LOG.c.query_norm)
            .where(_LOG.c.id > last)
            .order_by(_LOG.c.id)
            .limit(1000)
        ).all()
        if not rows:
            break
        for row_id, query, query_norm in rows:
            masked, masked_norm = _mask_text(query or ""), _mask_text(query_norm or "")
            if (masked, masked_norm) != (query or "", query_norm or ""):
                conn.execute(
                    _LOG.update().where(_LOG.c.id == row_id).values(query=masked, query_norm=masked_norm)
                )
        last = rows[-1][0]


def downgrade() -> None:
    # Masked text cannot be unmasked, which is the point; the schema is unchanged.
    pass


# --- frozen copy of the built-in detectors as they were when this revision was written -----------------
# A migration must do the same thing whenever it runs, so it does not import the live masking package
# (which keeps evolving); this is that package's built-in detection of 2026-12-02, trimmed to what the
# upgrade calls. Do not "fix" it: a later revision re-masks with the newer detectors if that is wanted.


class _Kind(StrEnum):
    PHONE = "phone"
    RESIDENT_ID = "resident_id"
    BANK_CARD = "bank_card"
    EMAIL = "email"


MaskKind = _Kind
MASK_CHAR = "*"

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


_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20


def _normalise(text: str) -> str:
    return text.translate(_FULLWIDTH)


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


class _Candidate(NamedTuple):  # not a dataclass: Alembic loads revisions outside sys.modules
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


def _mask_text(text: str) -> str:
    """The text with the built-in detectors applied (the search log never had admin patterns applied)."""
    if not text:
        return text
    norm = _normalise(text)
    out = list(text)
    for c in _select(_builtin_candidates(norm)):
        _mask_candidate(norm, out, c)
    return "".join(out)
