"""Who is asking, and who may use each route.

Every view function carries an ``access`` marker set by exactly one of ``public``,
``login_required`` or ``role_required``; a test walks ``app.url_map`` and fails on any route without
one.  HTML routes authenticate with the login session; API routes (under ``/api/``) only with a
Bearer token, so a browser's cookies can never drive the API (no CSRF surface there).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, abort, g, redirect, request, url_for
from flask_login import LoginManager, current_user
from sqlmodel import select

from portal.accounts import roles_of, user_for_token
from portal.db import get_session
from portal.models import Role, User

login_manager = LoginManager()
login_manager.login_view = "portal.login"
login_manager.session_protection = "strong"


@dataclass(frozen=True)
class Access:
    """The rule a route declares: ``public``, any logged-in user, or one of ``roles`` (admin always)."""

    kind: str  # "public" | "login" | "roles"
    roles: frozenset[str] = frozenset()

    def allows(self, user_roles: set[str] | None) -> bool:
        if self.kind == "public":
            return True
        if user_roles is None:
            return False
        if self.kind == "login":
            return True
        return bool(user_roles & self.roles) or Role.ADMIN.value in user_roles


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def current_actor() -> User | None:
    """The authenticated user of this request: Bearer token for the API, login session elsewhere."""
    if is_api_request():
        if "_api_user" not in g:
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            user = None
            if scheme.lower() == "bearer" and token.strip():
                user = user_for_token(get_session(), token.strip())
            g._api_user = user
        return g._api_user
    if current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def require_actor() -> User:
    """The actor of a handler behind ``login_required`` or ``role_required``, which already turned
    anonymous requests away; the 401 only guards a handler that lost its decorator."""
    user = current_actor()
    if user is None:
        abort(401)
    return user


def actor_roles(user: User | None = None) -> set[str]:
    user = user if user is not None else current_actor()
    if user is None:
        return set()
    return roles_of(get_session(), user)


def has_role(*roles: Role | str, user: User | None = None) -> bool:
    """True when the user holds one of ``roles`` or is an admin."""
    held = actor_roles(user)
    return Role.ADMIN.value in held or any(str(r) in held for r in roles)


def _deny_unauthenticated():
    if is_api_request():
        abort(401)
    return redirect(url_for("portal.login", next=request.full_path if request.query_string else request.path))


def _guard(access: Access) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if access.kind != "public":
                user = current_actor()
                if user is None:
                    return _deny_unauthenticated()
                if not access.allows(actor_roles(user)):
                    abort(403)
            return view(*args, **kwargs)

        wrapped.access = access  # type: ignore[attr-defined]
        return wrapped

    return decorator


def public(view: Callable[..., Any]) -> Callable[..., Any]:
    """Anyone, logged in or not (login page, health check, OpenAPI document)."""
    return _guard(Access("public"))(view)


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Any active, logged-in user whatever their roles."""
    return _guard(Access("login"))(view)


def role_required(*roles: Role | str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Users holding one of ``roles``; admins always pass."""
    if not roles:
        raise ValueError("role_required needs at least one role")
    return _guard(Access("roles", frozenset(Role(r).value for r in roles)))


def access_of(view: Callable[..., Any]) -> Access | None:
    return getattr(view, "access", None)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)

    @login_manager.user_loader
    def _load_user(user_id: str) -> User | None:
        uid, _, version = user_id.partition(":")
        if not uid.isdigit() or not version.isdigit():
            return None
        user = get_session().exec(select(User).where(User.id == int(uid))).first()
        # A bumped auth_version (password change, disable) ends every older login.
        if user is None or not user.is_active or user.auth_version != int(version):
            return None
        return user

    @login_manager.unauthorized_handler
    def _unauthorized():
        return _deny_unauthenticated()

    app.jinja_env.globals["has_role"] = has_role
    app.jinja_env.globals["current_actor"] = current_actor
