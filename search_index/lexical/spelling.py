"""'Did you mean': one-edit corrections of query words against the index's own vocabulary."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from search_index.lexical.analyzer import iter_word_spans
from search_index.lexical.normalize import HAN_CHAR
from search_index.lexical.snapshot import Snapshot

_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _edits1(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    transposes = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in _LETTERS]
    inserts = [a + c + b for a, b in splits for c in _LETTERS]
    return set(deletes + transposes + replaces + inserts)


def _correct(snap: Snapshot, word: str, known: Callable[[str], bool]) -> str | None:
    """Most frequent ``known`` word one (or, for long Latin words, two) edits away from ``word``."""
    if word.isascii():
        # Beyond 20 letters it is not a misspelt word (and edits would explode combinatorially).
        if not 3 <= len(word) <= 20 or not word.isalpha():
            return None
        cands = _edits1(word)
        fix = _best_known(snap, cands, known)
        if fix is None and 6 <= len(word) <= 12:
            fix = _best_known(snap, {c2 for c in cands for c2 in _edits1(c) if c2 != word}, known)
        return fix
    if 2 <= len(word) <= 4 and all(HAN_CHAR.match(c) for c in word):
        chars = snap.spell_chars()
        cands = {word[:i] + c + word[i + 1 :] for i in range(len(word)) for c in chars if c != word[i]}
        return _best_known(snap, cands, known)
    return None


def _best_known(snap: Snapshot, cands: Iterable[str], known: Callable[[str], bool]) -> str | None:
    """The most frequent candidate that is a ``known`` word (ties by the word, so the answer is stable).
    ``known`` may read postings, so it runs on words of the vocabulary only, best first, until one passes."""
    scored = sorted(((df, c) for c in cands if (df := snap.spell_df(c)) > 0), reverse=True)
    return next((cand for _df, cand in scored if known(cand)), None)


def suggest(snap: Snapshot, text: str, visible: np.ndarray | None = None) -> str | None:
    """``text`` with up to four unknown words corrected, or None.  With ``visible`` (the search's filter mask)
    a correction must come from a document the searcher may see: it never reveals a word that only
    unpublished work contains."""

    def known(word: str) -> bool:
        return snap.spell_df(word) > 0 and (visible is None or snap.has_visible("spell", word, visible))

    spans = list(iter_word_spans(text, stem=False))
    # Search mode yields overlapping words (蚂蚁, 蚂蚁花呗); correct only the outermost ones.
    outer = [
        (t, s, e)
        for t, s, e in spans
        if not any(s2 <= s and e <= e2 and (s2, e2) != (s, e) for _t, s2, e2 in spans)
    ]
    changed = False
    out = text
    tried = 0
    for term, s, e in sorted(outer, key=lambda x: -x[1]):
        # A word of any document is left alone (a real word is never "corrected"); only what replaces an
        # unknown word must be visible to the searcher.
        if snap.spell_df(term) > 0:
            continue
        tried += 1
        if tried > 4:
            break
        fix = _correct(snap, term, known)
        if fix and fix != term:
            out = out[:s] + fix + out[e:]
            changed = True
    return out.strip() if changed else None
