"""Compare-and-set of a workflow state: how a state change is written, in every package.

A state change reads the row, decides, then writes. Two requests that read the same state at the same
moment (two workers, two nodes) would both decide "allowed" and both write; the later one silently
overwrites the earlier, e.g. an evaluation acknowledged and disputed at once. So the write is a
conditional UPDATE that names the state the decision was made on, and the caller checks that it changed
exactly one row: of the concurrent writers only one can, the others learn it and refuse (409) before they
write anything else. The UPDATE also holds the row (PostgreSQL: the row lock; SQLite: the write lock) until
the request commits, so what the winner does next is not interleaved with another writer of that row.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import func, inspect, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, SQLModel, col


def _row_id(row: SQLModel) -> Any:
    """The primary key of a loaded or flushed row."""
    identity = inspect(row).identity
    if identity is None:
        raise RuntimeError(f"{type(row).__name__} was never flushed")
    return identity[0]


def _id(model: type[SQLModel]) -> Any:
    return col(getattr(model, "id"))  # noqa: B009 (SQLModel does not type the mapped columns of a model class)


def compare_and_set(session: Session, row: SQLModel, expected: dict[str, Any], new: dict[str, Any]) -> bool:
    """Set ``new`` on ``row`` in the database iff its columns still hold ``expected``; True if this
    transaction made the change (then ``row`` shows the new values too), False if someone else got there
    first (nothing was changed). With ``new`` empty it only checks ``expected`` and holds the row until
    the commit, so that a concurrent state change waits for this transaction or wins before it."""
    model = type(row)
    conditions = [col(getattr(model, name)) == value for name, value in expected.items()]
    result = session.exec(
        update(model)
        .where(_id(model) == _row_id(row), *conditions)
        .values(**(new or expected))  # nothing new: rewrite what is expected, to hold the row
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    for name, value in new.items():
        set_committed_value(row, name, value)
    return True


def hold(session: Session, row: SQLModel, column: str) -> bool:
    """Hold ``row`` until the commit without changing it (``column`` is set to itself; name a column no
    unique index or foreign key covers, so that PostgreSQL takes the weaker row lock), so that a
    concurrent state change of it either is committed before what follows reads anything, or waits for
    this transaction. False if the row is gone."""
    model = type(row)
    target = col(getattr(model, column))
    result = session.exec(
        update(model)
        .where(_id(model) == _row_id(row))
        .values({target: target})
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def current(session: Session, row: SQLModel, column: str) -> Any:
    """The committed value of one column of ``row`` as the database holds it now (after a lost
    compare-and-set, to tell the loser what happened)."""
    model = type(row)
    return session.scalar(select(getattr(model, column)).where(_id(model) == _row_id(row)))


def one_at_a_time(session: Session, name: str) -> None:
    """Make the rest of this transaction wait for any other transaction that called this with the same
    ``name`` until that one ends, for work whose conflicts are spread over many rows (two plans drawing
    from the same candidates). PostgreSQL: a transaction-level advisory lock. SQLite needs nothing more:
    call this after the transaction's first write, which already holds SQLite's one write lock until the
    commit."""
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        session.scalar(select(func.pg_advisory_xact_lock(key)))


def insert_once(session: Session, row: SQLModel, unique: list[str], where: str | None = None) -> int | None:
    """Insert ``row`` unless a row with the same ``unique`` columns exists (the unique index over them,
    partial with ``where``, decides, so of parallel requests exactly one inserts); the new id, or None.
    An insert that does nothing on a conflict rather than an IntegrityError: the session stays usable for
    the 409 answer and for the page shown with it."""
    model = type(row)
    postgres = session.get_bind().dialect.name == "postgresql"
    stmt = (
        (postgresql.insert(model) if postgres else sqlite.insert(model))
        .values(**row.model_dump(exclude={"id"}))
        .on_conflict_do_nothing(index_elements=unique, index_where=text(where) if where else None)
        .returning(_id(model))
    )
    return session.execute(stmt).scalar_one_or_none()
