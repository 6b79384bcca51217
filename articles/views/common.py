"""What every knowledge-base page module shares: the blueprint, loading, refusals and redirects."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l

from articles.access import can_view
from articles.categories import category_paths
from articles.errors import ArticleError, NotFound
from articles.forms import AUDIENCE_LABELS, VersionForm
from articles.models import ArticleRevision
from articles.revisions import get_article, revision_content
from portal.auth import current_actor
from portal.db import get_session
from portal.models import Role, User

# Import name "articles", not this module: templates/ is found relative to the articles package.
bp = Blueprint("articles", "articles", url_prefix="/articles", template_folder="templates")

WRITERS = (Role.AGENT, Role.LEAD)
FIELD_LABELS = {
    "title": _l("Title"),
    "scenario": _l("Problem scenario"),
    "solution": _l("Solution steps"),
    "notes": _l("Notes and caveats"),
    "category": _l("Category"),
    "tags": _l("Tags"),
    "audience": _l("Audience"),
}
PAGE_SIZE = 30


def article_or_404(article_id: int):
    session = get_session()
    try:
        article = get_article(session, article_id)
    except NotFound:
        abort(404)
    if not can_view(session, current_actor(), article):
        abort(404)
    return article


def display_content(session, rev: ArticleRevision | None) -> dict:
    """A revision's content for diffs: category as its path, tags as names."""
    if rev is None:
        return dict.fromkeys(FIELD_LABELS, "")
    content = revision_content(session, rev)
    paths = category_paths(session)
    content["category"] = paths.get(rev.category_id, "") if rev.category_id else ""
    # The diff shows what a reader sees, never the stored code ("internal").
    content["audience"] = str(AUDIENCE_LABELS.get(content["audience"], content["audience"]))
    return content


def refused(exc: ArticleError, back: str):
    """A refused action: the error status (so the request rolls back) and a page that says why."""
    if exc.status == 404:
        abort(404)
    return render_template(
        "articles/refused.html", message=str(exc), back=back, status=exc.status
    ), exc.status


def users_by_id(session, ids) -> dict[int, User]:
    return {i: session.get(User, i) for i in ids if i is not None}


def version_arg() -> int | None:
    form = VersionForm()
    return form.version.data if form.validate() else None


def back_to_article(article_id: int, message: str, *, pending: bool = False):
    flash(message, "success")
    return redirect(url_for("articles.view", article_id=article_id, pending=1 if pending else None))
