"""Users and tokens."""

from __future__ import annotations

import itertools

from sqlmodel import Session

from portal import accounts
from portal.models import User

_seq = itertools.count(1)
DEFAULT_PASSWORD = "correct horse battery"


def make_user(
    db: Session,
    username: str | None = None,
    roles: tuple[str, ...] | list[str] = ("agent",),
    *,
    password: str = DEFAULT_PASSWORD,
    team: str | None = None,
    display_name: str = "",
    active: bool = True,
) -> User:
    """A committed user with ``roles``."""
    username = username or f"user{next(_seq)}"
    user = accounts.create_user(
        db, username, password, roles, display_name=display_name, team=team, hash_method="pbkdf2:sha256:1000"
    )
    user.is_active = active
    db.add(user)
    db.commit()
    return user


def make_token(db: Session, user: User, name: str = "test") -> str:
    """A committed API token for ``user``; returns the clear token."""
    _token, clear = accounts.create_token(db, user, name, actor=None)
    db.commit()
    return clear
