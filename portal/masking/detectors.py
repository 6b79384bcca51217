"""The built-in detectors: where, in the folded text, personal data sits and how much of it stays visible.

They read the folded copy (:mod:`portal.masking.normalise`), so one pattern covers every way of writing a
number: digit groups may be split by up to three spaces, dots or dashes (``138 1234 5678``,
``138.1234.5678``, ``6217 00 1234567890123``), in any grouping.

* mainland mobile numbers ``1[3-9]`` + 9 digits, optionally after ``+86`` / ``0086`` / ``86``: the first 3
  and last 4 digits stay visible;
* 18-digit resident ID numbers with a valid GB 11643 check digit and a real birth date (first 3 and last
  4 visible), and unseparated 15-digit first-generation IDs (a plain 15-digit run with a valid date);
* bank card numbers of 16–19 digits that pass the Luhn check: only the last 4 digits stay visible;
* e-mail addresses, also with spaces around ``@`` or a Unicode domain (``张三@例子.中国`` is not an
  address, its local part is not ASCII; ``zhang@例子.中国`` is): the first character of the local part and
  the domain stay visible;
* street addresses that go below the city (a street with a house number, and what follows it: building,
  unit, room): the province and city stay, the rest is masked.

Not masked, on purpose: a number glued to a longer token (a letter or digit directly before or after, or
one joined by ``-`` / ``_``: order ``DD202311230001234567``, ticket ``20231123-A001``); an ID- or
card-shaped number right after an order/ticket label (``订单号：``), since order numbers are often 16–19
plain digits and some pass Luhn by chance (phones are masked even there: a leaked phone costs more than a
masked order number); a province or city without a street.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from portal.masking.id_numbers import is_luhn_valid, is_valid_resident_id
from portal.masking.result import MaskKind

# A number must not be glued to a longer alphanumeric token: no letter or digit directly before/after,
# and no "-"/"_" joining it to one. Lookbehinds are fixed width, hence two of them.
_TOK = r"[0-9A-Za-z]"
_START = rf"(?<!{_TOK})(?<!{_TOK}[-_])"
_END = rf"(?!{_TOK})(?![-_]{_TOK})"
# Between two digits of one number: nothing, or up to three spaces, dots and dashes.
_SEP = r"[ .\-]{0,3}"


def _digits(count: int) -> str:
    """``count`` digits, each after an optional separator."""
    return f"(?:{_SEP}[0-9]){{{count}}}"


_PHONE_RE = re.compile(
    _START + rf"(?:\(?(?:\+|00)?86\)?{_SEP})?(?P<nat>1{_SEP}[3-9]{_digits(9)})" + _END, re.ASCII
)
_ID18_RE = re.compile(_START + rf"[1-9]{_digits(16)}{_SEP}[0-9Xx]" + _END, re.ASCII)
_ID15_RE = re.compile(_START + r"[1-9][0-9]{14}" + _END, re.ASCII)
_CARD_RES = tuple(re.compile(_START + f"[0-9]{_digits(n - 1)}" + _END, re.ASCII) for n in range(16, 20))
# Local part ASCII (a Chinese word glued before it is not part of the address); the domain may be
# Unicode; spaces are tolerated around "@" because people type them.
_LABEL = r"[^\W_](?:[\w-]{0,62}[^\W_])?"
_EMAIL_RE = re.compile(
    rf"(?<![0-9A-Za-z._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{{0,63}} {{0,2}}@ {{0,2}}{_LABEL}(?:\.{_LABEL})*?"
    r"\.(?:[A-Za-z]{2,24}(?![0-9A-Za-z-])|[^\W\d_]{2,24})"
)

# Street addresses. What precedes the end of a city name (市, 自治州, 地区, 盟) stays visible: the province
# and the city. From the district on, a street with a house number and what is glued to it (building,
# unit, room, campus) is masked.
_HAN = "[\u4e00-\u9fff]"
_DISTRICT = rf"(?:{_HAN}{{1,6}}?(?:区|县|旗|市))?(?:{_HAN}{{1,6}}?(?:街道|镇|乡))?"
_STREET = r"[\u4e00-\u9fff0-9]{1,10}?(?:大道|大街|路|街|道|巷|弄|胡同|村|里)"
_HOUSE = r"(?:[一二三四五六七八九十]{1,3}段)?[0-9]{1,5}(?:-[0-9]{1,5})?(?:号院|号楼|号|弄|栋|幢|座|组)"
_UNIT = (
    r"(?:[\u4e00-\u9fffA-Za-z0-9#-]{0,16}?"
    r"(?:室|层|楼|栋|幢|座|单元|号|房|大学|学院|医院|中心|大厦|广场|花园|小区|公寓|园|城|苑)){0,4}"
)
# Anchored at the end of each city name, so the pattern never scans across the whole text.
_CITY_END_RE = re.compile(rf"(?<={_HAN})(?:市|自治州|地区|盟)")
_ADDRESS_DETAIL_RE = re.compile(f"{_DISTRICT}{_STREET}{_HOUSE}{_UNIT}")
_STREET_HINT_RE = re.compile("大道|大街|路|街|道|巷|弄|胡同|村|里")

# A number right after one of these labels is an order/ticket/tracking number, not personal data.
_ORDER_LABEL_RE = re.compile(
    r"(?:订单号码?|订单编号|单号|工单号|工单编号|运单号|流水号|交易号|"
    r"order\s*(?:no\.?|number|id|#)?|ticket\s*(?:no\.?|number|id|#)?)\s*[:：#＃]?\s*$",
    re.IGNORECASE,
)
_ORDER_LABEL_LOOKBACK = 12

MASKABLE_DIGITS = frozenset("0123456789Xx")
_DIGIT_CHARS = "0123456789"
_FEWEST_DIGITS = 11  # a mobile number, the shortest numeric detector
# Digits joined by separators: every numeric detection lies inside one such run.
_CLUSTER_RE = re.compile(rf"[0-9](?:{_SEP}[0-9])*", re.ASCII)
_BEFORE = 8  # "(+0086)" and separators before the digits
_AFTER = 6  # separators and an ID's check letter after them, then the two characters the glue test reads


@dataclass(frozen=True, slots=True)
class Candidate:
    """A detected value in the folded text: ``[start, end)``, what to keep visible and from where to mask."""

    start: int
    end: int
    kind: MaskKind
    keep_head: int  # leading digits left visible
    keep_tail: int  # trailing digits left visible
    mask_from: int  # characters before this offset are never masked (the +86 prefix, the city)
    priority: int


def _digits_of(s: str) -> str:
    return "".join(ch for ch in s if ch in MASKABLE_DIGITS)


def _after_order_label(norm: str, start: int) -> bool:
    return _ORDER_LABEL_RE.search(norm, max(0, start - _ORDER_LABEL_LOOKBACK), start) is not None


def _scan(
    pattern: re.Pattern[str], norm: str, window: tuple[int, int], accept: Callable[[re.Match[str]], bool]
) -> Iterator[re.Match[str]]:
    """Yield accepted matches inside ``window``; after a rejected one resume one character later.

    A plain ``finditer`` would let a rejected candidate (say, a Luhn-invalid run) hide a valid one
    that starts inside it.
    """
    pos, endpos = window
    while (m := pattern.search(norm, pos, endpos)) is not None:
        if accept(m):
            yield m
            pos = m.end()
        else:
            pos = m.start() + 1


def _numeric(norm: str, window: tuple[int, int], found: list[Candidate]) -> None:
    def numeric_ok(m: re.Match[str]) -> bool:
        return not _after_order_label(norm, m.start())

    def id18_ok(m: re.Match[str]) -> bool:
        return numeric_ok(m) and is_valid_resident_id(_digits_of(m.group()))

    def id15_ok(m: re.Match[str]) -> bool:
        return numeric_ok(m) and is_valid_resident_id(m.group())

    def card_ok(m: re.Match[str]) -> bool:
        return numeric_ok(m) and is_luhn_valid(_digits_of(m.group()))

    for m in _scan(_ID18_RE, norm, window, id18_ok):
        found.append(Candidate(m.start(), m.end(), MaskKind.RESIDENT_ID, 3, 4, m.start(), 1))
    for m in _scan(_ID15_RE, norm, window, id15_ok):
        found.append(Candidate(m.start(), m.end(), MaskKind.RESIDENT_ID, 3, 4, m.start(), 1))
    for card_re in _CARD_RES:
        for m in _scan(card_re, norm, window, card_ok):
            found.append(Candidate(m.start(), m.end(), MaskKind.BANK_CARD, 0, 4, m.start(), 2))
    # Phones ignore order labels on purpose: a leaked phone number costs more than a masked order number.
    for m in _PHONE_RE.finditer(norm, *window):
        found.append(Candidate(m.start(), m.end(), MaskKind.PHONE, 3, 4, m.start("nat"), 3))


def _number_windows(norm: str) -> Iterator[tuple[int, int]]:
    """Stretches of ``norm`` that can hold a mobile, ID or card: runs of at least 11 digits joined by
    separators, widened for the ``(+86)`` prefix before and the check letter and glue tests after."""
    for cluster in _CLUSTER_RE.finditer(norm):
        run = cluster.group()
        if len(run) - sum(map(run.count, " .-")) >= _FEWEST_DIGITS:
            yield max(0, cluster.start() - _BEFORE), min(len(norm), cluster.end() + _AFTER)


def candidates(norm: str) -> list[Candidate]:
    """Every built-in detection in the folded text ``norm`` (they may overlap; see :func:`select`)."""
    found: list[Candidate] = []
    if "@" in norm:
        for m in _EMAIL_RE.finditer(norm):
            found.append(Candidate(m.start(), m.end(), MaskKind.EMAIL, 0, 0, m.start(), 0))
    if sum(map(norm.count, _DIGIT_CHARS)) >= _FEWEST_DIGITS:
        for window in _number_windows(norm):
            _numeric(norm, window, found)
    if _STREET_HINT_RE.search(norm) is not None and _CITY_END_RE.search(norm) is not None:
        for city in _CITY_END_RE.finditer(norm):
            if (detail := _ADDRESS_DETAIL_RE.match(norm, city.end())) is not None:
                start, end = detail.span()
                found.append(Candidate(start, end, MaskKind.ADDRESS, 0, 0, start, 4))
    return found


def select(cands: list[Candidate]) -> list[Candidate]:
    """Pick non-overlapping candidates: longest first, then by kind priority, then leftmost."""
    chosen: list[Candidate] = []
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


def masked_positions(norm: str, c: Candidate) -> list[int]:
    """Offsets in the folded text that ``c`` hides."""
    if c.kind is MaskKind.EMAIL:
        at = norm.index("@", c.start, c.end)
        return [i for i in range(c.start + 1, at) if not norm[i].isspace()]
    if c.kind is MaskKind.ADDRESS:
        return [i for i in range(c.mask_from, c.end) if not norm[i].isspace()]
    positions = [i for i in range(c.mask_from, c.end) if norm[i] in MASKABLE_DIGITS]
    return positions[c.keep_head : len(positions) - c.keep_tail]
