"""The one way to search articles, shared by the search page, the API, the CLI and the benchmark.

Flask-free: callers pass the session, the per-process :class:`SearchEngine` (or a bare
:class:`~search_index.index.SearchIndex`) and who is asking.  The web layer owns the commit.

:func:`search_articles` gets its page from :func:`search_index.hybrid.ranked_hits` (lexical, fused
with the semantic ranking when a model is loaded), so the page, the API, the CLI and the benchmark all
get the same ranking.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import jieba
from sqlmodel import Session, select

from . import analyzer
from .analyzer import load_user_dictionary
from .hybrid import ranked_hits
from .index import SearchIndex
from .learned_fusion import TreeEnsemble, load_model
from .models import LOG_FILTER_MAX, LOG_QUERY_MAX, SearchLog, SearchSetting
from .normalize import normalize_text
from .results import SearchHit
from .sync import IndexSync
from .synonyms import SynonymMap, default_synonyms
from .vectors import VectorStore

log = logging.getLogger(__name__)

#: Statuses each audience may find.  Agents (and QA) see what is live; leads may widen to work in progress.
PUBLISHED_ONLY: tuple[str, ...] = ("published",)
WITH_UNPUBLISHED: tuple[str, ...] = ("published", "in_review", "draft")
#: Roles that may include unpublished articles (admins hold every right).
UNPUBLISHED_ROLES = frozenset({"lead", "admin"})

#: ``mask_logged(session, query) -> query`` with personal data masked (see :class:`SearchEngine`).
MaskLogged = Callable[[Session, str], str]
SYNONYMS_KEY = "synonyms"
USERDICT_KEY = "userdict"
#: Limits of the admin-edited lists (a typo must not make every worker load megabytes).
MAX_SETTING_LINES = 5000
MAX_WORD_CHARS = 30

#: "Load the shipped learned-fusion model" (the default of :class:`SearchEngine`).
DEFAULT_MODEL = object()

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def can_include_unpublished(actor_roles: Collection[str]) -> bool:
    """Leads and admins may search drafts and articles in review; agents and QA only published ones."""
    return bool(set(actor_roles) & UNPUBLISHED_ROLES)


def clean_input(value: Any, limit: int) -> str:
    """Query text as the log and the filters may store it: a string without control characters (NUL
    breaks PostgreSQL text), at most ``limit`` characters, stripped."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return _CONTROL.sub(" ", text[: limit * 4])[:limit].strip()


def normalize_query(query: str) -> str:
    """The form analytics group queries by: normalised characters, single spaces."""
    return " ".join(normalize_text(query).split())[:LOG_QUERY_MAX]


# --- admin settings: synonyms and the user dictionary ------------------------------------------------


def parse_user_words(text: str) -> tuple[list[str | tuple[str, int]], list[tuple[int, str]]]:
    """Parse the user-dictionary textarea: ``word`` or ``word frequency`` a line, ``#`` comments.

    Returns ``(words, errors)`` with ``errors`` as ``(line number, message)``.
    """
    words: list[str | tuple[str, int]] = []
    errors: list[tuple[int, str]] = []
    lines = text.splitlines()
    if len(lines) > MAX_SETTING_LINES:
        errors.append((MAX_SETTING_LINES + 1, f"at most {MAX_SETTING_LINES} lines"))
        lines = lines[:MAX_SETTING_LINES]
    for lineno, raw in enumerate(lines, start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) > 2 or (len(parts) == 2 and not parts[1].isdigit()):
            errors.append((lineno, "one word a line, optionally followed by a whole-number frequency"))
            continue
        if len(parts[0]) > MAX_WORD_CHARS:
            errors.append((lineno, f"a word has at most {MAX_WORD_CHARS} characters"))
            continue
        if not normalize_text(parts[0]).strip():
            errors.append((lineno, "not a word"))
            continue
        words.append((parts[0], int(parts[1])) if len(parts) == 2 else parts[0])
    return words, errors


def validate_synonym_text(text: str) -> list[tuple[int, str]]:
    """``(line number, message)`` for every synonym line an admin form must reject."""
    lines = text.splitlines()
    if len(lines) > MAX_SETTING_LINES:
        return [(MAX_SETTING_LINES + 1, f"at most {MAX_SETTING_LINES} lines")]
    return list(SynonymMap.parse(lines).errors)


def read_settings(session: Session) -> dict[str, SearchSetting]:
    return {row.key: row for row in session.exec(select(SearchSetting)).all()}


def store_settings(session: Session, values: dict[str, str], actor_id: int | None) -> list[str]:
    """Save settings by key (only those whose text changed); returns the changed keys. Only flushes."""
    rows = read_settings(session)
    changed = []
    for key, value in values.items():
        row = rows.get(key) or SearchSetting(key=key, value="", revision=0)
        if row.value == value and row.revision:
            continue
        row.value = value
        row.revision += 1
        row.updated_at = datetime.now(UTC)
        row.updated_by = actor_id
        session.add(row)
        changed.append(key)
    session.flush()
    return changed


class SettingsCache:
    """This process's view of the admin settings, reloaded when their revision changes.

    Synonyms: the bundled list followed by the admin's (``default_synonyms().merged(admin)``).
    User words go into jieba through :func:`search_index.analyzer.load_user_dictionary`; a word removed
    by the admin is removed from jieba again unless jieba knew it before the admin added it.
    """

    def __init__(self, poll_interval: float = 1.0):
        self.poll_interval = poll_interval
        self.synonyms: SynonymMap = default_synonyms()
        self._revisions: dict[str, int] = {}
        self._added_words: set[str] = set()
        self._checked_at = 0.0
        self._lock = threading.Lock()

    def expire(self) -> None:
        """Look at the database again at the next :meth:`refresh_if_due` (after this worker saved)."""
        self._checked_at = 0.0

    def refresh_if_due(self, session: Session) -> bool:
        """Reload changed settings at most every ``poll_interval`` seconds; never raises."""
        now = time.monotonic()
        if now - self._checked_at < self.poll_interval:
            return False
        self._checked_at = now
        try:
            return self.refresh(session)
        except Exception:
            log.exception("could not read the search settings; keeping the previous ones")
            return False

    def refresh(self, session: Session) -> bool:
        revisions = dict(session.exec(select(SearchSetting.key, SearchSetting.revision)).all())
        if revisions == self._revisions:
            return False
        rows = read_settings(session)
        with self._lock:
            if revisions.get(SYNONYMS_KEY) != self._revisions.get(SYNONYMS_KEY):
                text = rows[SYNONYMS_KEY].value if SYNONYMS_KEY in rows else ""
                self.synonyms = default_synonyms().merged(SynonymMap.parse(text))
            if revisions.get(USERDICT_KEY) != self._revisions.get(USERDICT_KEY):
                text = rows[USERDICT_KEY].value if USERDICT_KEY in rows else ""
                self._load_words(parse_user_words(text)[0])
            self._revisions = revisions
        return True

    def _load_words(self, words: list[str | tuple[str, int]]) -> None:
        wanted = {normalize_text(w if isinstance(w, str) else w[0]).strip() for w in words}
        removed = self._added_words - wanted
        for word in removed:
            jieba.del_word(word)
        fresh = {w for w in wanted if w and not jieba.get_FREQ(w)}
        added = load_user_dictionary(words)
        self._added_words = (self._added_words & wanted) | fresh
        if removed and not added:
            # load_user_dictionary clears the tokenisation cache only when it adds words; the analyzer
            # has no public "remove words" yet, so drop its cache here.
            analyzer._jieba_search.cache_clear()
            analyzer.dictionary_version[0] += 1


# --- the per-process engine ---------------------------------------------------------------------------


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
    ):
        self.index = index
        self.sync = sync
        self.settings = settings
        #: The semantic side (model, vector matrix); ``None`` or disabled means lexical search only.
        self.vectors = vectors
        #: Masks personal data in a query before the search log stores it (agents paste customers' words).
        self.mask_logged = mask_logged
        #: The learned fusion of Chinese queries (``None``: the weighted sum for every query).
        self.fusion_model = load_model() if fusion_model is DEFAULT_MODEL else fusion_model

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


# --- searching ------------------------------------------------------------------------------------


@dataclass
class SearchOutcome:
    """A page of results plus what the page needs around it."""

    query: str
    total: int = 0
    hits: list[SearchHit] = field(default_factory=list)
    suggestion: str | None = None
    offset: int = 0
    limit: int = 10
    statuses: tuple[str, ...] = PUBLISHED_ONLY
    #: The search log row written for this search (None when not logged).
    log_id: int | None = None

    def __iter__(self):
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)


def search_articles(
    session: Session,
    engine: SearchEngine | SearchIndex,
    query: Any,
    *,
    actor_roles: Iterable[str] = (),
    actor_id: int | None = None,
    include_unpublished: bool = False,
    category: str | None = None,
    tag: str | None = None,
    limit: int = 10,
    offset: int = 0,
    log_source: str | None = None,
) -> SearchOutcome:
    """Search the knowledge base as someone holding ``actor_roles``; never raises for any query text.

    Agents and QA find published articles only; leads and admins also drafts and articles in review
    when ``include_unpublished`` (silently ignored for others).  ``category`` and ``tag`` are exact
    filters.  With ``log_source`` ("page", "api") the first page of a non-empty query is written to the
    search log (``outcome.log_id``) for analytics and click tracking, through the engine's ``mask_logged``
    (personal data never reaches the log).  Only flushes.
    """
    roles = set(actor_roles)
    statuses = WITH_UNPUBLISHED if include_unpublished and can_include_unpublished(roles) else PUBLISHED_ONLY
    text = clean_input(query, 4 * LOG_QUERY_MAX)
    category = clean_input(category, LOG_FILTER_MAX) or None
    tag = clean_input(tag, LOG_FILTER_MAX) or None
    try:
        limit, offset = max(0, int(limit)), max(0, int(offset))
    except (TypeError, ValueError):
        limit, offset = 10, 0
    outcome = SearchOutcome(query=text, offset=offset, limit=limit, statuses=statuses)
    if not text:
        return outcome
    if isinstance(engine, SearchEngine):
        engine.prepare(session)
    full = isinstance(engine, SearchEngine)
    results = ranked_hits(
        engine.index if full else engine,
        text,
        synonyms=engine.synonyms if full else None,
        vectors=engine.vectors if full else None,
        fusion_model=engine.fusion_model if full else None,
        statuses=statuses,
        category=category,
        tag=tag,
        limit=limit,
        offset=offset,
    )
    outcome.total, outcome.hits, outcome.suggestion = results.total, list(results.hits), results.suggestion
    if log_source and offset == 0:
        mask = engine.mask_logged if isinstance(engine, SearchEngine) else None
        logged = mask(session, text) if mask is not None else text
        entry = SearchLog(
            query=logged[:LOG_QUERY_MAX],
            query_norm=normalize_query(logged) or logged[:LOG_QUERY_MAX],
            user_id=actor_id,
            source=log_source[:10],
            result_count=results.total,
            category=category,
            tag=tag,
            top_category=(results.hits[0].category or None) if results.hits else None,
        )
        session.add(entry)
        session.flush()
        outcome.log_id = entry.id
    return outcome


def record_click(session: Session, log_id: int, article_id: int, user_id: int | None) -> bool:
    """Remember the first result ``user_id`` opened from their search ``log_id``; False when the log entry
    is not theirs (nothing is changed then).  Only flushes."""
    entry = session.get(SearchLog, log_id)
    if entry is None or entry.user_id is None or entry.user_id != user_id:
        return False
    if entry.clicked_article_id is None:
        entry.clicked_article_id = article_id
        entry.clicked_at = datetime.now(UTC)
        session.add(entry)
        session.flush()
    return True
