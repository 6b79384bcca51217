"""Article documents as the index stores them: Whoosh fields and the content hash the drift check compares."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from search_index.lexical.schema import norm_key

_HASHED_FIELDS = (
    "external_id",
    "title",
    "scenario",
    "solution",
    "notes",
    "tags",
    "category",
    "status",
    "audience",
)


def compute_content_hash(doc: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the fields that affect search, in a fixed JSON form.

    The drift checker computes this from the database row and compares it with
    :meth:`SearchIndex.all_doc_hashes`; ``upsert`` stores it when the document does not carry one.
    ``updated_at`` is left out on purpose: touching a row without changing its text is no drift.
    """
    payload = {}
    for name in _HASHED_FIELDS:
        value = doc.get(name)
        if name == "tags":
            value = sorted(as_tag_list(value))
        elif value is None:
            value = ""
        else:
            value = str(value)
        payload[name] = value
    data = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def as_tag_list(value: Any) -> list[str]:
    """Tags from a list or from comma-separated text (full-width commas too), blanks dropped."""
    if not value:
        return []
    if isinstance(value, str):
        value = value.replace("，", ",").split(",")
    return [str(t).strip() for t in value if str(t).strip()]


def as_datetime(value: Any) -> dt.datetime | None:
    """A datetime from a datetime, a date or ISO text; anything else is None."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def to_whoosh(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The Whoosh fields of an article document: filter fields in normal form, the stored
    forms for display, the content hash, and the hidden character/spelling fields built from the text."""
    if doc.get("id") is None or str(doc["id"]).strip() == "":
        raise ValueError("document without an 'id'")
    title = str(doc.get("title") or "")
    scenario = str(doc.get("scenario") or "")
    solution = str(doc.get("solution") or "")
    notes = str(doc.get("notes") or "")
    tags = as_tag_list(doc.get("tags"))
    category = str(doc.get("category") or "")
    status = str(doc.get("status") or "draft")
    audience = str(doc.get("audience") or "internal")
    out: dict[str, Any] = {
        "id": str(doc["id"]),
        "external_id": str(doc.get("external_id") or ""),
        "title": title,
        "scenario": scenario,
        "solution": solution,
        "notes": notes,
        # Indexed in normal form for exact filters, stored as given for display.
        "tags": ",".join(norm_key(t) for t in tags),
        "_stored_tags": tags,
        "category": norm_key(category),
        "_stored_category": category,
        "status": norm_key(status),
        "audience": norm_key(audience),
        "content_hash": str(doc.get("content_hash") or compute_content_hash(doc)),
        "title_bigrams": title + "\n" + scenario,
        "title_grams": title + "\n" + scenario,
        "body_grams": solution + "\n" + notes,
        "spell": " ".join([title, scenario, *tags]),
    }
    updated = as_datetime(doc.get("updated_at"))
    if updated is not None:
        out["updated_at"] = updated
    return out
