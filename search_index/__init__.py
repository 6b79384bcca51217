"""The search engine of the knowledge base, behind one small interface.

Other packages use only what this module exports (and the tables of :mod:`search_index.models`):

- build the engine: :func:`build_engine` from an :class:`EngineConfig` (index folder, database, how to read
  article documents, the semantic model, the :class:`RankingConfig`); :func:`register_commit_hook` makes
  every commit that changed articles update the index;
- search: :func:`search_articles` (the page, the API, the CLI and the benchmark), :func:`record_click`,
  :func:`can_include_unpublished`; similar articles and possible duplicates are
  :meth:`SearchEngine.similar_articles` and :meth:`SearchEngine.possible_duplicates`;
- record index changes: :func:`article_changed` inside the transaction that changed an article;
- reindex and check drift: ``engine.sync.rebuild`` / ``engine.sync.check`` (with :func:`rebuild_procs`),
  ``engine.vectors.rebuild`` / ``engine.vectors.check``;
- admin settings: :func:`read_settings`, :func:`store_settings`, :func:`parse_user_words`,
  :func:`validate_synonym_text`, :data:`SYNONYMS_KEY`, :data:`USERDICT_KEY`, :func:`bundled_synonym_rules`;
- process start-up: :func:`preload_shared_models` (jieba's dictionary and a fork-safe semantic model).

Inside: ``lexical/`` (analysis and the Whoosh index), ``semantic/`` (model, vectors, densities),
``ranking/`` (the pipeline, its config, the learned model), ``sync/`` (the change queue and catch-up).
Nothing here imports Flask or the other packages.
"""

from __future__ import annotations

from search_index.engine import EngineConfig, SearchEngine, build_engine, register_commit_hook
from search_index.lexical.analyzer import warm_up as _warm_up_analyzer
from search_index.lexical.synonyms import default_synonyms as _default_synonyms
from search_index.ranking.config import DEFAULT_RANKING, RankingConfig
from search_index.semantic import model as _semantic_model
from search_index.semantic.vector_rows import VECTOR_STATUSES
from search_index.service import SearchOutcome, can_include_unpublished, record_click, search_articles
from search_index.settings import (
    SYNONYMS_KEY,
    USERDICT_KEY,
    parse_user_words,
    read_settings,
    store_settings,
    validate_synonym_text,
)
from search_index.sync.catchup import DriftReport, SyncBusy, rebuild_procs
from search_index.sync.changes import article_changed, articles_changed

__all__ = [
    "DEFAULT_RANKING",
    "SYNONYMS_KEY",
    "USERDICT_KEY",
    "VECTOR_STATUSES",
    "DriftReport",
    "EngineConfig",
    "RankingConfig",
    "SearchEngine",
    "SearchOutcome",
    "SyncBusy",
    "article_changed",
    "articles_changed",
    "build_engine",
    "bundled_synonym_rules",
    "can_include_unpublished",
    "parse_user_words",
    "preload_shared_models",
    "read_settings",
    "rebuild_procs",
    "record_click",
    "register_commit_hook",
    "search_articles",
    "store_settings",
    "validate_synonym_text",
]


def bundled_synonym_rules() -> int:
    """How many synonym rules ship with the portal (the admin page shows it)."""
    return len(_default_synonyms().rules)


def preload_shared_models(semantic: str | None = None) -> bool:
    """Load what every worker holds read-only before a server forks them: jieba's dictionary and, when
    ``semantic`` names a model, that model (into the same per-process cache the workers' engines ask).
    Returns whether a semantic model was loaded."""
    _warm_up_analyzer()
    if not semantic:
        return False
    embedder, _reason = _semantic_model.load_model(semantic)
    return embedder is not None
