"""Image attachments: the type is decided from the file's bytes, never from its name or the browser.

An image belongs to revisions, as the text does: adding one to a published article puts it into a pending
revision, which a lead other than its author must approve before readers see it.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from articles.access import can_view_revision, ensure_visible, is_lead
from articles.editing import check_can_change, revision_for_change
from articles.errors import InvalidInput, NotFound
from articles.models import ArticleRevision, Attachment, RevisionAttachment
from articles.revisions import get_article
from portal.audit import record
from portal.db import saved_id
from portal.models import User

MAX_IMAGE_BYTES = 5 * 1024 * 1024
SUBDIR = "articles"
_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}


def sniff_image_type(data: bytes) -> str | None:
    """The image MIME type from the magic bytes, or None when the data is not PNG/JPEG/GIF/WebP."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _clean_filename(name: str | None) -> str:
    base = os.path.basename((name or "").replace("\\", "/")).strip()
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>')
    return base[-200:] or "image"


def add_attachment(
    session: Session, actor: User | None, article_id: int, filename: str | None, data: bytes, upload_dir: str
) -> Attachment:
    """Store an image (PNG/JPEG/GIF/WebP, at most 5 MB, checked from the content) in the revision a change by
    ``actor`` goes into: their own draft, or a new pending revision of a published article."""
    article = get_article(session, article_id)
    ensure_visible(session, actor, article)
    check_can_change(session, actor, article)
    if not data:
        raise InvalidInput(_l("The file is empty."), details={"fields": {"image": "empty"}})
    if len(data) > MAX_IMAGE_BYTES:
        raise InvalidInput(_l("An image may be at most 5 MB."), details={"fields": {"image": "too large"}})
    content_type = sniff_image_type(data)
    if content_type is None:
        raise InvalidInput(
            _l("This file is not a PNG, JPEG, GIF or WebP image."),
            details={"fields": {"image": "not an image"}},
        )
    rev = revision_for_change(session, actor, article)
    stored = f"{uuid.uuid4().hex}.{_TYPES[content_type]}"
    folder = Path(upload_dir) / SUBDIR
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{stored}.tmp"
    tmp.write_bytes(data)
    os.replace(tmp, folder / stored)  # a reader never sees half a file
    attachment = Attachment(
        article_id=saved_id(article),
        filename=_clean_filename(filename),
        stored_name=stored,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=None if actor is None else actor.id,
    )
    session.add(attachment)
    session.flush()
    session.add(RevisionAttachment(revision_id=saved_id(rev), attachment_id=saved_id(attachment)))
    session.flush()
    record(
        session,
        actor,
        "article.attach",
        "article",
        article.id,
        to_state=rev.status,
        details={
            "attachment": attachment.id,
            "filename": attachment.filename,
            "size": len(data),
            "revision": rev.number,
        },
    )
    return attachment


def attachment_for(
    session: Session, actor: User | None, attachment_id: int, upload_dir: str
) -> tuple[Attachment, Path]:
    """The attachment and its file, if the actor may see a revision that has it (an image waiting for review
    is as hidden as the revision it is in)."""
    attachment = session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound(_l("This file does not exist."))
    article = get_article(session, attachment.article_id)
    ensure_visible(session, actor, article)
    revisions = session.exec(
        select(ArticleRevision)
        .join(RevisionAttachment, col(RevisionAttachment.revision_id) == ArticleRevision.id)
        .where(RevisionAttachment.attachment_id == attachment_id)
    ).all()
    if revisions:
        allowed = any(can_view_revision(session, actor, article, rev) for rev in revisions)
    else:  # every image is stored with its revision; one without is for leads to look into
        allowed = is_lead(session, actor)
    if not allowed:
        raise NotFound(_l("This file does not exist."))
    path = Path(upload_dir) / SUBDIR / attachment.stored_name
    if not path.is_file():
        raise NotFound(_l("This file does not exist."))
    return attachment, path


def revision_attachments(session: Session, revision_id: int) -> list[Attachment]:
    """The images a revision shows, oldest first."""
    return list(
        session.exec(
            select(Attachment)
            .join(RevisionAttachment, col(RevisionAttachment.attachment_id) == Attachment.id)
            .where(RevisionAttachment.revision_id == revision_id)
            .order_by(col(Attachment.id))
        ).all()
    )


@dataclass
class ImageChanges:
    """What a revision does to the images of another (the live one, for a review)."""

    images: list[Attachment] = field(default_factory=list)  # the new revision's, in upload order
    added: set[int] = field(default_factory=set)  # ids among ``images`` the old revision lacks
    removed: list[Attachment] = field(default_factory=list)  # the old revision's images the new one lacks

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def image_changes(session: Session, old: ArticleRevision | None, new: ArticleRevision) -> ImageChanges:
    before = [] if old is None else revision_attachments(session, saved_id(old))
    after = revision_attachments(session, saved_id(new))
    old_ids, new_ids = {a.id for a in before}, {a.id for a in after}
    return ImageChanges(
        images=after,
        added={saved_id(a) for a in after if a.id not in old_ids},
        removed=[a for a in before if a.id not in new_ids],
    )
