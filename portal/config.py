"""Configuration from ``PORTAL_*`` environment variables and explicit overrides.

The interface is stable (scripts and tests rely on it): ``create_app(overrides)`` accepts the keys ``DATABASE_URL``,
``INDEX_DIR``, ``INSTANCE_DIR``, ``SECRET_KEY`` and ``TESTING``; everything else comes from the
environment.  No secret ever has a literal fallback here: outside production the key is generated once
into the instance folder, in production a missing ``PORTAL_SECRET_KEY`` stops start-up.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any, overload

DEFAULT_TICKET_ID_PATTERN = r"(?P<date>\d{8})-[A-Z]\d{3,}"
SUPPORTED_LANGUAGES = ("zh_CN", "en")


class ConfigError(RuntimeError):
    """Start-up configuration is unusable; the message tells the operator what to set."""


@overload
def _env(name: str, default: str) -> str: ...
@overload
def _env(name: str, default: None = None) -> str | None: ...
def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(f"PORTAL_{name}")
    return value if value not in (None, "") else default


def semantic_setting() -> str:
    """``PORTAL_SEMANTIC`` as the app reads it (``use`` when unset); ``portal serve``'s master preloads the
    same model for its workers (:mod:`portal.gunicorn_conf`)."""
    return _env("SEMANTIC", "use")


def _secret_key(instance_dir: Path, production: bool) -> str:
    configured = _env("SECRET_KEY")
    if configured:
        return configured
    if production:
        raise ConfigError(
            "PORTAL_SECRET_KEY must be set when PORTAL_ENV=production "
            "(for example: export PORTAL_SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))'))"
        )
    key_file = instance_dir / "secret_key"
    try:
        # O_EXCL: two workers starting together must agree on one key, so only one may create it.
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = key_file.read_text().strip()
        if len(key) < 32:
            raise ConfigError(
                f"{key_file} is shorter than 32 characters; delete it to generate a new one"
            ) from None
        return key
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def load_config(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Build the Flask config mapping from the environment, then apply ``overrides``."""
    overrides = dict(overrides or {})
    production = (_env("ENV", "development") or "").lower() == "production" and not overrides.get("TESTING")
    instance_dir = Path(overrides.get("INSTANCE_DIR") or _env("INSTANCE_DIR", "instance")).resolve()
    instance_dir.mkdir(parents=True, exist_ok=True)

    language = _env("LANGUAGE", "zh_CN")
    if language not in SUPPORTED_LANGUAGES:
        raise ConfigError(
            f"PORTAL_LANGUAGE must be one of {', '.join(SUPPORTED_LANGUAGES)}, not {language!r}"
        )

    config: dict[str, Any] = {
        "ENV_NAME": "production" if production else "development",
        "INSTANCE_DIR": str(instance_dir),
        "DATABASE_URL": _env("DATABASE_URL", f"sqlite:///{instance_dir / 'portal.db'}"),
        "INDEX_DIR": _env("INDEX_DIR", str(instance_dir / "index")),
        "UPLOAD_DIR": _env("UPLOAD_DIR", str(instance_dir / "uploads")),
        "TICKET_ID_PATTERN": _env("TICKET_ID_PATTERN", DEFAULT_TICKET_ID_PATTERN),
        "LANGUAGE": language,
        "SEMANTIC": semantic_setting(),
        "DISPUTE_WINDOW_DAYS": int(_env("DISPUTE_WINDOW_DAYS", "7")),
        "REVIEW_DUE_DAYS": int(_env("REVIEW_DUE_DAYS", "180")),
        # Failed logins allowed within LOGIN_LOCK_SECONDS: per account and address, per account (from any
        # address), per address (any names; an office NAT shares one).
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": 20,
        "LOGIN_MAX_FAILURES_PER_ADDRESS": 100,
        "LOGIN_LOCK_SECONDS": 15 * 60,
        "PASSWORD_HASH_METHOD": "scrypt",  # a hash method name, not a password  # nosec B105
        "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
        "MAX_FIELD_LENGTH": 20_000,
        "TESTING": False,
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": production,
        "JSON_AS_ASCII": False,
    }
    config.update(overrides)
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _secret_key(instance_dir, production)
    Path(config["INDEX_DIR"]).mkdir(parents=True, exist_ok=True)
    Path(config["UPLOAD_DIR"]).mkdir(parents=True, exist_ok=True)
    return config
