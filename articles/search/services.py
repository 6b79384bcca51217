"""Service verbs of the search web layer (the search itself is ``search_index.service.search_articles``)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from portal.audit import record
from portal.models import User
from search_index import (
    SYNONYMS_KEY,
    USERDICT_KEY,
    parse_user_words,
    read_settings,
    store_settings,
    validate_synonym_text,
)

MAX_SETTING_CHARS = 200_000


class SettingsInvalid(Exception):
    """Some lines of the submitted lists are invalid; ``errors`` maps field → [(line, message)]."""

    def __init__(self, errors: dict[str, list[tuple[int, str]]]):
        super().__init__(_l("Some lines are invalid; nothing was saved."))
        self.errors = errors


def current_settings(session: Session) -> dict[str, str]:
    """The admin-edited synonym list and user dictionary as text (empty when never saved)."""
    rows = read_settings(session)
    return {key: rows[key].value if key in rows else "" for key in (SYNONYMS_KEY, USERDICT_KEY)}


def _clean(text: Any) -> str:
    text = "" if text is None else str(text)
    return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n")).strip("\n")


def save_search_settings(session: Session, actor: User | None, synonyms: str, userdict: str) -> list[str]:
    """Validate and save the synonym list and the user dictionary; every worker applies them within a
    second or two, without a reindex.  Raises :class:`SettingsInvalid` (nothing saved) when a line is
    invalid.  Returns the keys that changed; only flushes."""
    synonyms, userdict = _clean(synonyms), _clean(userdict)
    errors: dict[str, list[tuple[int, str]]] = {}
    for name, text in (("synonyms", synonyms), ("userdict", userdict)):
        if len(text) > MAX_SETTING_CHARS:
            errors[name] = [(0, f"at most {MAX_SETTING_CHARS} characters")]
    if "synonyms" not in errors:
        errors["synonyms"] = validate_synonym_text(synonyms)
    if "userdict" not in errors:
        errors["userdict"] = parse_user_words(userdict)[1]
    errors = {k: v for k, v in errors.items() if v}
    if errors:
        raise SettingsInvalid(errors)
    changed = store_settings(
        session, {SYNONYMS_KEY: synonyms, USERDICT_KEY: userdict}, actor.id if actor is not None else None
    )
    if changed:
        record(session, actor, "search.settings", "search_settings", None, details={"changed": changed})
    return changed
