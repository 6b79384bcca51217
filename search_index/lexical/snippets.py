"""Highlighted snippets: escape first, then wrap matched terms in ``<mark>``.

The stored text is normalised like the index, a word is marked when its index term is one of the query's
terms (so ``deleting`` is marked for a query ``delete``; Han terms are matched as substrings), and the
marks are placed on the *original* characters via the normalisation offset map. Every piece of text is
passed through :func:`html.escape`, so article text can never inject markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Collection

from search_index.lexical.analyzer import _ASCII_WORD, _term_for
from search_index.lexical.normalize import normalize_text, normalize_with_offsets

#: Longest stretch of a field scanned for a snippet: the beginning of a long answer is enough to show
#: why it matched, and scanning whole answers for ten hits would cost more than the ranking itself.
MAX_SCAN_CHARS = 4_000


def clean_text(text: str) -> str:
    """Collapse runs of whitespace (Markdown line breaks would make ragged snippets) and cut the text
    to :data:`MAX_SCAN_CHARS`."""
    return " ".join(text[:MAX_SCAN_CHARS].split())


class Highlighter:
    """Finds the query's terms in article text; build one per search and reuse it for every hit.

    Scanning is done by one compiled regular expression over the normalised text instead of running the
    analyzer over whole answers: Han terms (and bigrams) are found as substrings, a Latin word is a
    candidate when it starts with a query stem and is marked when its own stem is a query term.
    """

    def __init__(self, terms: Collection[str], bigrams: Collection[str] = ()):
        self.terms = set(terms)
        self.bigrams = {b for b in bigrams if len(b) == 2}
        self._words = self._compile(
            [t for t in self.terms if not t.isascii()], [t for t in self.terms if t.isascii()]
        )
        # Bigrams only: a single shared character is too weak to be worth a mark.
        self._bigrams = self._compile(sorted(self.bigrams), [])

    @staticmethod
    def _compile(literals: list[str], stems: list[str]) -> re.Pattern[str] | None:
        parts = [re.escape(t) for t in sorted(literals, key=len, reverse=True)]
        if stems:
            alternation = "|".join(re.escape(t) for t in sorted(stems, key=len, reverse=True))
            parts.append(r"(?<![0-9a-z])(?:" + alternation + r")[0-9a-z+#&_%'\-]*")
        return re.compile("|".join(parts)) if parts else None

    def _find(self, pattern: re.Pattern[str] | None, norm: str, check_latin: bool) -> list[tuple[int, int]]:
        if pattern is None:
            return []
        out = []
        for m in pattern.finditer(norm):
            s, e = m.span()
            if check_latin and norm[s].isascii():
                word = _ASCII_WORD.match(norm, s)
                if word is None or _term_for(word.group(), stem=True) not in self.terms:
                    continue
                e = word.end()
            out.append((s, e))
        return out

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Merged ``(start, end)`` ranges of ``text`` (original offsets) that match the query.

        Word terms first; bigrams only when no word matched (a paraphrase may share characters with the
        article but not whole words).
        """
        if not text or (not self.terms and not self.bigrams):
            return []
        text = text[:MAX_SCAN_CHARS]
        norm = normalize_text(text)
        where = None if len(norm) == len(text) else normalize_with_offsets(text)[1]
        raw = self._find(self._words, norm, True)
        if not raw:
            raw = self._find(self._bigrams, norm, False)
        if not raw:
            return []
        # Without a map the normalised text is as long as the original, so offsets are the same.
        spans = sorted(raw) if where is None else sorted((where[s], where[e - 1] + 1) for s, e in raw)
        merged: list[tuple[int, int]] = [spans[0]]
        for s, e in spans[1:]:
            ls, le = merged[-1]
            if s <= le:
                merged[-1] = (ls, max(le, e))
            else:
                merged.append((s, e))
        return merged


def match_spans(text: str, terms: Collection[str], bigrams: Collection[str] = ()) -> list[tuple[int, int]]:
    """Shorthand for ``Highlighter(terms, bigrams).spans(text)``."""
    return Highlighter(terms, bigrams).spans(text)


def render(text: str, spans: list[tuple[int, int]], start: int = 0, end: int | None = None) -> str:
    """Escape ``text[start:end]`` and wrap the given spans (clipped to the window) in ``<mark>``."""
    end = len(text) if end is None else end
    out: list[str] = []
    pos = start
    for s, e in spans:
        s, e = max(s, start), min(e, end)
        if s >= e:
            continue
        out.append(html.escape(text[pos:s]))
        out.append("<mark>" + html.escape(text[s:e]) + "</mark>")
        pos = e
    out.append(html.escape(text[pos:end]))
    return "".join(out)


def _best_window(spans: list[tuple[int, int]], width: int) -> int:
    """Start offset of the ``width``-character window that covers the most matched spans."""
    best_start, best_count = spans[0][0], 0
    j = 0
    for i, (s, _e) in enumerate(spans):
        j = max(j, i)
        while j + 1 < len(spans) and spans[j + 1][1] <= s + width:
            j += 1
        if j - i + 1 > best_count:
            best_start, best_count = s, j - i + 1
    return best_start


def make_snippet(
    text: str,
    terms: Collection[str],
    bigrams: Collection[str] = (),
    width: int = 160,
    spans: list[tuple[int, int]] | None = None,
) -> str:
    """Return an HTML snippet of about ``width`` characters around the densest cluster of matches.

    Text without a match gives its beginning, escaped. ``…`` marks a cut on either side. When ``spans``
    are given they must come from :func:`match_spans` on ``text`` already passed through
    :func:`clean_text`.
    """
    if not text:
        return ""
    if spans is None:
        text = clean_text(text)
        spans = match_spans(text, terms, bigrams)
    if len(text) <= width:
        return render(text, spans)
    if spans:
        first = _best_window(spans, width)
        # A little context before the first match reads better than starting on it.
        start = max(0, first - width // 5)
    else:
        start = 0
    end = min(len(text), start + width)
    start = max(0, min(start, end - width))
    # Do not cut a mark in half at either edge.
    for s, e in spans:
        if s < start < e:
            start = s
        if s < end < e:
            end = e
    body = render(text, spans, start, end)
    return ("…" if start > 0 else "") + body + ("…" if end < len(text) else "")
