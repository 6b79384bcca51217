"""Chinese by default, English per user. Each package keeps its own catalogue under ``translations/``."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, has_request_context, session
from flask_babel import Babel, get_locale

from portal.auth import current_actor
from portal.config import SUPPORTED_LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE_PACKAGES = ("portal", "articles", "qa")
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}


def translation_directories() -> list[str]:
    return [
        str(ROOT / pkg / "translations")
        for pkg in CATALOGUE_PACKAGES
        if (ROOT / pkg / "translations").is_dir()
    ]


def select_locale() -> str:
    """The user's saved choice, else the anonymous visitor's choice, else ``PORTAL_LANGUAGE``.

    Commands and background work have no request (nor user); their messages use the instance's language
    instead of failing when a lazily translated message is turned into text."""
    if not has_request_context():
        return current_app.config["LANGUAGE"]
    user = current_actor()
    if user is not None and user.language in SUPPORTED_LANGUAGES:
        return user.language
    chosen = session.get("language")
    if chosen in SUPPORTED_LANGUAGES:
        return chosen
    return current_app.config["LANGUAGE"]


def init_app(app: Flask) -> None:
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(translation_directories())
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
    app.jinja_env.globals["get_locale"] = get_locale
