"""Display names: of stored codes (channels, evaluation states), translated at render time, and of users
by id (every room's pages show who graded, who was evaluated, who resolved)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from portal.models import User

CHANNEL_NAMES = {
    "phone": _l("Phone"),
    "chat": _l("Online chat"),
    "email": _l("E-mail"),
    "social": _l("Social media"),
    "ecommerce": _l("E-commerce"),
    "other": _l("Other"),
}

EVALUATION_STATUS_NAMES = {
    "draft": _l("draft"),
    "submitted": _l("submitted"),
    "acknowledged": _l("acknowledged"),
    "disputed": _l("disputed"),
    "upheld": _l("upheld"),
    "adjusted": _l("adjusted"),
}


def channel_name(code: str | None) -> str:
    """The reader's-language name of a channel code; unknown codes are shown as they are."""
    return str(CHANNEL_NAMES.get(code or "", code or "—"))


def evaluation_status_name(code: str | None) -> str:
    return str(EVALUATION_STATUS_NAMES.get(code or "", code or "—"))


def usernames(session: Session, ids: set[int] | set[int | None]) -> dict[int, User]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.id: u for u in session.exec(select(User).where(col(User.id).in_(wanted))) if u.id is not None}
