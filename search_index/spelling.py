"""'Did you mean': one-edit corrections of query words against the index's own vocabulary."""

from __future__ import annotations

from .analyzer import iter_word_spans
from .normalize import HAN_CHAR
from .snapshot import Snapshot

_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _edits1(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    transposes = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in _LETTERS]
    inserts = [a + c + b for a, b in splits for c in _LETTERS]
    return set(deletes + transposes + replaces + inserts)


def _correct(snap: Snapshot, word: str) -> str | None:
    """Most frequent known word one (or, for long Latin words, two) edits away from ``word``."""
    best: tuple[int, str] | None = None
    if word.isascii():
        # Beyond 20 letters it is not a misspelt word (and edits would explode combinatorially).
        if not 3 <= len(word) <= 20 or not word.isalpha():
            return None
        cands = _edits1(word)
        scored = [(snap.spell_df(c), c) for c in cands]
        scored = [x for x in scored if x[0] > 0]
        if not scored and 6 <= len(word) <= 12:
            scored = [(snap.spell_df(c2), c2) for c in cands for c2 in _edits1(c) if c2 != word]
            scored = [x for x in scored if x[0] > 0]
        if scored:
            best = max(scored)
    elif 2 <= len(word) <= 4 and all(HAN_CHAR.match(c) for c in word):
        chars = snap.spell_chars()
        for i in range(len(word)):
            for c in chars:
                if c == word[i]:
                    continue
                cand = word[:i] + c + word[i + 1 :]
                df = snap.spell_df(cand)
                if df and (best is None or (df, cand) > best):
                    best = (df, cand)
    return best[1] if best else None


def suggest(snap: Snapshot, text: str) -> str | None:
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
        if snap.spell_df(term) > 0:
            continue
        tried += 1
        if tried > 4:
            break
        fix = _correct(snap, term)
        if fix and fix != term:
            out = out[:s] + fix + out[e:]
            changed = True
    return out.strip() if changed else None


# --- the index --------------------------------------------------------------------------------------
