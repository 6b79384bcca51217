"""Highlighted snippets: escape first, then wrap matched terms in ``<mark>``.

The stored text is normalised and tokenised with the same analyzer as the index, a token is marked when
its index term is one of the query's terms (so ``deleting`` is marked for a query ``delete``), and the
marks are placed on the *original* characters via the normalisation offset map. Every piece of text is
passed through :func:`html.escape`, so article text can never inject markup.
"""

from __future__ import annotations

import html
from collections.abc import Collection

from .analyzer import _bigram_spans, iter_word_spans, normalize_with_offsets

#: Longest stretch of a field that is tokenised for a snippet (long solutions are cut, not scanned).
MAX_SCAN_CHARS = 20_000


def clean_text(text: str) -> str:
    """Collapse runs of whitespace (Markdown line breaks would make ragged snippets) and cut the text
    to :data:`MAX_SCAN_CHARS`."""
    return " ".join(text[:MAX_SCAN_CHARS].split())


def match_spans(text: str, terms: Collection[str], bigrams: Collection[str] = ()) -> list[tuple[int, int]]:
    """Return merged ``(start, end)`` ranges of ``text`` (original offsets) that match the query.

    Word terms are tried first; Han bigrams only when no word matched, because a paraphrase may share
    characters with the article but not whole words.
    """
    if not text or (not terms and not bigrams):
        return []
    text = text[:MAX_SCAN_CHARS]
    norm, where = normalize_with_offsets(text)
    raw = [(s, e) for t, s, e in iter_word_spans(norm) if t in terms]
    if not raw and bigrams:
        # Bigrams only: a single shared character is too weak to be worth a mark.
        raw = [(s, e) for t, s, e in _bigram_spans(norm) if len(t) == 2 and t in bigrams]
    if not raw:
        return []
    spans = sorted((where[s], where[e - 1] + 1) for s, e in raw)
    merged: list[tuple[int, int]] = [spans[0]]
    for s, e in spans[1:]:
        ls, le = merged[-1]
        if s <= le:
            merged[-1] = (ls, max(le, e))
        else:
            merged.append((s, e))
    return merged


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
