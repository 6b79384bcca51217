"""Account services: users, roles, passwords, login throttling and API tokens.

These verbs take the session explicitly and only flush; the caller owns the commit.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from portal import audit
from portal.db import saved_id
from portal.models import ApiToken, LoginFailure, Role, User, UserRole
from portal.timeutil import utcnow

USERNAME_MAX = 64
PASSWORD_MIN = 8
# A token's "last used" is shown to the minute; refreshing it at most this often keeps a busy API client
# from turning every read request into a database write.
TOKEN_TOUCH_SECONDS = 60
# A fixed hash to compare against when the user does not exist, so timing does not reveal valid names.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="pbkdf2:sha256:1000")


class AccountError(ValueError):
    """A request about an account that cannot be carried out; the message is shown to the user."""


class LoginThrottled(AccountError):
    def __init__(self, retry_after: int):
        super().__init__(f"too many failed logins; retry after {retry_after} seconds")
        self.retry_after = retry_after


class LastAdminError(AccountError):
    """The change would leave the portal without an active administrator, so nobody could manage users."""

    def __init__(self) -> None:
        super().__init__("the portal needs at least one active administrator; nothing was changed")


@dataclass(frozen=True)
class ThrottlePolicy:
    """Failed logins counted in a sliding window under three keys, each with its own cap.

    The tight cap is per account *and* address, so mistyped or made-up names from an office NAT do not lock
    out the colleagues behind it; a wider cap per account stops guessing spread over many addresses; a much
    wider cap per address slows spraying many names from one place."""

    max_failures: int = 5  # per account and address
    window_seconds: int = 15 * 60
    account_failures: int = 20
    address_failures: int = 100


def roles_of(session: Session, user: User) -> set[str]:
    """The user's roles as plain strings (cached on the instance for the request)."""
    cached = user.__dict__.get("_roles_cache")
    if cached is None:
        cached = set(session.exec(select(UserRole.role).where(UserRole.user_id == user.id)).all())
        user.__dict__["_roles_cache"] = cached
    return cached


def validate_roles(roles: Iterable[str]) -> list[Role]:
    result = []
    for role in roles:
        try:
            result.append(Role(role))
        except ValueError:
            raise AccountError(
                f"unknown role {role!r}; use one of {', '.join(r.value for r in Role)}"
            ) from None
    if not result:
        raise AccountError("a user needs at least one role")
    return sorted(set(result))


def _validate_username(username: str) -> str:
    username = (username or "").strip()
    if not username:
        raise AccountError("username is required")
    if len(username) > USERNAME_MAX:
        raise AccountError(f"username is longer than {USERNAME_MAX} characters")
    if any(ch.isspace() for ch in username):
        raise AccountError("username must not contain spaces")
    return username


def _validate_password(password: str) -> None:
    if len(password or "") < PASSWORD_MIN:
        raise AccountError(f"password must be at least {PASSWORD_MIN} characters")
    if len(password) > 1024:
        raise AccountError("password is too long")


def create_user(
    session: Session,
    username: str,
    password: str,
    roles: Iterable[str],
    *,
    display_name: str = "",
    team: str | None = None,
    email: str | None = None,
    actor: User | None = None,
    hash_method: str = "scrypt",
) -> User:
    """Create a user with the given roles; the username must be unused."""
    username = _validate_username(username)
    _validate_password(password)
    valid_roles = validate_roles(roles)
    if session.exec(select(User).where(User.username == username)).first() is not None:
        raise AccountError(f"username {username!r} is already taken")
    user = User(
        username=username,
        display_name=(display_name or "").strip()[:100],
        team=(team or None),
        email=(email or None),
        password_hash=generate_password_hash(password, method=hash_method),
    )
    session.add(user)
    session.flush()
    for role in valid_roles:
        session.add(UserRole(user_id=saved_id(user), role=role.value))
    session.flush()
    audit.record(
        session, actor, "user.create", "user", user.id, details={"roles": [r.value for r in valid_roles]}
    )
    return user


def _lock_admins(session: Session) -> None:
    """Serialise the changes that take away an administrator, so that two admins demoting each other at
    the same moment cannot both pass the count.  PostgreSQL: the admin role rows are locked, and the count
    that follows (a new statement) sees whatever the previous holder committed.  SQLite ignores FOR UPDATE,
    but there the first write of a transaction waits for the database's single writer lock and starts
    from the latest commit, and the count runs after our write."""
    session.exec(
        select(UserRole.user_id)
        .where(UserRole.role == Role.ADMIN.value)
        .order_by(col(UserRole.user_id))
        .with_for_update()
    ).all()


def _require_an_active_admin(session: Session) -> None:
    """Raise ``LastAdminError`` when no active administrator is left; the caller rolls back."""
    session.flush()
    remaining = session.exec(
        select(func.count())
        .select_from(UserRole)
        .join(User, col(User.id) == col(UserRole.user_id))
        .where(UserRole.role == Role.ADMIN.value, col(User.is_active).is_(True))
    ).one()
    if remaining == 0:
        raise LastAdminError()


def set_roles(session: Session, user: User, roles: Iterable[str], *, actor: User | None) -> None:
    """Replace the user's roles; refuses to take the admin role from the last active administrator.

    Only the roles that change are written, so an edit that keeps the roles takes no lock on them."""
    valid_roles = {r.value for r in validate_roles(roles)}
    current = set(session.exec(select(UserRole.role).where(UserRole.user_id == user.id)).all())
    demotes_admin = user.is_active and Role.ADMIN.value in current - valid_roles
    if demotes_admin:
        _lock_admins(session)
    removed = current - valid_roles
    if removed:
        session.exec(
            delete(UserRole).where(col(UserRole.user_id) == user.id, col(UserRole.role).in_(sorted(removed)))
        )
    for role in sorted(valid_roles - current):
        session.add(UserRole(user_id=saved_id(user), role=role))
    user.__dict__.pop("_roles_cache", None)
    session.flush()
    if demotes_admin:
        _require_an_active_admin(session)
    audit.record(session, actor, "user.roles", "user", user.id, details={"roles": sorted(valid_roles)})


def update_profile(
    session: Session,
    user: User,
    *,
    display_name: str,
    team: str | None,
    email: str | None,
    actor: User | None,
) -> None:
    """Change the descriptive fields of a user."""
    user.display_name = (display_name or "").strip()[:100]
    user.team = (team or "").strip()[:64] or None
    user.email = (email or "").strip()[:254] or None
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.update", "user", user.id)


def set_active(session: Session, user: User, active: bool, *, actor: User | None) -> None:
    """Enable or disable an account; disabling ends its sessions and its tokens, and enabling it again
    does not bring the old tokens back.  The last active administrator cannot be disabled."""
    if actor is not None and actor.id == user.id and not active:
        raise AccountError("you cannot disable your own account")
    demotes_admin = user.is_active and not active and Role.ADMIN.value in roles_of(session, user)
    if demotes_admin:
        _lock_admins(session)
    user.is_active = active
    user.auth_version += 1
    user.credential_version += 1
    session.add(user)
    session.flush()
    if demotes_admin:
        _require_an_active_admin(session)
    audit.record(session, actor, "user.enable" if active else "user.disable", "user", user.id)


def change_password(
    session: Session,
    user: User,
    current: str | None,
    new: str,
    *,
    actor: User | None,
    hash_method: str = "scrypt",
) -> None:
    """Set a new password; ``current`` is checked unless an admin resets it (``current=None``)."""
    if current is not None and not check_password_hash(user.password_hash, current):
        raise AccountError("current password is wrong")
    _validate_password(new)
    user.password_hash = generate_password_hash(new, method=hash_method)
    user.auth_version += 1
    user.credential_version += 1  # every API token made with the old password stops working
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.password", "user", user.id)


def set_language(session: Session, user: User, language: str) -> None:
    user.language = language
    session.add(user)
    session.flush()


def _throttle_keys(username: str, address: str | None, policy: ThrottlePolicy) -> dict[str, int]:
    """The keys a login attempt is counted under, each with its cap (the name as the login compares it)."""
    name = username.strip().lower()[:USERNAME_MAX]
    keys = {f"user:{name}": policy.account_failures}
    if address:
        keys[f"pair:{name}@{address}"] = policy.max_failures
        keys[f"addr:{address}"] = policy.address_failures
    return keys


def _retry_after(session: Session, keys: dict[str, int], policy: ThrottlePolicy, now: datetime) -> int:
    """Seconds until every key is below its cap again: when enough of its failures leave the window."""
    since = now - timedelta(seconds=policy.window_seconds)
    worst = 0.0
    for key, cap in keys.items():
        in_window = (col(LoginFailure.key) == key, col(LoginFailure.at) > since)
        count = session.exec(select(func.count()).select_from(LoginFailure).where(*in_window)).one()
        if count < cap:
            continue
        # With the oldest (count - cap + 1) failures gone, the key is below its cap.
        freeing = session.exec(
            select(LoginFailure.at)
            .where(*in_window)
            .order_by(col(LoginFailure.at))
            .offset(count - cap)
            .limit(1)
        ).one()
        worst = max(worst, (freeing + timedelta(seconds=policy.window_seconds) - now).total_seconds())
    return max(1, math.ceil(worst)) if worst > 0 else 0


def authenticate(
    session: Session, username: str, password: str, address: str | None, policy: ThrottlePolicy | None = None
) -> User:
    """Check a login. Raises ``LoginThrottled`` after too many failures for the name and address, the
    name, or the address (see ``ThrottlePolicy``); ``AccountError`` for a wrong password or a disabled
    account (one message for both unknown name and wrong password, so names cannot be probed)."""
    policy = policy or ThrottlePolicy()
    now = utcnow()
    keys = _throttle_keys(username or "", address, policy)
    wait = _retry_after(session, keys, policy, now)
    if wait > 0:
        raise LoginThrottled(wait)
    user = session.exec(select(User).where(User.username == (username or "").strip())).first()
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
    if not ok or user is None:
        for key in keys:
            session.add(LoginFailure(key=key, at=now))
        session.flush()
        raise AccountError("wrong username or password")
    if not user.is_active:
        raise AccountError("this account is disabled; ask an administrator")
    # The address's count stays: logging in to one's own account must not reset a spraying allowance.
    personal = [key for key in keys if not key.startswith("addr:")]
    session.exec(delete(LoginFailure).where(col(LoginFailure.key).in_(personal)))
    user.last_login_at = now
    session.add(user)
    session.flush()
    return user


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    session: Session, user: User, name: str, *, actor: User | None, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Create an API token for ``user``; returns the row and the clear token, which is never stored."""
    name = (name or "").strip() or "token"
    if len(name) > 100:
        raise AccountError("token name is longer than 100 characters")
    clear = "pt_" + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=saved_id(user),
        name=name,
        token_hash=hash_token(clear),
        prefix=clear[:10],
        expires_at=expires_at,
        credential_version=user.credential_version,
    )
    session.add(token)
    session.flush()
    audit.record(session, actor, "token.create", "api_token", token.id, details={"user": user.username})
    return token, clear


def revoke_token(session: Session, token: ApiToken, *, actor: User | None) -> None:
    """Revoke a token; requests using it get 401 from now on."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.add(token)
        session.flush()
        audit.record(session, actor, "token.revoke", "api_token", token.id)


def user_for_token(session: Session, clear: str) -> User | None:
    """The active user owning a usable token made under the user's current credentials, or None."""
    if not clear or len(clear) > 200:
        return None
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(clear))).first()
    now = utcnow()
    if token is None or not token.is_usable(now):
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.is_active or token.outlived_credentials(user):
        return None
    last = token.last_used_at
    if last is None or now - last >= timedelta(seconds=TOKEN_TOUCH_SECONDS):
        token.last_used_at = now
        session.add(token)
    return user
