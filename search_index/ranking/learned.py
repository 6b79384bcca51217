"""Learned fusion for Chinese queries: a small tree ensemble re-orders the top of the weighted sum.

The weighted sum of :mod:`search_index.ranking.fusion` only sees two scores per article. Customers' paraphrases of
an FAQ question share *characters* with it more than words, so this stage also looks at how query and
title overlap: shared characters and character bigrams (each way), their rarity in the knowledge base,
the longest common subsequence, lengths, a negation present on one side only, and how crowded the article's
neighbourhood is (its CSLS neighbour density, :mod:`search_index.semantic.density`). A gradient-boosted tree
ensemble (LightGBM's lambdarank, trained offline by ``python -m search_index.ranking.train``) turns those features
into one score. Only its numbers ship (``data/fusion_zh.json``); it is evaluated here with NumPy, so the
portal does not depend on LightGBM.

Pure: callers pass the titles (Han characters, as :meth:`search_index.lexical.snapshot.Snapshot.head` keeps
them), the cosines, the densities and a document-frequency function. Nothing here knows about Flask, the database or
the index files. Queries without Chinese characters keep the weighted sum (measured better for English).
How it was trained and measured: ``docs/SEARCH.md``.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from rapidfuzz.distance import LCSseq

from search_index.ranking.config import DEFAULT_RANKING, RankingConfig
from search_index.ranking.fusion import minmax

log = logging.getLogger(__name__)

#: The model shipped with the portal (trained on the zh dev queries only; figures in docs/SEARCH.md).
DEFAULT_MODEL_PATH = Path(__file__).parents[1] / "data" / "fusion_zh.json"
#: Format version of the model file: bumped when FEATURES change, so an old file is refused, not misread.
MODEL_FORMAT = 2
#: Negation characters: "没有收到" and "收到" are opposite questions with almost the same characters.
NEGATIONS = frozenset("不没未无别非")

#: Feature names, in column order. The model file lists them too and must match exactly.
FEATURES: tuple[str, ...] = (
    "lexical_score",  # min-max normalised over the lexical side; 0 when absent
    "semantic_score",  # min-max normalised over the semantic side; 0 when absent
    "in_lexical",
    "in_semantic",
    "lexical_rr",  # 1 / (rank_offset + rank) on the lexical side
    "semantic_rr",
    "cosine",  # query-title cosine (computed for lexical-only candidates too)
    "bigram_dice",
    "bigram_title_cover",  # share of the title's bigrams found in the query
    "bigram_query_cover",
    "char_title_cover",
    "char_query_cover",
    "lcs_title",  # longest common subsequence / title length
    "lcs_query",
    "length_ratio",  # title length / query length
    "log_title_length",
    "idf_cosine",  # cosine of idf-weighted character + bigram sets
    "negation_mismatch",
    "query_length",
    "title_only_chars_idf",  # summed normalised idf of title characters the query lacks
    "query_only_chars_idf",
    "title_only_bigrams_idf",
    "query_only_bigrams_idf",
    "neighbour_density",  # mean cosine of the article to its 10 nearest articles (VectorMatrix.densities)
    # cosine - csls_weight * neighbour_density: the cosine corrected for crowded neighbourhoods (CSLS:
    # 2 cos - r_query - r_article, halved; the query's own density is the same for every candidate)
    "csls_cosine",
)

# ----------------------------------------------------------------------------------------------------
# features


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)} or ({text} if text else set())


class IdfTable:
    """Normalised idf, ``log((N+1)/(df+1)) / log(N+1)`` in [0, 1], memoised for one index generation.

    Normalised so that a model trained on 8,455 articles reads the same scale in a 69,000-article base.
    The memo is bounded (:data:`MAX_TERMS`): it is cleared when full rather than grown without limit.
    """

    MAX_TERMS = 50_000

    def __init__(self, df: Callable[[str], int], ndocs: int):
        self._df = df
        self._log_n = math.log(max(ndocs, 1) + 1.0)
        self._cache: dict[str, float] = {}

    def __call__(self, term: str) -> float:
        value = self._cache.get(term)
        if value is None:
            if len(self._cache) >= self.MAX_TERMS:
                self._cache.clear()
            value = self._cache[term] = (self._log_n - math.log(self._df(term) + 1.0)) / self._log_n
        return value


def _idf_cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    num = sum(w * b[t] for t, w in a.items() if t in b)
    den = math.sqrt(sum(w * w for w in a.values())) * math.sqrt(sum(w * w for w in b.values()))
    return num / den if den > 0 else 0.0


def candidate_ids(
    lexical: Sequence[tuple[Hashable, float]], semantic: Sequence[tuple[Hashable, float]]
) -> list[Hashable]:
    """The union of both sides, lexical order first, each id once."""
    return list(dict.fromkeys([i for i, _ in lexical] + [i for i, _ in semantic]))


def feature_matrix(
    query_han: str,
    lexical: Sequence[tuple[Hashable, float]],
    semantic: Sequence[tuple[Hashable, float]],
    titles: Mapping[Hashable, str],
    cosines: Mapping[Hashable, float],
    idf: IdfTable,
    candidates: Sequence[Hashable] | None = None,
    densities: Mapping[Hashable, float] | None = None,
    ranking: RankingConfig = DEFAULT_RANKING,
) -> tuple[list[Hashable], np.ndarray]:
    """``(ids, X)``: one row of :data:`FEATURES` per candidate: ``candidates`` in their order, or by default
    the union of both sides (:func:`candidate_ids`). Scores and ranks are those of the whole sides.

    ``query_han``/``titles`` are Han characters only (normalised); ``cosines`` and ``densities`` cover every
    candidate (missing ones count 0); ``idf`` gives the normalised idf of characters and bigrams.
    """
    densities = densities or {}
    offset, csls_weight = ranking.rank_offset, ranking.csls_weight
    ids = list(candidates) if candidates is not None else candidate_ids(lexical, semantic)
    lex_norm, sem_norm = minmax(lexical), minmax(semantic)
    lex_rank = {i: r for r, (i, _) in enumerate(lexical, start=1)}
    sem_rank = {i: r for r, (i, _) in enumerate(semantic, start=1)}
    q = query_han
    q_chars, q_bigrams = set(q), _bigrams(q)
    q_weights = {t: idf(t) for t in q_chars | q_bigrams}
    q_len = max(len(q), 1)
    q_neg = bool(NEGATIONS & q_chars)
    X = np.zeros((len(ids), len(FEATURES)), dtype=np.float32)
    for row, item_id in enumerate(ids):
        t = titles.get(item_id, "")
        t_chars, t_bigrams = set(t), _bigrams(t)
        t_len = max(len(t), 1)
        shared_bigrams = len(q_bigrams & t_bigrams)
        shared_chars = len(q_chars & t_chars)
        lcs = LCSseq.similarity(q, t) if q and t else 0
        t_weights = {x: idf(x) for x in t_chars | t_bigrams}
        cosine, density = float(cosines.get(item_id, 0.0)), float(densities.get(item_id, 0.0))
        X[row] = (
            lex_norm.get(item_id, 0.0),
            sem_norm.get(item_id, 0.0),
            item_id in lex_rank,
            item_id in sem_rank,
            1.0 / (offset + lex_rank[item_id]) if item_id in lex_rank else 0.0,
            1.0 / (offset + sem_rank[item_id]) if item_id in sem_rank else 0.0,
            cosine,
            2.0 * shared_bigrams / (len(q_bigrams) + len(t_bigrams)) if q_bigrams or t_bigrams else 0.0,
            shared_bigrams / len(t_bigrams) if t_bigrams else 0.0,
            shared_bigrams / len(q_bigrams) if q_bigrams else 0.0,
            shared_chars / len(t_chars) if t_chars else 0.0,
            shared_chars / len(q_chars) if q_chars else 0.0,
            lcs / t_len,
            lcs / q_len,
            len(t) / q_len,
            math.log1p(len(t)),
            _idf_cosine(q_weights, t_weights),
            q_neg != bool(NEGATIONS & t_chars),
            len(q),
            sum(t_weights[x] for x in t_chars - q_chars),
            sum(q_weights[x] for x in q_chars - t_chars),
            sum(t_weights[x] for x in t_bigrams - q_bigrams),
            sum(q_weights[x] for x in q_bigrams - t_bigrams),
            density,
            cosine - csls_weight * density,
        )
    return ids, X


# ----------------------------------------------------------------------------------------------------
# the tree ensemble


_TREE_KEYS = ("feature", "threshold", "left", "right", "leaf")


class TreeEnsemble:
    """A LightGBM model's trees, evaluated level by level with NumPy (all trees and rows at once).

    In the file, a tree lists its splits ``feature[j] / threshold[j] / left[j] / right[j]`` (a child ``c < 0``
    is leaf ``~c``) and its ``leaf`` values; split 0 is the root, and a tree without splits is one leaf.
    LightGBM sends ``x <= threshold`` left (numerical splits; missing values never occur here, every
    feature is always computed).
    """

    def __init__(
        self,
        features: Sequence[str],
        trees: Sequence[Mapping[str, Any]],
        *,
        depth: int,
        embedder: str | None = None,
        trained_with: Mapping[str, Any] | None = None,
    ):
        self.features = tuple(features)
        #: What the model was trained on: ``ranking`` (the :class:`RankingConfig` values its candidates and
        #: features were computed with), ``ranking_signature`` and ``data`` (the training data's digests).
        self.trained_with: dict[str, Any] = dict(trained_with or {})
        self.depth = int(depth)
        #: The embedder (``Embedder.name``) whose cosines the model was trained on: another model's cosines
        #: have another scale (e5's are compressed near 0.9), so the model only serves its own.
        self.embedder = embedder
        self._trees = [{key: list(tree[key]) for key in _TREE_KEYS} for tree in trees]
        # All trees in one node table. Leaves are nodes too: they compare against +inf and point to
        # themselves, so a path that reached its leaf stays there while longer paths go on.
        feature: list[int] = []
        threshold: list[float] = []
        children: list[int] = []
        value: list[float] = []
        roots: list[int] = []
        for tree in self._trees:
            n, base = len(tree["feature"]), len(feature)
            if len(tree["leaf"]) != n + 1 or not all(len(tree[k]) == n for k in _TREE_KEYS[:4]):
                raise ValueError("a binary tree has one leaf more than it has splits")
            roots.append(base)

            def at(child: int, n: int = n, base: int = base) -> int:
                return base + (n + ~child if child < 0 else child)

            for j in range(n):
                feature.append(int(tree["feature"][j]))
                threshold.append(float(tree["threshold"][j]))
                children += [at(int(tree["left"][j])), at(int(tree["right"][j]))]
                value.append(0.0)
            for leaf_no, leaf_value in enumerate(tree["leaf"]):
                me = base + n + leaf_no
                feature.append(0)
                threshold.append(math.inf)
                children += [me, me]
                value.append(float(leaf_value))
        if any(f < 0 or f >= len(self.features) for f in feature):
            raise ValueError("a tree splits on a feature the model does not list")
        if any(c < 0 or c >= len(feature) for c in children):
            raise ValueError("a tree points outside itself")
        self._feature = np.array(feature, dtype=np.intp)
        self._threshold = np.array(threshold, dtype=np.float64)
        self._children = np.array(children, dtype=np.intp)
        self._value = np.array(value, dtype=np.float64)
        self._roots = np.array(roots, dtype=np.intp)

    @property
    def n_trees(self) -> int:
        return len(self._trees)

    def serves(self, embedder_name: str | None) -> bool:
        """Whether this model may rank with the cosines of ``embedder_name``."""
        return self.embedder is not None and self.embedder == embedder_name

    def predict(self, X: np.ndarray) -> np.ndarray:
        """One score per row of ``X`` (columns in :attr:`features` order), as LightGBM computes it."""
        X = np.asarray(X, dtype=np.float64)
        n_rows = X.shape[0]
        if n_rows == 0 or not self._trees:
            return np.zeros(n_rows)
        if X.shape[1] != len(self.features):
            raise ValueError(f"{X.shape[1]} feature columns, the model reads {len(self.features)}")
        flat = X.ravel()
        # One lane per (tree, row); every step moves each lane one level down (or keeps it on its leaf).
        node = np.repeat(self._roots, n_rows)
        row_offset = np.tile(np.arange(n_rows, dtype=np.intp) * X.shape[1], len(self._trees))
        for _ in range(self.depth):
            go_right = flat[row_offset + self._feature[node]] > self._threshold[node]
            node = self._children[2 * node + go_right]
        if np.any(self._threshold[node] != math.inf):
            raise ValueError("a tree is deeper than the model says")
        scores: np.ndarray = self._value[node].reshape(len(self._trees), n_rows).sum(axis=0)
        return scores

    # -- file format ------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": MODEL_FORMAT,
            "embedder": self.embedder,
            "features": list(self.features),
            "depth": self.depth,
            "trained_with": self.trained_with,
            "trees": self._trees,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TreeEnsemble:
        """The model of a :meth:`to_dict` document; ``ValueError`` for another format or feature list."""
        if data.get("format") != MODEL_FORMAT:
            raise ValueError(f"model format {data.get('format')!r}, expected {MODEL_FORMAT}")
        if tuple(data.get("features", ())) != FEATURES:
            raise ValueError("the model was trained on other features")
        return cls(
            data["features"],
            data["trees"],
            depth=int(data["depth"]),
            embedder=data.get("embedder"),
            trained_with=data.get("trained_with"),
        )

    @property
    def ranking_signature(self) -> str | None:
        """:meth:`RankingConfig.signature` of the config the model was trained with (None: not recorded)."""
        value = self.trained_with.get("ranking_signature")
        return str(value) if value is not None else None

    def matches(self, ranking: RankingConfig) -> bool:
        """Whether ``ranking`` computes the model's candidates and features as they were trained."""
        return self.ranking_signature == ranking.signature()

    @classmethod
    def from_lightgbm(cls, dump: Mapping[str, Any], embedder: str | None = None) -> TreeEnsemble:
        """Convert ``Booster.dump_model()`` (numerical ``<=`` splits only, as this stage trains them)."""
        flat = [_flatten(info["tree_structure"]) for info in dump["tree_info"]]
        depth = max((d for _t, d in flat), default=1)
        return cls(dump["feature_names"], [t for t, _d in flat], depth=max(depth, 1), embedder=embedder)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), separators=(",", ":")), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> TreeEnsemble:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def _flatten(structure: Mapping[str, Any]) -> tuple[dict[str, list[Any]], int]:
    """One LightGBM tree as arrays (see :class:`TreeEnsemble`) and its depth."""
    tree: dict[str, list[Any]] = {"feature": [], "threshold": [], "left": [], "right": [], "leaf": []}
    depth = 0

    def walk(node: Mapping[str, Any], level: int) -> int:
        nonlocal depth
        depth = max(depth, level)
        if "split_index" not in node:
            tree["leaf"].append(float(node.get("leaf_value", 0.0)))
            return ~(len(tree["leaf"]) - 1)
        if node.get("decision_type", "<=") != "<=":
            raise ValueError("only numerical <= splits are supported")
        me = len(tree["feature"])
        tree["feature"].append(int(node["split_feature"]))
        tree["threshold"].append(float(node["threshold"]))
        tree["left"].append(0)
        tree["right"].append(0)
        tree["left"][me] = walk(node["left_child"], level + 1)
        tree["right"][me] = walk(node["right_child"], level + 1)
        return me

    walk(structure, 0)
    return tree, depth


def load_model(
    ranking: RankingConfig = DEFAULT_RANKING, path: str | Path = DEFAULT_MODEL_PATH
) -> TreeEnsemble | None:
    """The shipped model, or ``None`` (logged) when the file is missing or unreadable, or was trained with
    another ranking config than ``ranking``: search then keeps the weighted sum instead of failing, or of
    ranking with a model whose features no longer mean what it learnt."""
    return _load_model(str(path), ranking.signature())


@lru_cache(maxsize=4)
def _load_model(path: str, signature: str) -> TreeEnsemble | None:
    try:
        model = TreeEnsemble.load(path)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("learned fusion unavailable (%s: %s); Chinese queries use the weighted sum", path, exc)
        return None
    if model.ranking_signature != signature:
        log.warning(
            "learned fusion unavailable: %s was trained with ranking config %s, this engine's is %s "
            "(retrain: python -m search_index.ranking.train); Chinese queries use the weighted sum",
            path,
            model.ranking_signature,
            signature,
        )
        return None
    return model


def learned_ranking(
    ids: Sequence[Hashable], X: np.ndarray, model: TreeEnsemble
) -> list[tuple[Hashable, float]]:
    """``[(id, score)]`` best first; ties keep the candidate order."""
    scores = model.predict(X)
    order = sorted(range(len(ids)), key=lambda k: (-scores[k], k))
    return [(ids[k], float(scores[k])) for k in order]
