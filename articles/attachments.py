"""Image attachments: the type is decided from the file's bytes, never from its name or the browser."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from articles.access import can_edit, ensure_visible
from articles.errors import Forbidden, InvalidInput, NotFound
from articles.models import Attachment
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
    """Store an image for an article (PNG/JPEG/GIF/WebP, at most 5 MB, checked from the content)."""
    article = get_article(session, article_id)
    ensure_visible(session, actor, article)
    if not can_edit(session, actor, article):
        raise Forbidden(_l("You cannot change this article."))
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
    record(
        session,
        actor,
        "article.attach",
        "article",
        article.id,
        details={"attachment": attachment.id, "filename": attachment.filename, "size": len(data)},
    )
    return attachment


def attachment_for(
    session: Session, actor: User | None, attachment_id: int, upload_dir: str
) -> tuple[Attachment, Path]:
    """The attachment and its file, if the actor may see its article."""
    attachment = session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound(_l("This file does not exist."))
    ensure_visible(session, actor, get_article(session, attachment.article_id))
    path = Path(upload_dir) / SUBDIR / attachment.stored_name
    if not path.is_file():
        raise NotFound(_l("This file does not exist."))
    return attachment, path


def attachments_of(session: Session, article_id: int) -> list[Attachment]:
    return list(
        session.exec(
            select(Attachment).where(Attachment.article_id == article_id).order_by(col(Attachment.id))
        ).all()
    )
