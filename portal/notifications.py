"""In-app notifications: the bell with an unread count (evaluation received, dispute opened/resolved,
article approved/rejected/flagged).

A notification stores a ``kind`` and parameters, not a sentence, so that each reader sees it in their own
language; ``message_for`` renders it at display time. Likewise its link is stored as an endpoint name and its
values (a ``PageLink``) and turned into a URL when the user opens it: the services that notify run without a
request, and a link built from the endpoint keeps working when a page's path changes.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask import Blueprint, Flask, abort, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from sqlmodel import Field, Session, SQLModel, col, func, select, update
from werkzeug.routing import BuildError

from portal.auth import current_actor, login_required, require_actor
from portal.db import get_session, saved_id
from portal.forms import ActionForm
from portal.timeutil import utcnow


class Notification(SQLModel, table=True):
    __tablename__ = "notifications"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    kind: str = Field(sa_type=sa.String(40))
    params: str = Field(default="{}", sa_type=sa.Text)
    url: str | None = Field(default=None, sa_type=sa.String(300))
    created_at: datetime = Field(default_factory=utcnow, index=True)
    read_at: datetime | None = None


# kind → message template (msgids, translated when shown); parameters are escaped by Jinja.
MESSAGES = {
    "evaluation_received": _l("New QA evaluation of ticket %(ticket_id)s: %(score)s"),
    "dispute_opened": _l("%(agent)s disputed the evaluation of ticket %(ticket_id)s"),
    "dispute_resolved": _l("The dispute on ticket %(ticket_id)s was resolved: %(outcome)s"),
    "article_approved": _l("Your article “%(title)s” was approved and is live"),
    "article_rejected": _l("Your article “%(title)s” was sent back: %(comment)s"),
    "article_flagged": _l("Article “%(title)s” was flagged as outdated: %(comment)s"),
    "article_submitted": _l("Article “%(title)s” is waiting for review"),
}


class PageLink(NamedTuple):
    """The page a notification leads to: an endpoint name and its URL values."""

    endpoint: str
    values: dict[str, int | str]


_LINK_KEY = "_link"


def notify(
    session: Session,
    user_id: int,
    kind: str,
    *,
    link: PageLink | None = None,
    url: str | None = None,
    **params: Any,
) -> Notification:
    """Queue a notification for ``user_id`` in the caller's transaction; ``link`` is the page it opens."""
    if kind not in MESSAGES:
        raise ValueError(f"unknown notification kind {kind!r}")
    if link is not None:
        params[_LINK_KEY] = [link.endpoint, link.values]
    note = Notification(
        user_id=user_id, kind=kind, url=url, params=json.dumps(params, ensure_ascii=False, default=str)
    )
    session.add(note)
    session.flush()
    return note


def unread_count(session: Session, user_id: int) -> int:
    return session.exec(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, col(Notification.read_at).is_(None))
    ).one()


def message_for(note: Notification) -> str:
    template = MESSAGES.get(note.kind)
    if template is None:
        return note.kind
    try:
        return str(template) % json.loads(note.params or "{}")
    except (KeyError, TypeError, ValueError):
        return str(template)


def link_of(note: Notification) -> str | None:
    """The site-relative URL the notification opens (needs a request or an app context), or None."""
    stored = json.loads(note.params or "{}").get(_LINK_KEY)
    if stored:
        endpoint, values = stored
        try:
            return url_for(endpoint, **values)
        except BuildError:  # the page no longer exists: open the list instead of failing
            return None
    # Notifications written before links were stored by endpoint name carry a path.
    if note.url and note.url.startswith("/") and not note.url.startswith("//"):
        return note.url
    return None


def mark_read(session: Session, user_id: int, note_id: int | None = None) -> None:
    """Mark one of the user's notifications (or all of them) as read."""
    stmt = update(Notification).where(
        col(Notification.user_id) == user_id, col(Notification.read_at).is_(None)
    )
    if note_id is not None:
        stmt = stmt.where(col(Notification.id) == note_id)
    session.exec(stmt.values(read_at=utcnow()))
    session.flush()


bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("/")
@login_required
def index():
    user = current_actor()
    notes = (
        get_session()
        .exec(
            select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.id.desc())
            .limit(100)
        )
        .all()
    )
    return render_template(
        "portal/notifications.html", notes=notes, message_for=message_for, form=ActionForm()
    )


@bp.post("/<int:note_id>/open")
@login_required
def open_note(note_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    user = require_actor()
    note = get_session().get(Notification, note_id)
    if note is None or note.user_id != user.id:
        abort(404)
    mark_read(get_session(), user.id, note_id)
    return redirect(link_of(note) or url_for("notifications.index"))


@bp.post("/read-all")
@login_required
def read_all():
    if not ActionForm().validate_on_submit():
        abort(400)
    mark_read(get_session(), current_actor().id)
    return redirect(url_for("notifications.index"))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    def _unread() -> int:
        user = current_actor()
        return unread_count(get_session(), saved_id(user)) if user is not None else 0

    app.jinja_env.globals["unread_notifications"] = _unread
