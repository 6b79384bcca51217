"""A search query turned into weighted index terms (the ranker's and the highlighter's input)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from search_index.lexical.analyzer import (
    cjk_bigrams,
    cjk_unigrams,
    latin_grams,
    outer_word_tokens,
    word_tokens,
)
from search_index.lexical.normalize import normalize_text
from search_index.lexical.snippets import Highlighter
from search_index.lexical.synonyms import SynonymMap
from search_index.ranking.config import DEFAULT_RANKING, RankingConfig

#: Longer queries are cut: nobody types more, and scoring cost grows with the number of terms.
MAX_QUERY_CHARS = 200


@dataclass
class AnalyzedQuery:
    """A query turned into weighted index terms."""

    text: str
    words: dict[str, float]
    bigrams: dict[str, float]
    grams: dict[str, float] = field(default_factory=dict)
    _highlighter: Highlighter | None = field(default=None, repr=False, compare=False)

    def highlighter(self) -> Highlighter:
        """The snippet highlighter for these terms (built once per query)."""
        if self._highlighter is None:
            self._highlighter = Highlighter(self.words.keys(), self.bigrams.keys())
        return self._highlighter

    @property
    def empty(self) -> bool:
        """True when nothing searchable is left (punctuation, emoji, only filler words)."""
        return not self.words and not self.bigrams


def _weight(count: int) -> float:
    # A repeated word matters a little more, but a pasted paragraph must not be dominated by it.
    return 1.0 + 0.25 * (min(count, 3) - 1)


def analyze_query(
    query: Any, synonyms: SynonymMap | None = None, ranking: RankingConfig = DEFAULT_RANKING
) -> AnalyzedQuery:
    """Normalise, cut, rewrite with synonyms and tokenise a query. Never raises on text input.

    Words that only come from a synonym group weigh ``ranking.synonym_weight``; single Han characters
    (in the bigram field) ``ranking.unigram_weight``.
    """
    text = query if isinstance(query, str) else ("" if query is None else str(query))
    text = normalize_text(text[: MAX_QUERY_CHARS * 4])[:MAX_QUERY_CHARS]
    expansions: tuple[str, ...] = ()
    if synonyms is not None and text.strip():
        rw = synonyms.apply(text)
        text, expansions = rw.text, rw.expansions
    words = {t: _weight(c) for t, c in Counter(word_tokens(text, normalized=True)).items()}
    bigrams = {t: _weight(c) for t, c in Counter(cjk_bigrams(text, normalized=True)).items()}
    for t in cjk_unigrams(text, normalized=True):
        bigrams.setdefault(t, ranking.unigram_weight)
    for phrase in expansions:
        # Whole words only: the pieces of a synonym (蚂蚁 of 蚂蚁花呗) are not synonyms themselves.
        for t in outer_word_tokens(phrase, normalized=True):
            words.setdefault(t, ranking.synonym_weight)
    grams = dict.fromkeys(latin_grams(text, normalized=True), 1.0)
    return AnalyzedQuery(text, words, bigrams, grams)
