"""Writing articles: create a draft, save an edit, restore an old revision as a new draft.

A draft is changed in place by its author; any other edit becomes a new revision, so the published text
stays live until the edit is approved. History is never rewritten.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from articles.access import actor_id, can_edit, ensure_visible, is_writer
from articles.content import ArticleInput, merged_content, raise_if, same_content, validate
from articles.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from articles.locking import claim, require_version
from articles.models import Article, ArticleRevision, ArticleStatus, Audience, RevisionStatus
from articles.revisions import (
    copy_revision_images,
    current_revision,
    get_article,
    revision_content,
    set_revision_tags,
    sync_unpublished_status,
)
from portal.audit import record
from portal.db import saved_id
from portal.models import User
from portal.timeutil import utcnow
from search_index import article_changed


def _external_id_taken(session: Session, external_id: str | None) -> bool:
    if not external_id:
        return False
    return session.exec(select(Article.id).where(Article.external_id == external_id)).first() is not None


def create_article(session: Session, actor: User | None, data: ArticleInput) -> Article:
    """Create a draft article (revision 1) written by ``actor``."""
    if not is_writer(session, actor):
        raise Forbidden(_l("Only agents and leads write articles."))
    errors = validate(session, data, creating=True)
    if _external_id_taken(session, data.external_id):
        errors["external_id"] = str(_l("Another article already has this external ID."))
    raise_if(errors)
    now = utcnow()
    article = Article(
        external_id=data.external_id or None, author_id=actor_id(actor), created_at=now, updated_at=now
    )
    session.add(article)
    session.flush()
    content = {
        "title": data.title,
        "scenario": data.scenario or "",
        "solution": data.solution or "",
        "notes": data.notes or "",
        "category_id": data.category_id,
        "tags": data.tags or [],
        "audience": data.audience or Audience.INTERNAL.value,
    }
    _add_revision(session, article, actor, content, number=1)
    session.add(article)
    session.flush()
    record(session, actor, "article.create", "article", article.id, to_state=ArticleStatus.DRAFT)
    article_changed(session, saved_id(article))
    return article


def _add_revision(
    session: Session,
    article: Article,
    actor: User | None,
    content: dict[str, Any],
    *,
    number: int,
    restored_from: int | None = None,
    images_from: int | None = None,
) -> ArticleRevision:
    """Store ``content`` as revision ``number`` (a draft) with the images of revision ``images_from``, and
    make it the article's working revision."""
    now = utcnow()
    rev = ArticleRevision(
        article_id=saved_id(article),
        number=number,
        title=content["title"],
        scenario=content["scenario"],
        solution=content["solution"],
        notes=content["notes"],
        category_id=content["category_id"],
        audience=content["audience"],
        author_id=actor_id(actor),
        created_at=now,
        updated_at=now,
        restored_from=restored_from,
    )
    session.add(rev)
    session.flush()
    set_revision_tags(session, saved_id(rev), content["tags"])
    if images_from is not None:
        copy_revision_images(session, images_from, saved_id(rev))
    article.current_revision_id = rev.id
    return rev


def _new_revision(
    session: Session,
    article: Article,
    actor: User | None,
    content: dict[str, Any],
    *,
    restored_from: int | None = None,
    images_from: int | None = None,
) -> ArticleRevision:
    """Add the next revision as a draft; an unsubmitted draft it replaces is kept as 'superseded'. It has
    the images of revision ``images_from``, by default those of the revision it follows."""
    base = current_revision(session, article)
    if base is not None and base.state is RevisionStatus.DRAFT:
        base.status = RevisionStatus.SUPERSEDED.value
        session.add(base)
    number = (base.number if base is not None else 0) + 1
    rev = _add_revision(
        session,
        article,
        actor,
        content,
        number=number,
        restored_from=restored_from,
        images_from=saved_id(base) if images_from is None else images_from,
    )
    sync_unpublished_status(article, rev)
    session.add(article)
    session.flush()
    return rev


def _check_editable(session: Session, actor: User | None, article: Article) -> None:
    if article.state is ArticleStatus.IN_REVIEW:
        raise InvalidTransition(_l("This article is in review. Withdraw it before editing."))
    if not article.state.can_edit():
        raise InvalidTransition(_l("An archived article cannot be edited."))
    if not can_edit(session, actor, article):
        raise Forbidden(
            _l("Someone else's edit of this article is waiting for review; it must be finished first.")
        )


def _check_not_in_review(rev: ArticleRevision) -> None:
    if rev.state is RevisionStatus.IN_REVIEW:
        raise InvalidTransition(_l("This article is in review. Withdraw it before editing."))


def update_article(
    session: Session, actor: User | None, article_id: int, data: ArticleInput, expected_version: int | None
) -> Article:
    """Save an edit. A draft is changed in place (by its author); a live or rejected revision is kept
    and the edit becomes a new draft revision, so the published text stays live until approval.
    ``expected_version`` is the version the editor read; a stale one raises ``StaleVersion``."""
    article = get_article(session, article_id)
    ensure_visible(session, actor, article)
    _check_editable(session, actor, article)
    if expected_version is None:
        raise InvalidInput(
            _l("The version you read is required."), details={"fields": {"version": "required"}}
        )
    require_version(article, expected_version)
    errors = validate(session, data, creating=False)
    external_changed = data.external_id is not None and data.external_id != article.external_id
    if data.external_id and external_changed and _external_id_taken(session, data.external_id):
        errors["external_id"] = str(_l("Another article already has this external ID."))
    raise_if(errors)
    rev = current_revision(session, article)
    _check_not_in_review(rev)
    base = revision_content(session, rev)
    content = merged_content(base, data)
    if same_content(content, base) and not external_changed:
        return article  # nothing to save; no new revision, no version bump
    claim(session, article, expected_version)
    if external_changed:
        article.external_id = data.external_id
    if rev.state.can_edit_in_place() and rev.author_id == actor_id(actor):
        for name in ("title", "scenario", "solution", "notes", "category_id", "audience"):
            setattr(rev, name, content[name])
        rev.updated_at = utcnow()
        session.add(rev)
        session.flush()
        set_revision_tags(session, saved_id(rev), content["tags"])
    else:
        rev = _new_revision(session, article, actor, content)
    session.add(article)
    session.flush()
    record(
        session,
        actor,
        "article.edit",
        "article",
        article.id,
        to_state=rev.status,
        details={"revision": rev.number},
    )
    article_changed(session, saved_id(article))
    return article


def check_can_change(session: Session, actor: User | None, article: Article) -> None:
    """Refuse a change of ``article`` by ``actor`` before anything is stored, as an edit of the text would."""
    _check_editable(session, actor, article)
    _check_not_in_review(current_revision(session, article))


def revision_for_change(session: Session, actor: User | None, article: Article) -> ArticleRevision:
    """The revision a change by ``actor`` goes into, under the same rules as an edit of the text: their own
    draft as it is; otherwise a new draft revision made from the working one, so that a published article's
    live revision stays as it is until a lead approves the change."""
    check_can_change(session, actor, article)
    rev = current_revision(session, article)
    if rev.state.can_edit_in_place() and rev.author_id == actor_id(actor):
        return rev
    claim(session, article, None)
    rev = _new_revision(session, article, actor, revision_content(session, rev))
    article_changed(session, saved_id(article))
    return rev


def restore_revision(
    session: Session,
    actor: User | None,
    article_id: int,
    revision_id: int,
    expected_version: int | None = None,
) -> ArticleRevision:
    """Copy an old revision's content into a new draft revision (history is never rewritten)."""
    article = get_article(session, article_id)
    ensure_visible(session, actor, article)
    require_version(article, expected_version)
    source = session.get(ArticleRevision, revision_id)
    if source is None or source.article_id != article.id:
        raise NotFound(_l("This revision does not exist."))
    _check_editable(session, actor, article)
    _check_not_in_review(current_revision(session, article))
    claim(session, article, expected_version)
    rev = _new_revision(
        session,
        article,
        actor,
        revision_content(session, source),
        restored_from=source.number,
        images_from=saved_id(source),
    )
    record(
        session,
        actor,
        "article.restore",
        "article",
        article.id,
        to_state=rev.status,
        details={"from_revision": source.number, "revision": rev.number},
    )
    article_changed(session, article.id)
    return rev
