"""The text as the detectors read it: compatibility forms folded, invisible characters dropped, separators unified.

People write a mobile number as ``１３８ 1234 5678``, ``138.1234.5678``, ``138—1234—5678`` or with a
zero-width space pasted in the middle. The detectors should not need a variant for each, so they run on a
folded copy:

* NFKC (full-width digits and letters, ``＠``, circled digits, the ideographic and non-breaking spaces
  become their plain forms);
* zero-width and other invisible characters (``U+200B``–``U+200D``, ``U+2060``, ``U+FEFF``, the soft
  hyphen) are removed;
* every dash and hyphen (en and em dashes, ``U+2010``, the minus sign, …) becomes ``-`` and every
  horizontal space becomes `` ``.

The copy can be shorter or longer than the text, so :class:`Folded` keeps, for each of its characters,
the offset of the character of the original text it came from: masks are applied to the original text,
which keeps its length (a viewer highlights the same offsets in the stored masked text).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Dash-like characters (after NFKC) that people put between digit groups.
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\u2e3a\u2e3b\ufe58\ufe63\uff0d"
# Middle dots, used like a dot between digit groups (and in transliterated names, where folding is harmless).
_DOTS = "\u00b7\u2022\u2027\u30fb\uff65"
# Horizontal spaces NFKC leaves alone (NFKC already maps most of them, e.g. U+00A0, U+3000, to a space).
_SPACES = "\t\u180e"
_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff"

# One character in, one character out: safe to apply before looking at offsets.
_ONE_TO_ONE = {cp: chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)}
_ONE_TO_ONE |= (
    {ord(ch): "-" for ch in _DASHES} | {ord(ch): "." for ch in _DOTS} | {ord(ch): " " for ch in _SPACES}
)
_ONE_TO_ONE[0x3000] = " "
_ONE_TO_ONE[0x00A0] = " "
_ONE_TO_ONE[0x202F] = " "
_ONE_TO_ONE[0x2007] = " "

_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}]")


@dataclass(frozen=True, slots=True)
class Folded:
    """The folded text and, when it is not a one-to-one copy, where each of its characters came from.

    ``origin`` is ``None`` when character ``k`` of ``text`` came from character ``k`` of the original
    (the common case, checked without building a list); otherwise ``origin[k]`` is that original offset,
    and ``origin[len(text)]`` is the original length.
    """

    text: str
    origin: tuple[int, ...] | None

    def source(self, k: int) -> int:
        """Offset in the original text of folded character ``k`` (``k == len(text)`` gives the end)."""
        return k if self.origin is None else self.origin[k]


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    if ch in _INVISIBLE:
        return ""
    return unicodedata.normalize("NFKC", ch).translate(_ONE_TO_ONE)


def fold(text: str) -> Folded:
    """Fold ``text`` for detection (see the module docstring)."""
    if text.isascii():
        return Folded(text.replace("\t", " "), None)
    quick = text.translate(_ONE_TO_ONE)
    if _INVISIBLE_RE.search(quick) is None and unicodedata.is_normalized("NFKC", quick):
        return Folded(quick, None)
    # Character by character, so every folded character knows its source. NFKC of a single character
    # cannot compose it with its neighbours; that only matters for combining accents, never for digits.
    parts: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        folded = _fold_char(ch)
        parts.append(folded)
        origin.extend([i] * len(folded))
    origin.append(len(text))
    return Folded("".join(parts), tuple(origin))
