"""The admin-edited search settings: the synonym list and the user dictionary.

Stored in ``search_settings`` (one row per key with a revision); every worker keeps a
:class:`SettingsCache` that reloads a list when its revision changes.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime

import jieba
from sqlmodel import Session, select

from search_index.lexical import analyzer
from search_index.lexical.normalize import normalize_text
from search_index.lexical.synonyms import SynonymMap, default_synonyms
from search_index.models import SearchSetting

log = logging.getLogger(__name__)

SYNONYMS_KEY = "synonyms"
USERDICT_KEY = "userdict"
#: Limits of the admin-edited lists (a typo must not make every worker load megabytes).
MAX_SETTING_LINES = 5000
MAX_WORD_CHARS = 30


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
    User words go into jieba through :func:`search_index.lexical.analyzer.load_user_dictionary`; a word removed
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
        fresh = {w for w in wanted if w and not jieba.get_FREQ(w)}
        if removed:
            analyzer.remove_user_words(removed)
        analyzer.load_user_dictionary(words)
        self._added_words = (self._added_words & wanted) | fresh
