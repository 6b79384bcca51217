"""The Whoosh schema of the article index.

Document fields (what :meth:`search_index.lexical.index.SearchIndex.upsert` accepts):

==============  ===========================================================================
``id``          article primary key, unique, stored (kept as a string inside Whoosh)
``external_id`` the article's ID in another system, stored
``title``       text, highest weight
``scenario``    问题场景, text
``solution``    解决步骤 (Markdown source), text
``notes``       注意事项, text
``tags``        list of tags, stored, exact match filter (lower-cased)
``category``    exact match filter, stored
``status``      draft / in_review / published / rejected / archived, stored
``audience``    internal / public, stored
``updated_at``  datetime, stored
``content_hash`` stored; the drift checker compares it with the database
==============  ===========================================================================

Derived, unstored fields filled by the index itself: ``title_bigrams`` (Han-character bigrams and
unigrams of the title and scenario, the paraphrase-tolerant signal), ``title_grams`` / ``body_grams``
(character 4-grams of the Latin-script words of title + scenario / solution + notes, the same signal for
English) and ``spell`` (unstemmed words for "did you mean").
The text fields store their text so that snippets can be cut without a database round trip.
"""

from __future__ import annotations

from typing import Any

from whoosh import fields

from search_index.lexical.analyzer import (
    bigram_analyzer,
    chinese_analyzer,
    latin_gram_analyzer,
    spelling_analyzer,
)
from search_index.lexical.normalize import normalize_text

#: Text fields searched by a query, with their default weights (title > scenario > solution > notes).
TEXT_FIELDS: tuple[str, ...] = ("title", "scenario", "solution", "notes")
#: Every field the in-memory ranker reads postings from.
RANKED_FIELDS: tuple[str, ...] = (*TEXT_FIELDS, "tags", "title_bigrams", "title_grams", "body_grams")
STATUSES: tuple[str, ...] = ("draft", "in_review", "published", "rejected", "archived")
AUDIENCES: tuple[str, ...] = ("internal", "public")

#: Bumped when the schema or the analysis changes in a way that needs ``portal reindex``.
SCHEMA_VERSION = 2


def build_schema() -> fields.Schema:
    """Return a fresh schema instance (Whoosh schemas are mutable, so never share one)."""
    words = chinese_analyzer()
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        external_id=fields.ID(stored=True),
        # Positions are not needed: ranking is bag-of-words and snippets re-tokenise the stored text,
        # and leaving them out makes the index smaller and faster to write.
        title=fields.TEXT(analyzer=words, stored=True, phrase=False, field_boost=2.0),
        scenario=fields.TEXT(analyzer=words, stored=True, phrase=False, field_boost=1.5),
        solution=fields.TEXT(analyzer=words, stored=True, phrase=False),
        notes=fields.TEXT(analyzer=words, stored=True, phrase=False, field_boost=0.7),
        tags=fields.KEYWORD(stored=True, commas=True, lowercase=True, scorable=True),
        category=fields.ID(stored=True),
        status=fields.ID(stored=True),
        audience=fields.ID(stored=True),
        updated_at=fields.DATETIME(stored=True),
        content_hash=fields.ID(stored=True),
        title_bigrams=fields.TEXT(analyzer=bigram_analyzer(), stored=False, phrase=False),
        title_grams=fields.TEXT(analyzer=latin_gram_analyzer(), stored=False, phrase=False),
        body_grams=fields.TEXT(analyzer=latin_gram_analyzer(), stored=False, phrase=False),
        spell=fields.TEXT(analyzer=spelling_analyzer(), stored=False, phrase=False),
    )


def norm_key(value: Any) -> str:
    """Normal form of a category/tag/status value, used on both the index and the filter side."""
    return normalize_text(str(value)).strip()


def external_id(value: Any) -> str | int:
    """Ids are strings inside Whoosh; give callers back an int when the article id was an int."""
    s = value.decode("utf-8") if isinstance(value, bytes) else str(value)
    return int(s) if s.isdigit() and (s == "0" or not s.startswith("0")) else s
