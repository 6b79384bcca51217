"""Who may see and change an article: roles of the actor and the ``can_*`` checks the verbs and pages share."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from articles.errors import NotFound
from articles.models import Article, ArticleRevision, ArticleStatus, RevisionStatus
from articles.revisions import current_revision, pending_revision
from portal.accounts import roles_of
from portal.models import Role, User


def _roles(session: Session, actor: User | None) -> set[str]:
    # ``None`` is the system (CLI import, seeders): someone with shell access to the server.
    return {Role.ADMIN.value} if actor is None else roles_of(session, actor)


def is_lead(session: Session, actor: User | None) -> bool:
    roles = _roles(session, actor)
    return bool(roles & {Role.LEAD.value, Role.ADMIN.value})


def is_writer(session: Session, actor: User | None) -> bool:
    roles = _roles(session, actor)
    return bool(roles & {Role.AGENT.value, Role.LEAD.value, Role.ADMIN.value})


def actor_id(actor: User | None) -> int | None:
    return None if actor is None else actor.id


def can_view(session: Session, actor: User | None, article: Article) -> bool:
    """Published articles are for every user; unpublished work for its authors and leads."""
    if article.state is ArticleStatus.PUBLISHED or is_lead(session, actor):
        return True
    if actor is None:
        return False
    if article.author_id == actor.id:
        return True
    rev = current_revision(session, article)
    return rev is not None and rev.author_id == actor.id


def can_view_pending(session: Session, actor: User | None, article: Article) -> bool:
    rev = pending_revision(session, article)
    if rev is None:
        return False
    return is_lead(session, actor) or (actor is not None and actor.id in (rev.author_id, article.author_id))


def can_view_revision(session: Session, actor: User | None, article: Article, rev: ArticleRevision) -> bool:
    """The live revision is for every reader of the article; a pending one for its author, the article's
    author and leads; past ones, as in the history, also for every reader once they were replaced."""
    if not can_view(session, actor, article):
        return False
    if article.state is ArticleStatus.PUBLISHED and rev.id == article.live_revision_id:
        return True
    if is_lead(session, actor) or (actor is not None and actor.id in (article.author_id, rev.author_id)):
        return True
    return rev.state in (RevisionStatus.PUBLISHED, RevisionStatus.SUPERSEDED)


def can_edit(session: Session, actor: User | None, article: Article) -> bool:
    """Writers may propose an edit of a live article; unpublished work belongs to its author and leads."""
    if not is_writer(session, actor) or not article.state.can_edit():
        return False
    if actor is None or is_lead(session, actor):  # no actor: the system, which leads everything
        return True
    pending = pending_revision(session, article)
    if pending is not None:
        return actor.id == pending.author_id
    if article.state is ArticleStatus.PUBLISHED:
        return True
    return actor.id == article.author_id


def can_unlink_ticket(session: Session, actor: User | None, linked_by: int | None) -> bool:
    """Whoever made a ticket link may remove it again, and so may a lead (a wrong link skews the link rate)."""
    return is_lead(session, actor) or (actor is not None and linked_by == actor.id)


def ensure_visible(session: Session, actor: User | None, article: Article) -> None:
    # Someone who may not see a draft must not learn that it exists either.
    if not can_view(session, actor, article):
        raise NotFound(_l("This article does not exist."))
