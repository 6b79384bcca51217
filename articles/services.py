"""Service verbs of the knowledge base: write, review, publish, archive, restore.

Every verb takes the session and the acting user, checks the right and the workflow state, changes
rows, writes the audit log, tells the search index (after the commit) and only flushes.  Writes that
change an article carry the version the caller read; an older version raises ``StaleVersion`` before
anything is touched, and the version bump itself is a conditional UPDATE so two concurrent writers
cannot both win.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from articles.categories import clean_tags, tag_ids
from articles.errors import Forbidden, InvalidInput, InvalidTransition, NotFound, StaleVersion
from articles.models import (
    EXTERNAL_ID_MAX,
    REASON_MAX,
    TITLE_MAX,
    Article,
    ArticleRevision,
    ArticleStatus,
    Audience,
    Category,
    OutdatedFlag,
    RevisionStatus,
    RevisionTag,
    Tag,
)
from portal.accounts import roles_of
from portal.audit import record
from portal.models import Role, User
from portal.notifications import notify
from portal.timeutil import utcnow
from search_index import sync

FIELD_MAX = 20_000
DEFAULT_REVIEW_DUE_DAYS = 180
CONTENT_FIELDS = ("title", "scenario", "solution", "notes", "category_id", "tags", "audience")


# Who is acting --------------------------------------------------------------------------------


def _roles(session: Session, actor: User | None) -> set[str]:
    # ``None`` is the system (CLI import, seeders): someone with shell access to the server.
    return {Role.ADMIN.value} if actor is None else roles_of(session, actor)


def is_lead(session: Session, actor: User | None) -> bool:
    roles = _roles(session, actor)
    return bool(roles & {Role.LEAD.value, Role.ADMIN.value})


def is_writer(session: Session, actor: User | None) -> bool:
    roles = _roles(session, actor)
    return bool(roles & {Role.AGENT.value, Role.LEAD.value, Role.ADMIN.value})


def _actor_id(actor: User | None) -> int | None:
    return None if actor is None else actor.id


# Input ---------------------------------------------------------------------------------------


@dataclass
class ArticleInput:
    """The editable content of an article; ``None`` in a partial update means 'leave as it is'."""

    title: str | None = None
    scenario: str | None = None
    solution: str | None = None
    notes: str | None = None
    category_id: int | None = None
    tags: list[str] | None = None
    audience: str | None = None
    external_id: str | None = None
    # Set when category_id was given explicitly (also when it is None = 'no category').
    set_category: bool = field(default=False)

    @classmethod
    def from_mapping(cls, data: dict[str, Any], *, partial: bool) -> ArticleInput:
        """Build from a JSON object or form data, rejecting wrong types with a field-level message."""
        errors: dict[str, str] = {}
        values: dict[str, Any] = {}
        for name in ("title", "scenario", "solution", "notes", "audience", "external_id"):
            if name in data and data[name] is not None:
                if not isinstance(data[name], str):
                    errors[name] = "must be a string"
                else:
                    values[name] = data[name]
        if "tags" in data:
            try:
                values["tags"] = clean_tags(data["tags"])
            except InvalidInput as exc:
                errors.update(exc.details.get("fields", {}))
        if "category_id" in data:
            value = data["category_id"]
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                errors["category_id"] = "must be an integer or null"
            else:
                values["category_id"] = value
                values["set_category"] = True
        if not partial and not (values.get("title") or "").strip():
            errors.setdefault("title", "required")
        if errors:
            raise InvalidInput(_l("Some fields are invalid."), details={"fields": errors})
        return cls(**values)


def _validate(session: Session, data: ArticleInput, *, creating: bool) -> dict[str, str]:
    errors: dict[str, str] = {}
    if data.title is not None:
        data.title = data.title.strip()
        if not data.title:
            errors["title"] = str(_l("A title is required."))
        elif len(data.title) > TITLE_MAX:
            errors["title"] = str(_l("At most %(n)d characters.", n=TITLE_MAX))
    elif creating:
        errors["title"] = str(_l("A title is required."))
    for name in ("scenario", "solution", "notes"):
        value = getattr(data, name)
        if value is not None:
            value = value.replace("\r\n", "\n")
            setattr(data, name, value)
            if len(value) > FIELD_MAX:
                errors[name] = str(_l("At most %(n)d characters.", n=FIELD_MAX))
    if data.audience is not None and data.audience not in {a.value for a in Audience}:
        errors["audience"] = str(_l("Choose internal or public."))
    if data.category_id is not None and session.get(Category, data.category_id) is None:
        errors["category_id"] = str(_l("Unknown category."))
    if data.external_id is not None:
        data.external_id = data.external_id.strip() or None
        if data.external_id and len(data.external_id) > EXTERNAL_ID_MAX:
            errors["external_id"] = str(_l("At most %(n)d characters.", n=EXTERNAL_ID_MAX))
    return errors


def _raise_if(errors: dict[str, str]) -> None:
    if errors:
        first = next(iter(errors.values()))
        raise InvalidInput(first, details={"fields": errors})


# Reading helpers ------------------------------------------------------------------------------


def get_article(session: Session, article_id: int) -> Article:
    article = session.get(Article, article_id)
    if article is None:
        raise NotFound(_l("This article does not exist."))
    return article


def current_revision(session: Session, article: Article) -> ArticleRevision:
    return session.get(ArticleRevision, article.current_revision_id)


def live_revision(session: Session, article: Article) -> ArticleRevision | None:
    if article.live_revision_id is None or article.state is ArticleStatus.ARCHIVED:
        return None
    return session.get(ArticleRevision, article.live_revision_id)


def pending_revision(session: Session, article: Article) -> ArticleRevision | None:
    """The revision waiting for (or in) review, if the newest revision is not the live one."""
    if article.current_revision_id == article.live_revision_id:
        return None
    rev = current_revision(session, article)
    return rev if rev is not None and rev.state.is_pending() else None


def revision_tags(session: Session, revision_id: int) -> list[str]:
    query = (
        select(Tag.name)
        .join(RevisionTag, RevisionTag.tag_id == Tag.id)
        .where(RevisionTag.revision_id == revision_id)
        .order_by(Tag.name)
    )
    return list(session.exec(query).all())


def revision_content(session: Session, rev: ArticleRevision) -> dict[str, Any]:
    return {
        "title": rev.title,
        "scenario": rev.scenario,
        "solution": rev.solution,
        "notes": rev.notes,
        "category_id": rev.category_id,
        "tags": revision_tags(session, rev.id),
        "audience": rev.audience,
    }


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


def can_edit(session: Session, actor: User | None, article: Article) -> bool:
    """Writers may propose an edit of a live article; unpublished work belongs to its author and leads."""
    if not is_writer(session, actor) or not article.state.can_edit():
        return False
    if is_lead(session, actor):
        return True
    pending = pending_revision(session, article)
    if pending is not None:
        return actor.id == pending.author_id
    if article.state is ArticleStatus.PUBLISHED:
        return True
    return actor.id == article.author_id


def _visible_or_404(session: Session, actor: User | None, article: Article) -> None:
    # Someone who may not see a draft must not learn that it exists either.
    if not can_view(session, actor, article):
        raise NotFound(_l("This article does not exist."))


# Locking and status ---------------------------------------------------------------------------


def _claim(session: Session, article: Article, expected_version: int | None) -> None:
    """Bump the version iff it is still ``expected_version`` (or the loaded one when not given)."""
    if expected_version is not None and expected_version != article.version:
        raise StaleVersion(
            _l("Someone else changed this article in the meantime. Nothing was saved."),
            details={"current_version": article.version, "your_version": expected_version},
        )
    now = utcnow()
    result = session.execute(
        update(Article)
        .where(Article.id == article.id, Article.version == article.version)
        .values(version=article.version + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise StaleVersion(
            _l("Someone else changed this article in the meantime. Nothing was saved."),
            details={"your_version": expected_version},
        )
    set_committed_value(article, "version", article.version + 1)
    set_committed_value(article, "updated_at", now)


def _set_status(article: Article, status: ArticleStatus) -> None:
    article.status = status.value


def _sync_unpublished_status(article: Article, rev: ArticleRevision) -> None:
    """An article that was never published (or is no longer live) has its working revision's state."""
    if article.state in (ArticleStatus.PUBLISHED, ArticleStatus.ARCHIVED):
        return
    mapping = {
        RevisionStatus.DRAFT: ArticleStatus.DRAFT,
        RevisionStatus.IN_REVIEW: ArticleStatus.IN_REVIEW,
        RevisionStatus.REJECTED: ArticleStatus.REJECTED,
    }
    if rev.state in mapping:
        _set_status(article, mapping[rev.state])


def _workflow_state(session: Session, article: Article) -> RevisionStatus | None:
    pending = pending_revision(session, article)
    return None if pending is None else pending.state


def _changed(session: Session, article_id: int) -> None:
    sync.article_changed(session, article_id)


def _set_tags(session: Session, revision_id: int, names: list[str]) -> None:
    for link in session.exec(select(RevisionTag).where(RevisionTag.revision_id == revision_id)).all():
        session.delete(link)
    session.flush()
    for tag_id in tag_ids(session, names):
        session.add(RevisionTag(revision_id=revision_id, tag_id=tag_id))


# Verbs -----------------------------------------------------------------------------------------


def create_article(session: Session, actor: User | None, data: ArticleInput) -> Article:
    """Create a draft article (revision 1) written by ``actor``."""
    if not is_writer(session, actor):
        raise Forbidden(_l("Only agents and leads write articles."))
    errors = _validate(session, data, creating=True)
    if (
        data.external_id
        and session.exec(select(Article.id).where(Article.external_id == data.external_id)).first()
    ):
        errors["external_id"] = str(_l("Another article already has this external ID."))
    _raise_if(errors)
    now = utcnow()
    article = Article(
        external_id=data.external_id or None, author_id=_actor_id(actor), created_at=now, updated_at=now
    )
    session.add(article)
    session.flush()
    rev = ArticleRevision(
        article_id=article.id,
        number=1,
        title=data.title,
        scenario=data.scenario or "",
        solution=data.solution or "",
        notes=data.notes or "",
        category_id=data.category_id,
        audience=data.audience or Audience.INTERNAL.value,
        author_id=_actor_id(actor),
        created_at=now,
        updated_at=now,
    )
    session.add(rev)
    session.flush()
    _set_tags(session, rev.id, data.tags or [])
    article.current_revision_id = rev.id
    session.add(article)
    session.flush()
    record(session, actor, "article.create", "article", article.id, to_state=ArticleStatus.DRAFT)
    _changed(session, article.id)
    return article


def _merged_content(session: Session, base: ArticleRevision, data: ArticleInput) -> dict[str, Any]:
    content = revision_content(session, base)
    for name in ("title", "scenario", "solution", "notes", "audience"):
        if getattr(data, name) is not None:
            content[name] = getattr(data, name)
    if data.set_category:
        content["category_id"] = data.category_id
    if data.tags is not None:
        content["tags"] = list(data.tags)
    return content


def _same_content(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return all((sorted(a[k]) == sorted(b[k])) if k == "tags" else a[k] == b[k] for k in CONTENT_FIELDS)


def _new_revision(
    session: Session,
    article: Article,
    actor: User | None,
    content: dict[str, Any],
    *,
    restored_from: int | None = None,
) -> ArticleRevision:
    """Add the next revision as a draft; an unsubmitted draft it replaces is kept as 'superseded'."""
    base = current_revision(session, article)
    if base is not None and base.state is RevisionStatus.DRAFT:
        base.status = RevisionStatus.SUPERSEDED.value
        session.add(base)
    number = (base.number if base is not None else 0) + 1
    now = utcnow()
    rev = ArticleRevision(
        article_id=article.id,
        number=number,
        title=content["title"],
        scenario=content["scenario"],
        solution=content["solution"],
        notes=content["notes"],
        category_id=content["category_id"],
        audience=content["audience"],
        author_id=_actor_id(actor),
        created_at=now,
        updated_at=now,
        restored_from=restored_from,
    )
    session.add(rev)
    session.flush()
    _set_tags(session, rev.id, content["tags"])
    article.current_revision_id = rev.id
    _sync_unpublished_status(article, rev)
    session.add(article)
    session.flush()
    return rev


def update_article(
    session: Session, actor: User | None, article_id: int, data: ArticleInput, expected_version: int | None
) -> Article:
    """Save an edit. A draft is changed in place (by its author); a live or rejected revision is kept
    and the edit becomes a new draft revision, so the published text stays live until approval.
    ``expected_version`` is the version the editor read; a stale one raises ``StaleVersion``."""
    article = get_article(session, article_id)
    _visible_or_404(session, actor, article)
    if not article.state.can_edit():
        raise InvalidTransition(_l("An archived article cannot be edited."))
    if not can_edit(session, actor, article):
        raise Forbidden(
            _l("Someone else's edit of this article is waiting for review; it must be finished first.")
        )
    if expected_version is None:
        raise InvalidInput(
            _l("The version you read is required."), details={"fields": {"version": "required"}}
        )
    _require_version(article, expected_version)
    errors = _validate(session, data, creating=False)
    if data.external_id and data.external_id != article.external_id:
        other = session.exec(select(Article.id).where(Article.external_id == data.external_id)).first()
        if other is not None:
            errors["external_id"] = str(_l("Another article already has this external ID."))
    _raise_if(errors)
    rev = current_revision(session, article)
    if rev.state is RevisionStatus.IN_REVIEW:
        raise InvalidTransition(_l("This article is in review. Withdraw it before editing."))
    content = _merged_content(session, rev, data)
    external_changed = data.external_id is not None and data.external_id != article.external_id
    if _same_content(content, revision_content(session, rev)) and not external_changed:
        return article  # nothing to save; no new revision, no version bump
    _claim(session, article, expected_version)
    if external_changed:
        article.external_id = data.external_id
    if rev.state.can_edit_in_place() and rev.author_id == _actor_id(actor):
        for name in ("title", "scenario", "solution", "notes", "category_id", "audience"):
            setattr(rev, name, content[name])
        rev.updated_at = utcnow()
        session.add(rev)
        session.flush()
        _set_tags(session, rev.id, content["tags"])
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
    _changed(session, article.id)
    return article


def _require_version(article: Article, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != article.version:
        raise StaleVersion(
            _l("Someone else changed this article in the meantime. Nothing was saved."),
            details={"current_version": article.version, "your_version": expected_version},
        )


def submit_article(
    session: Session, actor: User | None, article_id: int, expected_version: int | None = None
) -> Article:
    """Send the working revision (draft or rejected) to the review queue."""
    article = get_article(session, article_id)
    _visible_or_404(session, actor, article)
    _require_version(article, expected_version)
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
    _claim(session, article, expected_version)
    rev.status = RevisionStatus.IN_REVIEW.value
    rev.submitted_at = utcnow()
    session.add(rev)
    _sync_unpublished_status(article, rev)
    session.add(article)
    session.flush()
    record(
        session,
        actor,
        "article.submit",
        "article",
        article.id,
        from_state=before,
        to_state=rev.status,
        details={"revision": rev.number},
    )
    _changed(session, article.id)
    return article


def withdraw_article(
    session: Session, actor: User | None, article_id: int, expected_version: int | None = None
) -> Article:
    """Take a submitted revision back out of review (back to draft) to change it."""
    article = get_article(session, article_id)
    _visible_or_404(session, actor, article)
    _require_version(article, expected_version)
    rev = current_revision(session, article)
    if not rev.state.can_withdraw():
        raise InvalidTransition(_l("Only an article in review can be withdrawn."))
    if not (is_lead(session, actor) or _actor_id(actor) == rev.author_id):
        raise Forbidden(_l("Only the author or a lead can withdraw this article."))
    _claim(session, article, expected_version)
    rev.status = RevisionStatus.DRAFT.value
    rev.submitted_at = None
    session.add(rev)
    _sync_unpublished_status(article, rev)
    session.add(article)
    session.flush()
    record(
        session,
        actor,
        "article.withdraw",
        "article",
        article.id,
        from_state=RevisionStatus.IN_REVIEW,
        to_state=RevisionStatus.DRAFT,
    )
    _changed(session, article.id)
    return article


def _review_target(
    session: Session, actor: User | None, article_id: int, expected_version: int | None, verb: str
):
    article = get_article(session, article_id)
    if not is_lead(session, actor):
        raise Forbidden(_l("Only a lead can review articles."))
    _require_version(article, expected_version)
    rev = current_revision(session, article)
    if article.state is ArticleStatus.ARCHIVED or not rev.state.can_approve():
        raise InvalidTransition(
            _l("Only an article in review can be %(verb)s (it is %(state)s).", verb=verb, state=rev.status)
        )
    return article, rev


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
    comment = (comment or "").strip()[:REASON_MAX] or None
    _claim(session, article, expected_version)
    before = article.status
    now = utcnow()
    old_live = session.get(ArticleRevision, article.live_revision_id) if article.live_revision_id else None
    if old_live is not None and old_live.id != rev.id:
        old_live.status = RevisionStatus.SUPERSEDED.value
        session.add(old_live)
    rev.status = RevisionStatus.PUBLISHED.value
    rev.reviewer_id = _actor_id(actor)
    rev.reviewed_at = now
    rev.review_comment = comment
    session.add(rev)
    article.live_revision_id = rev.id
    article.published_at = now
    article.review_due = now.date() + timedelta(days=review_due_days)
    _set_status(article, ArticleStatus.PUBLISHED)
    session.add(article)
    session.flush()
    record(
        session,
        actor,
        "article.approve",
        "article",
        article.id,
        from_state=before,
        to_state=ArticleStatus.PUBLISHED,
        comment=comment,
        details={"revision": rev.number},
    )
    _notify_author(session, actor, rev, "article_approved", article.id)
    _changed(session, article.id)
    return article


def _notify_author(
    session: Session, actor: User | None, rev: ArticleRevision, kind: str, article_id: int, **params
):
    """Tell the revision's author about the review in the bell (not when they reviewed it themselves)."""
    if rev.author_id is not None and rev.author_id != _actor_id(actor):
        notify(session, rev.author_id, kind, url=f"/articles/{article_id}", title=rev.title, **params)


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
    article, rev = _review_target(session, actor, article_id, expected_version, "rejected")
    _claim(session, article, expected_version)
    before = article.status
    rev.status = RevisionStatus.REJECTED.value
    rev.reviewer_id = _actor_id(actor)
    rev.reviewed_at = utcnow()
    rev.review_comment = comment
    session.add(rev)
    _sync_unpublished_status(article, rev)
    session.add(article)
    session.flush()
    record(
        session,
        actor,
        "article.reject",
        "article",
        article.id,
        from_state=before,
        to_state=article.status if article.state is not ArticleStatus.PUBLISHED else RevisionStatus.REJECTED,
        comment=comment,
        details={"revision": rev.number},
    )
    _notify_author(session, actor, rev, "article_rejected", article.id, comment=comment)
    _changed(session, article.id)
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
    article = get_article(session, article_id)
    if not is_lead(session, actor):
        raise Forbidden(_l("Only a lead can archive articles."))
    _require_version(article, expected_version)
    if not article.state.can_archive():
        raise InvalidTransition(
            _l("Only a published article can be archived (it is %(state)s).", state=article.status)
        )
    _claim(session, article, expected_version)
    now = utcnow()
    pending = pending_revision(session, article)
    if pending is not None:
        pending.status = RevisionStatus.SUPERSEDED.value
        session.add(pending)
    for flag in session.exec(
        select(OutdatedFlag).where(OutdatedFlag.article_id == article.id, OutdatedFlag.resolved_at.is_(None))
    ).all():
        flag.resolved_at = now
        flag.resolved_by = _actor_id(actor)
        session.add(flag)
    _set_status(article, ArticleStatus.ARCHIVED)
    article.archived_at = now
    session.add(article)
    session.flush()
    comment = (comment or "").strip()[:REASON_MAX] or None
    record(
        session,
        actor,
        "article.archive",
        "article",
        article.id,
        from_state=ArticleStatus.PUBLISHED,
        to_state=ArticleStatus.ARCHIVED,
        comment=comment,
    )
    _changed(session, article.id)
    return article


def restore_revision(
    session: Session,
    actor: User | None,
    article_id: int,
    revision_id: int,
    expected_version: int | None = None,
) -> ArticleRevision:
    """Copy an old revision's content into a new draft revision (history is never rewritten)."""
    article = get_article(session, article_id)
    _visible_or_404(session, actor, article)
    _require_version(article, expected_version)
    source = session.get(ArticleRevision, revision_id)
    if source is None or source.article_id != article.id:
        raise NotFound(_l("This revision does not exist."))
    if not article.state.can_edit():
        raise InvalidTransition(_l("An archived article cannot be edited."))
    if not can_edit(session, actor, article):
        raise Forbidden(
            _l("Someone else's edit of this article is waiting for review; it must be finished first.")
        )
    if current_revision(session, article).state is RevisionStatus.IN_REVIEW:
        raise InvalidTransition(_l("This article is in review. Withdraw it before editing."))
    _claim(session, article, expected_version)
    rev = _new_revision(
        session, article, actor, revision_content(session, source), restored_from=source.number
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
    _changed(session, article.id)
    return rev


def reverify_article(
    session: Session,
    actor: User | None,
    article_id: int,
    *,
    review_due_days: int = DEFAULT_REVIEW_DUE_DAYS,
    comment: str | None = None,
) -> Article:
    """A lead confirms a published article is still right: new review date, open flags resolved."""
    article = get_article(session, article_id)
    if not is_lead(session, actor):
        raise Forbidden(_l("Only a lead can re-verify articles."))
    if article.state is not ArticleStatus.PUBLISHED:
        raise InvalidTransition(_l("Only a published article can be re-verified."))
    _claim(session, article, None)
    now = utcnow()
    old_due = article.review_due
    article.review_due = now.date() + timedelta(days=review_due_days)
    article.verified_at = now
    session.add(article)
    resolved = 0
    for flag in session.exec(
        select(OutdatedFlag).where(OutdatedFlag.article_id == article.id, OutdatedFlag.resolved_at.is_(None))
    ).all():
        flag.resolved_at = now
        flag.resolved_by = _actor_id(actor)
        session.add(flag)
        resolved += 1
    session.flush()
    record(
        session,
        actor,
        "article.reverify",
        "article",
        article.id,
        comment=(comment or "").strip()[:REASON_MAX] or None,
        details={"review_due": article.review_due, "previous_due": old_due, "flags_resolved": resolved},
    )
    return article


def today() -> date:
    return utcnow().date()


def input_fields() -> tuple[str, ...]:
    return tuple(f.name for f in fields(ArticleInput) if f.name != "set_category")
