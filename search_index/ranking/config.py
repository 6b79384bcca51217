"""Every tunable of the ranking, in one frozen dataclass.

The ranking runs in stages (see :mod:`search_index.ranking.pipeline`): BM25F over the fields, the title
re-rank of Chinese queries, the weighted-sum fusion with the semantic side, and the learned model that
re-orders the head of Chinese queries. Each stage reads its weights from the engine's
:class:`RankingConfig`; the defaults are the values chosen on the benchmark's dev queries (how, and with
which figures: ``docs/SEARCH.md``).

The shipped learned model (``data/fusion_zh.json``) records :meth:`RankingConfig.signature` of the config it
was trained with; a test fails when a default changes without retraining (``python -m
search_index.ranking.train``), because the model's features would silently drift from what it learnt.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class FieldParams:
    """BM25 parameters of one field: its weight in the sum and the usual k1/b."""

    weight: float
    k1: float = 1.2
    b: float = 0.75


def _field_params() -> MappingProxyType[str, FieldParams]:
    return MappingProxyType(
        {
            "title": FieldParams(weight=2.0, k1=1.2, b=0.75),
            "scenario": FieldParams(weight=1.5, k1=1.2, b=0.75),
            # Long answers: a higher k1 lets a word that recurs in the answer count for more.
            "solution": FieldParams(weight=1.5, k1=3.0, b=0.75),
            "notes": FieldParams(weight=0.7, k1=1.2, b=0.75),
            "tags": FieldParams(weight=1.5, k1=1.2, b=0.0),
            "title_bigrams": FieldParams(weight=2.0, k1=1.2, b=0.75),
            # Character 4-grams of English words: a partial match on split, joined or misspelt words,
            # weaker than whole words.
            "title_grams": FieldParams(weight=0.8, k1=1.2, b=0.75),
            "body_grams": FieldParams(weight=0.4, k1=1.2, b=0.75),
        }
    )


def _thresholds() -> MappingProxyType[str, tuple[float, float]]:
    return MappingProxyType({"use-m3": (0.70, 0.85), "e5-small-q4": (0.90, 0.95)})


def _min_cosine() -> MappingProxyType[str, tuple[float, float]]:
    return MappingProxyType({"use-m3": (0.35, 0.35), "e5-small-q4": (0.90, 0.86)})


#: Fields that change neither the learned model's candidates nor its features (the similar-articles
#: thresholds, the "did you mean" trigger, the fusion method of non-Chinese queries' fallback).
_NOT_TRAINED_ON = frozenset({"suggest_below", "similar_thresholds", "min_cosine"})


@dataclass(frozen=True)
class RankingConfig:
    """The ranking's weights, depths and switches (defaults: the tuned values)."""

    # --- query analysis -------------------------------------------------------------------------------
    #: Weight of a synonym's terms relative to the query's own words.
    synonym_weight: float = 0.6
    #: Weight of single Han characters relative to bigrams (the weakest paraphrase signal).
    unigram_weight: float = 0.8

    # --- BM25F ---------------------------------------------------------------------------------------
    #: Field weights and BM25 parameters: title > scenario > solution > notes; the character field
    #: (bigrams and unigrams of title and scenario) weighs as much as the title words.
    field_params: MappingProxyType[str, FieldParams] = field(default_factory=_field_params)
    #: "Did you mean" is computed when a query finds fewer results than this.
    suggest_below: int = 3

    # --- title re-rank (Chinese queries) ----------------------------------------------------------------
    #: The best ``rerank_depth`` BM25 hits (scaled so the best is 1.0) get ``title_overlap_weight`` x the
    #: Jaccard similarity of query and title Han characters plus ``title_order_weight`` x their
    #: character-sequence similarity (2·LCS / total length).
    title_overlap_weight: float = 2.0
    title_order_weight: float = 0.5
    rerank_depth: int = 50

    # --- weighted-sum fusion with the semantic side -------------------------------------------------
    #: "weighted" (min-max normalised weighted sum) or "rrf".
    fusion_method: str = "weighted"
    #: fused = alpha * semantic + (1 - alpha) * lexical.
    alpha: float = 0.5
    #: Hits each side contributes before fusion.
    lexical_depth: int = 50
    semantic_depth: int = 50
    #: Reciprocal-rank fusion (the alternative): sum(weight / (rrf_k + rank)).
    rrf_k: int = 3
    lexical_weight: float = 0.5
    semantic_weight: float = 1.0
    #: Per model: (similar-articles threshold, possible-duplicate threshold) of the cosine.
    similar_thresholds: MappingProxyType[str, tuple[float, float]] = field(default_factory=_thresholds)
    #: Per model: lowest cosine of a semantic-only hit as (query with Chinese characters, other query).
    min_cosine: MappingProxyType[str, tuple[float, float]] = field(default_factory=_min_cosine)

    # --- learned fusion (Chinese queries) ---------------------------------------------------------------
    #: The learned model re-orders the weighted sum's top ``learned_depth``.
    learned_depth: int = 40
    #: Weight of the neighbour density in the ``csls_cosine`` feature.
    csls_weight: float = 0.5
    #: Rank offset of the reciprocal-rank features.
    rank_offset: int = 3
    #: The index field whose document frequencies are the idf of the rarity features.
    idf_field: str = "title_bigrams"

    # --- neighbour density ----------------------------------------------------------------------------
    #: Compute each article's neighbour density (CSLS) for the learned model; off, the two density
    #: features read 0 and no worker spends start-up CPU on them (the model must be trained alike).
    neighbour_density: bool = True
    #: Neighbours whose mean cosine is an article's density (k of CSLS).
    density_neighbours: int = 10
    #: Coarse candidates re-scored exactly per article when the matrix is PCA-projected (large bases).
    density_candidates: int = 256

    def thresholds_for(self, model_name: str | None) -> tuple[float, float]:
        """(similar, duplicate) cosine thresholds of a model; the default model's for an unknown one."""
        return self.similar_thresholds.get(model_name or "", self.similar_thresholds["use-m3"])

    def trained_values(self) -> dict[str, Any]:
        """The values the learned model depends on, as plain JSON data (recorded in the model file)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name in _NOT_TRAINED_ON:
                continue
            value = getattr(self, f.name)
            if f.name == "field_params":
                value = {name: asdict(p) for name, p in sorted(value.items())}
            out[f.name] = value
        return out

    def signature(self) -> str:
        """A short digest of :meth:`trained_values`: equal exactly when the model's inputs are computed
        the same way."""
        text = json.dumps(self.trained_values(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


#: The tuned defaults every engine uses unless built with another config.
DEFAULT_RANKING = RankingConfig()
