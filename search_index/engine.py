"""One worker's search engine, built from an :class:`EngineConfig`.

The engine owns the lexical index, the index sync (applying the ``search_changes`` queue), the admin
settings cache and the semantic side (model, vector matrix), plus the learned ranking model. The web
layer builds one per process with :func:`build_engine` and hands it to the search verbs; nothing outside
this package wires the pieces itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import Session

from search_index.lexical.index import SearchIndex
from search_index.lexical.synonyms import SynonymMap
from search_index.models import SearchSetting
from search_index.ranking.config import DEFAULT_RANKING, RankingConfig
from search_index.ranking.learned import TreeEnsemble, load_model
from search_index.semantic.vectors import VectorStore
from search_index.settings import SettingsCache
from search_index.sync import changes
from search_index.sync.catchup import IndexSync

log = logging.getLogger(__name__)

#: ``mask_logged(session, query) -> query`` with personal data masked (see :class:`SearchEngine`).
MaskLogged = Callable[[Session, str], str]
#: ``load_documents(session, ids) -> {id: search document or None}`` (None: the article leaves the index).
LoadDocs = Callable[[Session, list[int]], Mapping[int, Mapping[str, Any] | None]]
#: ``iter_documents(session)`` yields every indexable search document (rebuild, drift check).
IterDocs = Callable[[Session], Iterable[Mapping[str, Any]]]

#: "Load the shipped learned-fusion model" (the default of :class:`SearchEngine`).
DEFAULT_MODEL = object()


class SearchEngine:
    """What one worker process searches with: its index, its index sync and its settings cache."""

    def __init__(
        self,
        index: SearchIndex,
        sync: IndexSync | None = None,
        settings: SettingsCache | None = None,
        vectors: VectorStore | None = None,
        mask_logged: MaskLogged | None = None,
        fusion_model: TreeEnsemble | object | None = DEFAULT_MODEL,
        ranking: RankingConfig = DEFAULT_RANKING,
    ):
        self.index = index
        self.sync = sync
        self.settings = settings
        #: The semantic side (model, vector matrix); ``None`` or disabled means lexical search only.
        self.vectors = vectors
        #: Masks personal data in a query before the search log stores it (agents paste customers' words).
        self.mask_logged = mask_logged
        #: Every ranking tunable (weights, depths, the neighbour-density switch).
        self.ranking = ranking
        model = load_model(ranking) if fusion_model is DEFAULT_MODEL else fusion_model
        #: The learned fusion of Chinese queries (``None``: the weighted sum for every query).
        self.fusion_model: TreeEnsemble | None = model if isinstance(model, TreeEnsemble) else None

    def prepare(self, session: Session) -> None:
        """Before a search: apply index changes of other workers/nodes and reload edited settings."""
        if self.settings is not None:
            self.settings.refresh_if_due(session)
        if self.sync is not None:
            self.sync.catch_up_if_due(session)
        if self.vectors is not None:
            self.vectors.catch_up_if_due()

    @property
    def synonyms(self) -> SynonymMap | None:
        return self.settings.synonyms if self.settings is not None else None

    @property
    def semantic_enabled(self) -> bool:
        """Whether a semantic model is loaded (similar articles, duplicates and fusion are available)."""
        return self.vectors is not None and self.vectors.enabled

    def similar_articles(self, article_id: int, k: int) -> list[tuple[Any, float]]:
        """Up to ``k`` stored articles (itself excluded) whose cosine reaches the model's "similar"
        threshold, best first; empty while semantic search is off (an article without a vector yet is
        scheduled for embedding)."""
        if self.vectors is None:
            return []
        queries = self.vectors.queries
        similar, _duplicate = queries.thresholds()
        return queries.similar(article_id, k, similar)

    def possible_duplicates(
        self, doc: Mapping[str, Any], k: int, exclude: Iterable[Any] = ()
    ) -> list[tuple[Any, float]]:
        """Up to ``k`` stored articles within the model's "duplicate" threshold of a draft's ``title`` and
        ``scenario``, best first; empty while semantic search is off."""
        if self.vectors is None:
            return []
        queries = self.vectors.queries
        _similar, duplicate = queries.thresholds()
        return queries.similar_to_text(doc, k, duplicate, exclude=exclude)

    def safe_catch_up(self, *, timeout: float = 5.0) -> int:
        """After a commit that changed articles: the index first, then the vectors (never raising)."""
        applied = self.sync.safe_catch_up(timeout=timeout) if self.sync is not None else 0
        if self.vectors is not None:
            self.vectors.safe_catch_up()
        return applied

    def start(self, vector_candidates: Callable[[], list[int]] | None = None) -> None:
        """Start-up: load the admin's synonyms and words, then replay pending index changes (or build the
        index when this node has none yet); in tests also load the vectors at once. Never raises."""
        if self.sync is None:
            return
        if _has_table(self.sync.engine, SearchSetting.__tablename__) and self.settings is not None:
            with Session(self.sync.engine) as session:
                self.settings.refresh_if_due(session)
        self.sync.start()
        vectors = self.vectors
        if vectors is not None and vectors.enabled and not vectors.background:
            try:
                vectors.load()
                # Articles nobody has embedded yet (semantic search just switched on, a new model):
                # in the background, so start-up stays fast; searches meanwhile fuse what is there.
                if vector_candidates is not None and vectors.matrix is not None:
                    vectors.schedule(vectors.matrix.missing(vector_candidates()))
            except Exception:
                vectors.report_failure("loading the article vectors")


@dataclass
class EngineConfig:
    """Everything :func:`build_engine` needs: where the index lives, the database, how to read articles."""

    index_dir: str | Path
    db_engine: Engine
    load_documents: LoadDocs
    iter_documents: IterDocs | None = None
    #: ``off``, ``use`` or ``e5`` (see :mod:`search_index.semantic.model`).
    semantic: str = "off"
    #: Ids of the articles that should have a vector (start-up compares them with the loaded vectors).
    vector_candidates: Callable[[], list[int]] | None = None
    mask_logged: MaskLogged | None = None
    #: Tests: load the model and the vectors in the calling thread instead of a start-up thread.
    testing: bool = False
    ranking: RankingConfig = field(default_factory=lambda: DEFAULT_RANKING)


def build_engine(config: EngineConfig) -> SearchEngine:
    """This process's engine: index, index sync, settings cache, vectors and the learned model.

    Outside tests the semantic model and the stored vectors load in a background thread (searches are
    lexical for those seconds); a model that fails is logged and leaves search lexical, never a crash.
    """
    index = SearchIndex(config.index_dir, ranking=config.ranking)
    sync = IndexSync(index, config.db_engine, config.load_documents, config.iter_documents)
    vectors = VectorStore(
        config.db_engine,
        config.load_documents,
        config.iter_documents,
        config.semantic,
        background=not config.testing,
        eager=config.testing,
        ranking=config.ranking,
    )
    engine = SearchEngine(
        index, sync, SettingsCache(), vectors, mask_logged=config.mask_logged, ranking=config.ranking
    )
    if not config.testing and vectors.setting != "off":
        candidates = config.vector_candidates
        vectors.start_in_background(
            candidates,
            warm_densities=engine.fusion_model is not None and config.ranking.neighbour_density,
            density_dir=Path(config.index_dir),
        )
    return engine


def register_commit_hook(db_engine: Engine, engine_for_commit: Callable[[], SearchEngine | None]) -> None:
    """After each commit on ``db_engine`` that changed articles, ``engine_for_commit()`` catches up."""
    changes.register(db_engine, engine_for_commit)


def _has_table(db_engine: Engine, name: str) -> bool:
    try:
        return bool(inspect(db_engine).has_table(name))
    except Exception:
        return False
