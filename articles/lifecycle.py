"""Workflow transitions of an article (KCS-style review, four-eyes): submit, withdraw, approve, reject, archive, re-verify.

Every verb checks the right and the state, bumps the lock version (``articles.locking``), writes the audit
log, tells the search index after the commit and only flushes. A stale ``expected_version`` fails before
anything is touched.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from articles.access import actor_id, can_edit, ensure_visible, is_lead
from articles.errors import Forbidden, InvalidInput, InvalidTransition
from articles.locking import claim, require_version
from articles.models import REASON_MAX, Article, ArticleRevision, ArticleStatus, OutdatedFlag, RevisionStatus
from articles.revisions import current_revision, get_article, pending_revision, sync_unpublished_status
from portal.audit import record
from portal.db import saved_id
from portal.masking import free_text_masker
from portal.models import User
from portal.notifications import PageLink, notify
from portal.timeutil import utcnow
from search_index import article_changed

DEFAULT_REVIEW_DUE_DAYS = 180


def _target(
    session: Session, actor: User | None, article_id: int, expected_version: int | None, *, lead_only=None
) -> Article:
    """Load the article a verb acts on: unpublished work others may not see is 'not found'; with
    ``lead_only`` (the refusal message) only leads may act; a stale version fails here."""
    article = get_article(session, article_id)
    if lead_only is None:
        ensure_visible(session, actor, article)
    elif not is_lead(session, actor):
        raise Forbidden(lead_only)
    require_version(article, expected_version)
    return article


def _move_revision(article: Article, rev: ArticleRevision, status: RevisionStatus, **changes: Any) -> None:
    """Put the working revision into ``status``; an unpublished article follows its state."""
    rev.status = status.value
    for name, value in changes.items():
        setattr(rev, name, value)
    sync_unpublished_status(article, rev)


def _done(
    session: Session, actor: User | None, article: Article, action: str, *, reindex: bool = True, **audit: Any
) -> Article:
    """Flush the changed rows, write the audit entry ``article.<action>`` and queue the index update."""
    session.add(article)
    session.flush()
    record(session, actor, f"article.{action}", "article", article.id, **audit)
    if reindex:
        article_changed(session, saved_id(article))
    return article


def _comment(session: Session, comment: str | None) -> str | None:
    """A review comment as stored: trimmed, with personal data masked (a lead may quote a customer)."""
    return free_text_masker(session)((comment or "").strip()[:REASON_MAX]) or None


def _resolve_open_flags(session: Session, actor: User | None, article: Article, now) -> int:
    flags = session.exec(
        select(OutdatedFlag).where(
            OutdatedFlag.article_id == article.id, col(OutdatedFlag.resolved_at).is_(None)
        )
    ).all()
    for flag in flags:
        flag.resolved_at = now
        flag.resolved_by = actor_id(actor)
        session.add(flag)
    return len(flags)


def submit_article(
    session: Session, actor: User | None, article_id: int, expected_version: int | None = None
) -> Article:
    """Send the working revision (draft or rejected) to the review queue."""
    article = _target(session, actor, article_id, expected_version)
    rev = current_revision(session, article)
    if article.state is ArticleStatus.ARCHIVED or not rev.state.can_submit():
        raise InvalidTransition(
            _l(
                "Only a draft or a rejected article can be submitted for review (it is %(state)s).",
                state=rev.status,
            )
        )
    if not can_edit(session, actor, article):
        raise Forbidden(_l("Only the author or a lead can submit this article."))
    before = rev.status
    claim(session, article, expected_version)
    _move_revision(article, rev, RevisionStatus.IN_REVIEW, submitted_at=utcnow())
    session.add(rev)
    return _done(
        session,
        actor,
        article,
        "submit",
        from_state=before,
        to_state=rev.status,
        details={"revision": rev.number},
    )


def withdraw_article(
    session: Session, actor: User | None, article_id: int, expected_version: int | None = None
) -> Article:
    """Take a submitted revision back out of review (back to draft) to change it."""
    article = _target(session, actor, article_id, expected_version)
    rev = current_revision(session, article)
    if not rev.state.can_withdraw():
        raise InvalidTransition(_l("Only an article in review can be withdrawn."))
    if not (is_lead(session, actor) or actor_id(actor) == rev.author_id):
        raise Forbidden(_l("Only the author or a lead can withdraw this article."))
    claim(session, article, expected_version)
    _move_revision(article, rev, RevisionStatus.DRAFT, submitted_at=None)
    session.add(rev)
    return _done(
        session,
        actor,
        article,
        "withdraw",
        from_state=RevisionStatus.IN_REVIEW,
        to_state=RevisionStatus.DRAFT,
    )


def _review_target(
    session: Session, actor: User | None, article_id: int, expected_version: int | None, verb: str
) -> tuple[Article, ArticleRevision]:
    article = _target(
        session, actor, article_id, expected_version, lead_only=_l("Only a lead can review articles.")
    )
    rev = current_revision(session, article)
    if article.state is ArticleStatus.ARCHIVED or not rev.state.can_approve():
        raise InvalidTransition(
            _l("Only an article in review can be %(verb)s (it is %(state)s).", verb=verb, state=rev.status)
        )
    return article, rev


def _reviewed(actor: User | None, comment: str | None) -> dict[str, Any]:
    return {"reviewer_id": actor_id(actor), "reviewed_at": utcnow(), "review_comment": comment}


def _notify_author(
    session: Session, actor: User | None, rev: ArticleRevision, kind: str, article_id: int, **params
):
    """Tell the revision's author about the review in the bell (not when they reviewed it themselves)."""
    if rev.author_id is not None and rev.author_id != actor_id(actor):
        notify(
            session,
            rev.author_id,
            kind,
            link=PageLink("articles.view", {"article_id": article_id}),
            title=rev.title,
            **params,
        )


def approve_article(
    session: Session,
    actor: User | None,
    article_id: int,
    *,
    comment: str | None = None,
    expected_version: int | None = None,
    review_due_days: int = DEFAULT_REVIEW_DUE_DAYS,
) -> Article:
    """Publish the revision in review; it replaces the live one. The author of the revision can never
    approve it (four-eyes), whatever their roles."""
    article, rev = _review_target(session, actor, article_id, expected_version, "approved")
    if actor is not None and rev.author_id == actor.id:
        raise Forbidden(_l("You cannot approve your own revision; another lead must review it."))
    comment = _comment(session, comment)
    claim(session, article, expected_version)
    before = article.status
    old_live = session.get(ArticleRevision, article.live_revision_id) if article.live_revision_id else None
    if old_live is not None and old_live.id != rev.id:
        old_live.status = RevisionStatus.SUPERSEDED.value
        session.add(old_live)
    review = _reviewed(actor, comment)
    _move_revision(article, rev, RevisionStatus.PUBLISHED, **review)
    session.add(rev)
    now = review["reviewed_at"]
    article.live_revision_id = rev.id
    article.published_at = now
    article.review_due = now.date() + timedelta(days=review_due_days)
    article.status = ArticleStatus.PUBLISHED.value
    _done(
        session,
        actor,
        article,
        "approve",
        from_state=before,
        to_state=ArticleStatus.PUBLISHED,
        comment=comment,
        details={"revision": rev.number},
    )
    _notify_author(session, actor, rev, "article_approved", saved_id(article))
    return article


def reject_article(
    session: Session,
    actor: User | None,
    article_id: int,
    comment: str,
    *,
    expected_version: int | None = None,
) -> Article:
    """Send the revision in review back to its author with a required comment; a live revision stays live."""
    comment = (comment or "").strip() if isinstance(comment, str) else ""
    if not comment:
        raise InvalidInput(
            _l("Say why the article is rejected."), details={"fields": {"comment": "required"}}
        )
    if len(comment) > REASON_MAX:
        raise InvalidInput(
            _l("At most %(n)d characters.", n=REASON_MAX), details={"fields": {"comment": "too long"}}
        )
    comment = free_text_masker(session)(comment)
    article, rev = _review_target(session, actor, article_id, expected_version, "rejected")
    claim(session, article, expected_version)
    before = article.status
    _move_revision(article, rev, RevisionStatus.REJECTED, **_reviewed(actor, comment))
    session.add(rev)
    _done(
        session,
        actor,
        article,
        "reject",
        from_state=before,
        to_state=article.status if article.state is not ArticleStatus.PUBLISHED else RevisionStatus.REJECTED,
        comment=comment,
        details={"revision": rev.number},
    )
    _notify_author(session, actor, rev, "article_rejected", saved_id(article), comment=comment)
    return article


def archive_article(
    session: Session,
    actor: User | None,
    article_id: int,
    *,
    comment: str | None = None,
    expected_version: int | None = None,
) -> Article:
    """Take a published article out of use (lead). Pending edits are closed; open flags resolved."""
    article = _target(
        session, actor, article_id, expected_version, lead_only=_l("Only a lead can archive articles.")
    )
    if not article.state.can_archive():
        raise InvalidTransition(
            _l("Only a published article can be archived (it is %(state)s).", state=article.status)
        )
    claim(session, article, expected_version)
    now = utcnow()
    pending = pending_revision(session, article)
    if pending is not None:
        pending.status = RevisionStatus.SUPERSEDED.value
        session.add(pending)
    _resolve_open_flags(session, actor, article, now)
    article.status = ArticleStatus.ARCHIVED.value
    article.archived_at = now
    return _done(
        session,
        actor,
        article,
        "archive",
        from_state=ArticleStatus.PUBLISHED,
        to_state=ArticleStatus.ARCHIVED,
        comment=_comment(session, comment),
    )


def reverify_article(
    session: Session,
    actor: User | None,
    article_id: int,
    *,
    review_due_days: int = DEFAULT_REVIEW_DUE_DAYS,
    comment: str | None = None,
) -> Article:
    """A lead confirms a published article is still right: new review date, open flags resolved."""
    article = _target(session, actor, article_id, None, lead_only=_l("Only a lead can re-verify articles."))
    if article.state is not ArticleStatus.PUBLISHED:
        raise InvalidTransition(_l("Only a published article can be re-verified."))
    claim(session, article, None)
    now = utcnow()
    old_due = article.review_due
    article.review_due = now.date() + timedelta(days=review_due_days)
    article.verified_at = now
    resolved = _resolve_open_flags(session, actor, article, now)
    # Re-verifying changes no searchable text, so the index is not touched.
    return _done(
        session,
        actor,
        article,
        "reverify",
        reindex=False,
        comment=_comment(session, comment),
        details={"review_due": article.review_due, "previous_due": old_due, "flags_resolved": resolved},
    )
