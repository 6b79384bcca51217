"""Text analysis shared by indexing and querying.

Everything the index stores and everything a query is matched with goes through :func:`normalize_text`
first, so that full-width/half-width forms, upper/lower case and common traditional characters meet
in one spelling. Chinese is segmented with jieba in *search* mode (a long word also yields its
shorter words), English words are lower-cased and Porter-stemmed, and mixed text is handled by the
same pass because jieba keeps ASCII runs together.

Public interface (other modules build on these names):

- :func:`normalize_text` (from :mod:`search_index.lexical.normalize`, where :func:`normalize_with_offsets` lives too)
- :func:`word_tokens` (plain list of index terms), :func:`outer_word_tokens`, :func:`cjk_bigrams`,
  :func:`cjk_unigrams`, :func:`latin_grams`, :func:`spelling_tokens`
- :func:`chinese_analyzer`, :func:`bigram_analyzer`, :func:`latin_gram_analyzer`,
  :func:`spelling_analyzer` (Whoosh analyzers)
- :func:`load_user_dictionary` (admin-edited words added to jieba at run time)
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import jieba
from whoosh.analysis import Token, Tokenizer
from whoosh.lang.porter import stem as porter_stem

from search_index.lexical.normalize import HAN_CHAR, normalize_text
from search_index.lexical.stopwords import EN_STOPWORDS, ZH_STOPWORDS

jieba.setLogLevel(logging.WARNING)

_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORDCHAR = re.compile(r"\w", re.UNICODE)
# A token worth indexing has a letter, digit or Han character; "***" (masked numbers), "_" and
# emoji are not searchable content.
_USEFUL = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u00c0-\u024f\u0400-\u04ff]")

_RUNS = re.compile(r"([\x00-\x7f]+)|([^\x00-\x7f]+)")
# Like jieba's own rule for Latin runs: letters and digits joined by + # & . _ % - stay one token
# (c++, e-mail, 3.5), apostrophes keep contractions together so the stopword list can drop them.
_ASCII_WORD = re.compile(r"[0-9a-z](?:[0-9a-z+#&_%'\-]|\.(?=[0-9a-z]))*")
_jieba_lock = threading.Lock()
_DEFAULT_DICT = Path(__file__).parents[1] / "data" / "userdict_zh.txt"
_default_dict_loaded = False


def _ensure_default_dictionary() -> None:
    # Lazy so that importing the package stays cheap; jieba loads its own dictionary on first use too.
    global _default_dict_loaded
    if _default_dict_loaded:
        return
    _default_dict_loaded = True
    load_user_dictionary(read_word_list(_DEFAULT_DICT.read_text(encoding="utf-8")))


def warm_up() -> None:
    """Load jieba's dictionary and the default user dictionary now instead of at the first search (a
    server's master does this before forking, so its workers share the memory)."""
    word_tokens("预热")


def read_word_list(text: str) -> list[str | tuple[str, int]]:
    """Parse a user-dictionary text: one word a line, optional frequency after a space, ``#`` comments."""
    out: list[str | tuple[str, int]] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) >= 2 and parts[1].isdigit():
            out.append((parts[0], int(parts[1])))
        else:
            out.append(parts[0])
    return out


@lru_cache(maxsize=100_000)
def _stem(word: str) -> str:
    return str(porter_stem(word))


def _term_for(word: str, *, stem: bool) -> str | None:
    """Map one jieba piece (already normalised) to its index term, or None when it is not content."""
    if not _USEFUL.search(word):
        return None
    if word.isascii():
        w = word.strip("._-'&%")
        if not w or w in EN_STOPWORDS or not _USEFUL.search(w):
            return None
        return _stem(w) if stem and w.isalpha() else w
    if word in ZH_STOPWORDS:
        return None
    return word


def iter_word_spans(
    normalized: str, *, stem: bool = True, latin_only: bool = False
) -> Iterator[tuple[str, int, int]]:
    """Yield ``(term, start, end)`` for the index terms of an already normalised string.

    jieba search mode yields a long word and also its shorter dictionary words (蚂蚁花呗 → 蚂蚁, 花呗,
    蚂蚁花呗), so a query for either form finds the other. ``latin_only`` skips the non-ASCII runs
    (and jieba): the Latin-word terms alone, for fields that only use those.
    """
    if not normalized:
        return
    if not _default_dict_loaded and not latin_only:
        _ensure_default_dictionary()
    # ASCII runs are split by a regex (jieba is slow on long English text and would only split on
    # the same characters); the rest goes through jieba. Both paths serve documents and queries alike.
    for run in _RUNS.finditer(normalized):
        base = run.start()
        if run.group(1) is not None:
            for m in _ASCII_WORD.finditer(run.group(1)):
                term = _term_for(m.group(), stem=stem)
                if term is not None:
                    yield term, base + m.start(), base + m.end()
            continue
        if latin_only:
            continue
        for word, start, end in _jieba_search(run.group(2)):
            term = _term_for(word, stem=stem)
            if term is not None:
                yield term, base + start, base + end


@lru_cache(maxsize=50_000)
def _jieba_search(run: str) -> tuple[tuple[str, int, int], ...]:
    # Cached: the index tokenises a title for several fields, and popular queries repeat.
    # HMM off: its guesses for unknown words (我交, 没扣) differ between two phrasings of one question,
    # while dictionary words and the bigram field match reliably (measured in benchmarks/search_bench.py).
    return tuple(jieba.tokenize(run, mode="search", HMM=False))


def word_tokens(text: str, *, stem: bool = True, normalized: bool = False) -> list[str]:
    """Return the word-level index terms of ``text`` (normalised first unless ``normalized``)."""
    norm = text if normalized else normalize_text(text)
    return [t for t, _s, _e in iter_word_spans(norm, stem=stem)]


def outer_word_tokens(text: str, *, stem: bool = True, normalized: bool = False) -> list[str]:
    """Word terms without the shorter words search mode adds inside longer ones (蚂蚁花呗, not 蚂蚁).

    Used for synonym expansions: the member 蚂蚁花呗 should add that product name, not 蚂蚁 on its own
    (which would pull in 蚂蚁借呗 articles).
    """
    norm = text if normalized else normalize_text(text)
    spans = list(iter_word_spans(norm, stem=stem))
    return [
        t
        for t, s, e in spans
        if not any(s2 <= s and e <= e2 and (e2 - s2) > (e - s) for _t2, s2, e2 in spans)
    ]


def spelling_tokens(text: str, *, normalized: bool = False) -> list[str]:
    """Word terms without stemming: the vocabulary "did you mean" suggests from."""
    return word_tokens(text, stem=False, normalized=normalized)


def cjk_bigrams(text: str, *, normalized: bool = False) -> list[str]:
    """Overlapping Han-character bigrams (a single Han character stays a unigram).

    Customers paraphrase Chinese questions with words jieba segments differently from the article
    (花呗提额 vs 提升花呗额度); character bigrams still overlap where whole words do not.
    """
    norm = text if normalized else normalize_text(text)
    out: list[str] = []
    for run in _HAN_RUN.findall(norm):
        if len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


#: Length of the character n-grams of Latin-script words (see :func:`latin_grams`).
LATIN_GRAM = 4


def _latin_gram_spans(normalized: str) -> Iterator[tuple[str, int, int]]:
    # Grams of the *index term* (stemmed, stop words dropped), marked at both ends, so "git hub" and
    # "github" share #git and hub#, and a misspelt "colaborator" still shares most grams of "collaborator".
    for term, start, end in iter_word_spans(normalized, stem=True, latin_only=True):
        marked = f"#{term}#"
        if len(marked) <= LATIN_GRAM:
            yield marked, start, end
            continue
        for i in range(len(marked) - LATIN_GRAM + 1):
            yield marked[i : i + LATIN_GRAM], start, end


def latin_grams(text: str, *, normalized: bool = False) -> list[str]:
    """Character 4-grams of the Latin-script word terms of ``text`` (``#log``, ``logi``, ``ogin``, ``gin#``).

    The English counterpart of the Han bigrams: crowd-written questions split, join or misspell words
    ("git hub", "e mails", "colaborator") that whole-word matching misses.
    """
    norm = text if normalized else normalize_text(text)
    return [t for t, _s, _e in _latin_gram_spans(norm)]


def cjk_unigrams(text: str, *, normalized: bool = False) -> list[str]:
    """Every Han character: the weakest paraphrase signal (交 in 交电费 / 缴电费 after normalisation)."""
    norm = text if normalized else normalize_text(text)
    return HAN_CHAR.findall(norm)


def load_user_dictionary(words: Iterable[str | tuple[str, int]]) -> int:
    """Add admin-edited words (product names, 蚂蚁花呗 …) to jieba's dictionary in this process.

    Each item is a word or ``(word, frequency)``. Words are normalised like indexed text. Returns how many
    words were added. Call it in every worker at start-up and after an admin edit; queries use the new
    segmentation at once, already indexed articles only after a reindex (the bigram field still matches
    them meanwhile).
    """
    if not _default_dict_loaded:
        # The bundled words go in first so that an admin's frequencies override them.
        _ensure_default_dictionary()
    n = 0
    with _jieba_lock:
        for item in words:
            word, freq = (item, None) if isinstance(item, str) else (item[0], int(item[1]))
            word = normalize_text(word).strip()
            if not word or any(c.isspace() for c in word):
                continue
            # suggest_freq makes sure the word is not split again by a higher-frequency segmentation.
            jieba.add_word(word, freq=freq if freq is not None else jieba.suggest_freq(word, tune=False))
            n += 1
    if n:
        dictionary_changed()
    return n


def remove_user_words(words: Iterable[str]) -> None:
    """Take words an admin removed out of jieba's dictionary in this process (normalised like
    :func:`load_user_dictionary`), and forget the tokenisations that used them."""
    with _jieba_lock:
        for word in words:
            jieba.del_word(word)
    dictionary_changed()


def dictionary_changed() -> None:
    """Drop cached tokenisations after jieba's dictionary changed (and tell caches keyed by
    :data:`dictionary_version`)."""
    _jieba_search.cache_clear()
    dictionary_version[0] += 1


# Bumped whenever the jieba dictionary changes, so callers that cache tokenisations can drop them.
dictionary_version = [0]


# --- Whoosh adapters --------------------------------------------------------------------------------


class _FunctionTokenizer(Tokenizer):
    """Whoosh tokenizer around one of the span functions above."""

    def __init__(self, kind: str):
        self.kind = kind

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _FunctionTokenizer) and type(other) is type(self) and other.kind == self.kind

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        norm = normalize_text(value)
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if self.kind == "bigram":
            spans: Iterable[tuple[str, int, int]] = _bigram_spans(norm, unigrams=True)
        elif self.kind == "latin_gram":
            spans = _latin_gram_spans(norm)
        else:
            spans = iter_word_spans(norm, stem=self.kind == "word")
        for pos, (term, start, end) in enumerate(spans):
            token.text = term
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = norm[start:end]
            if positions:
                token.pos = start_pos + pos
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


def _bigram_spans(norm: str, unigrams: bool = False) -> Iterator[tuple[str, int, int]]:
    for m in _HAN_RUN.finditer(norm):
        run, base = m.group(), m.start()
        if len(run) == 1:
            yield run, base, base + 1
            continue
        for i in range(len(run) - 1):
            yield run[i : i + 2], base + i, base + i + 2
        if unigrams:
            for i, ch in enumerate(run):
                yield ch, base + i, base + i + 1


def chinese_analyzer() -> Tokenizer:
    """Whoosh analyzer for article text: normalise, jieba search mode, drop fillers, stem English."""
    return _FunctionTokenizer("word")


def spelling_analyzer() -> Tokenizer:
    """Like :func:`chinese_analyzer` but without stemming (terms are shown to users as suggestions)."""
    return _FunctionTokenizer("spell")


def bigram_analyzer() -> Tokenizer:
    """Whoosh analyzer yielding Han-character bigrams and unigrams (:func:`cjk_bigrams`,
    :func:`cjk_unigrams`); one- and two-character terms never collide, so they share a field."""
    return _FunctionTokenizer("bigram")


def latin_gram_analyzer() -> Tokenizer:
    """Whoosh analyzer yielding the character n-grams of Latin-script words (:func:`latin_grams`)."""
    return _FunctionTokenizer("latin_gram")
