"""The ``search_vectors`` table: which articles have a vector, reading, writing and checking the rows.

Database side of :mod:`search_index.semantic.vectors` (which keeps one worker's matrix in step with these rows).
Flask-free; every function takes the session or engine it works with.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeGuard

import numpy as np
from sqlalchemy import delete, func, inspect
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from search_index.models import SearchVector
from search_index.semantic.model import Embedder, article_text, vector_to_bytes

#: Article statuses that keep a vector (search by leads, possible duplicates among drafts and reviews).
VECTOR_STATUSES = frozenset({"published", "in_review", "draft"})
#: Documents per embedding call and per database transaction.
BATCH = 256


def vector_hash(model_name: str, doc: Mapping[str, Any]) -> str:
    """What decides whether an article must be re-embedded: the model and the embedded text."""
    return hashlib.sha256(f"{model_name}\n{article_text(doc)}".encode()).hexdigest()


def has_vector_table(engine: Engine) -> bool:
    """Whether the ``search_vectors`` table exists yet (a fresh database before its migrations)."""
    try:
        return bool(inspect(engine).has_table(SearchVector.__tablename__))
    except Exception:
        return False


def wants_vector(doc: Mapping[str, Any] | None) -> TypeGuard[Mapping[str, Any]]:
    """Whether an article (a loaded document, ``None`` when deleted) should have a vector."""
    return doc is not None and str(doc.get("status") or "") in VECTOR_STATUSES


def read_vectors(session: Session, model_name: str, dim: int) -> tuple[list[int], np.ndarray, dict[int, str]]:
    """Every stored vector of ``model_name``, streamed straight into one float16 array: ``(ids, rows,
    {id: content hash})``.  Rows of another dimension (another model, damage) are skipped.

    At 69,000 articles, materialising the rows first (bytes objects, then a float32 array each) made a
    ~300 MB transient of small allocations that the C allocator kept: workers stayed ~240 MB larger.
    """
    where = SearchVector.model == model_name
    expected = session.exec(select(func.count()).select_from(SearchVector).where(where)).one()
    rows = np.zeros((expected, dim), dtype=np.float16)
    ids: list[int] = []
    hashes: dict[int, str] = {}
    stmt = select(SearchVector.article_id, SearchVector.content_hash, SearchVector.vector).where(where)
    for article_id, content_hash, data in session.exec(stmt.execution_options(yield_per=2048)):
        if not data or len(data) != 2 * dim:  # another model's or a damaged row: re-embedded lazily
            continue
        if len(ids) == rows.shape[0]:  # rows stored since the count
            rows = np.concatenate([rows, np.zeros((len(ids) // 8 + 64, dim), dtype=np.float16)])
        rows[len(ids)] = np.frombuffer(data, dtype="<f2")
        ids.append(article_id)
        hashes[article_id] = content_hash
    return ids, rows[: len(ids)], hashes


def stored_rows(session: Session, ids: list[int]) -> dict[int, tuple[int, str, str, bytes]]:
    """``{article id: (article id, model, content hash, vector bytes)}`` of the stored rows of ``ids``."""
    stmt = select(
        SearchVector.article_id, SearchVector.model, SearchVector.content_hash, SearchVector.vector
    ).where(col(SearchVector.article_id).in_(ids))
    return {row[0]: (row[0], row[1], row[2], row[3]) for row in session.exec(stmt).all()}


def write_rows(engine: Engine, rows: list[dict[str, Any]]) -> None:
    """Upsert by article id in one short transaction (delete + insert works on SQLite and PostgreSQL)."""
    if not rows:
        return
    ids = [r["article_id"] for r in rows]
    for attempt in range(2):
        try:
            with Session(engine) as session:
                session.exec(delete(SearchVector).where(col(SearchVector.article_id).in_(ids)))
                session.add_all(SearchVector(**r) for r in rows)
                session.commit()
            return
        except Exception:
            # Another worker wrote the same rows at the same moment: its vectors are as good as ours.
            if attempt:
                raise


def delete_rows(engine: Engine, ids: Iterable[int]) -> None:
    """Delete the rows of ``ids`` (in chunks, one transaction)."""
    ids = list(ids)
    if not ids:
        return
    with Session(engine) as session:
        for start in range(0, len(ids), 1000):
            session.exec(
                delete(SearchVector).where(col(SearchVector.article_id).in_(ids[start : start + 1000]))
            )
        session.commit()


def embed_and_write(
    engine: Engine,
    embedder: Embedder,
    docs: list[Mapping[str, Any]],
    progress: Callable[[int], None] | None = None,
) -> list[tuple[int, str, np.ndarray]]:
    """Embed ``docs`` in batches of :data:`BATCH`, storing each batch at once (one short transaction per
    batch, so a long rebuild never holds the database).  Returns ``[(article id, content hash, vector)]``."""
    out: list[tuple[int, str, np.ndarray]] = []
    for start in range(0, len(docs), BATCH):
        chunk = docs[start : start + BATCH]
        vecs = embedder.embed_texts([article_text(d) for d in chunk])
        now = datetime.now(UTC)
        rows = []
        for doc, vec in zip(chunk, vecs, strict=True):
            article_id, content_hash = int(doc["id"]), vector_hash(embedder.name, doc)
            rows.append(
                {
                    "article_id": article_id,
                    "model": embedder.name,
                    "content_hash": content_hash,
                    "dim": int(embedder.dim),
                    "vector": vector_to_bytes(vec),
                    "updated_at": now,
                }
            )
            out.append((article_id, content_hash, vec))
        write_rows(engine, rows)
        if progress is not None:
            progress(len(out))
    return out


@dataclass
class VectorReport:
    """``check-index`` for vectors: articles without a current vector, and rows that should not exist."""

    missing: list[int] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)
    extra: list[int] = field(default_factory=list)
    checked: int = 0

    @property
    def clean(self) -> bool:
        return not (self.missing or self.stale or self.extra)


def check_vectors(session: Session, docs: Iterable[Mapping[str, Any]], model_name: str) -> VectorReport:
    """Compare the stored vectors of ``model_name`` with the articles ``docs`` (by :func:`vector_hash`)."""
    report = VectorReport()
    stored = dict(
        session.exec(
            select(SearchVector.article_id, SearchVector.content_hash).where(SearchVector.model == model_name)
        ).all()
    )
    others = set(session.exec(select(SearchVector.article_id).where(SearchVector.model != model_name)).all())
    for doc in docs:
        if not wants_vector(doc):
            continue
        report.checked += 1
        aid = int(doc["id"])
        have = stored.pop(aid, None)
        others.discard(aid)
        if have is None:
            report.missing.append(aid)
        elif have != vector_hash(model_name, doc):
            report.stale.append(aid)
    report.extra = sorted(set(stored) | others)
    report.missing.sort()
    report.stale.sort()
    return report
