"""Accounts, roles, API tokens, login throttling and the audit log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from portal.timeutil import utcnow


class Role(StrEnum):
    """What a user may do; a user may hold several. ``admin`` has every right."""

    AGENT = "agent"
    LEAD = "lead"
    QA = "qa"
    ADMIN = "admin"


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(sa_type=sa.String(64), unique=True, index=True)
    display_name: str = Field(default="", sa_type=sa.String(100))
    email: str | None = Field(default=None, sa_type=sa.String(254))
    team: str | None = Field(default=None, sa_type=sa.String(64), index=True)
    password_hash: str = Field(sa_type=sa.String(255))
    # Bumped on password change, disable and logout so that every existing login session stops working.
    auth_version: int = Field(default=1)
    # Bumped on password change and on disabling or enabling, never on logout: an API token works only while
    # it equals the token's own copy, so new credentials end every older token (and re-enabling an account
    # does not revive them), while a script's token survives its owner logging out of the browser.
    credential_version: int = Field(default=1)
    is_active: bool = Field(default=True)
    language: str | None = Field(default=None, sa_type=sa.String(10))
    created_at: datetime = Field(default_factory=utcnow)
    last_login_at: datetime | None = None

    # Flask-Login protocol -------------------------------------------------------------------
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.auth_version}"

    @property
    def label(self) -> str:
        return self.display_name or self.username


class UserRole(SQLModel, table=True):
    __tablename__ = "user_roles"

    user_id: int = Field(foreign_key="users.id", primary_key=True, ondelete="CASCADE")
    role: str = Field(sa_type=sa.String(16), primary_key=True)


class ApiToken(SQLModel, table=True):
    """A bearer token; only its SHA-256 is stored, the token itself is shown once."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    name: str = Field(sa_type=sa.String(100))
    token_hash: str = Field(sa_type=sa.String(64), unique=True, index=True)
    prefix: str = Field(sa_type=sa.String(12))
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    # The owner's ``credential_version`` when the token was made; 0 never matches (ended by the upgrade).
    credential_version: int = Field(default=0)

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def outlived_credentials(self, owner: User) -> bool:
        """True once the owner's password changed or the account was disabled after the token was made."""
        return self.credential_version != owner.credential_version


class LoginFailure(SQLModel, table=True):
    """One failed login, stored under three keys (``pair:<name>@<ip>``, ``user:<name>``, ``addr:<ip>``) so
    that each is throttled with its own cap; stored in the database so all workers agree."""

    __tablename__ = "login_failures"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_type=sa.String(200), index=True)
    at: datetime = Field(default_factory=utcnow, index=True)


class AuditLog(SQLModel, table=True):
    """Who did what, when, to which object; written in the same transaction as the change."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    action: str = Field(sa_type=sa.String(64), index=True)
    object_type: str = Field(sa_type=sa.String(64))
    object_id: str | None = Field(default=None, sa_type=sa.String(64))
    from_state: str | None = Field(default=None, sa_type=sa.String(32))
    to_state: str | None = Field(default=None, sa_type=sa.String(32))
    comment: str | None = Field(default=None, sa_type=sa.Text)
    details: str | None = Field(default=None, sa_type=sa.Text)
