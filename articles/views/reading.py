"""Reading pages: the article list, an article, review page and queues, history with diffs, images."""

from __future__ import annotations

from flask import abort, current_app, render_template, request, send_file

from articles import attachments, queries
from articles.access import can_edit, can_unlink_ticket, can_view_pending, is_lead, is_writer
from articles.categories import category_choices, category_paths
from articles.diffing import diff_contents
from articles.errors import ArticleError
from articles.forms import FeedbackForm, FlagForm, ReviewForm, TicketForm, UploadForm, VersionForm
from articles.models import Article, ArticleRevision
from articles.rendering import render_markdown
from articles.revisions import current_revision, live_revision, pending_revision, revision_tags
from articles.views.common import (
    FIELD_LABELS,
    PAGE_SIZE,
    WRITERS,
    article_or_404,
    bp,
    display_content,
    users_by_id,
)
from portal.auth import current_actor, login_required, require_actor, role_required
from portal.db import get_session, saved_id
from portal.models import Role


@bp.get("/")
@login_required
def index():
    session = get_session()
    category_id = request.args.get("category", type=int)
    page = max(1, request.args.get("page", 1, type=int))
    rows, total = queries.list_published(
        session, category_id=category_id, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    return render_template(
        "articles/index.html",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE),
        category_id=category_id,
        categories=category_choices(session),
        paths=category_paths(session),
    )


@bp.get("/<int:article_id>")
@login_required
def view(article_id: int):
    return article_page(article_or_404(article_id))


def article_page(
    article: Article,
    *,
    ticket_form: TicketForm | None = None,
    flag_form: FlagForm | None = None,
    upload_form: UploadForm | None = None,
    feedback_form: FeedbackForm | None = None,
) -> str:
    """The article page; a form the reader sent back with errors is shown again with them."""
    session = get_session()
    actor = current_actor()
    live = live_revision(session, article)
    pending = pending_revision(session, article)
    show_pending = pending is not None and can_view_pending(session, actor, article)
    # Agents read the live text; authors and leads of unpublished work read the working revision.
    shown: ArticleRevision | None = live or current_revision(session, article)
    if request.args.get("pending") and show_pending:
        shown = pending
    if shown is None:  # every stored article has a revision
        abort(404)
    article_id = saved_id(article)
    tickets = queries.tickets_for_article(session, article_id)
    writer = is_writer(session, actor)
    return render_template(
        "articles/view.html",
        article=article,
        rev=shown,
        live=live,
        pending=pending if show_pending else None,
        rendered={
            "scenario": render_markdown(shown.scenario),
            "solution": render_markdown(shown.solution),
            "notes": render_markdown(shown.notes),
        },
        tags=revision_tags(session, saved_id(shown)),
        category=category_paths(session).get(shown.category_id) if shown.category_id else None,
        tickets=tickets,
        unlinkable={t.id for t in tickets if writer and can_unlink_ticket(session, actor, t.user_id)},
        summary=queries.feedback_summary(session, article_id),
        flags=queries.open_flags(session, article_id),
        files=attachments.revision_attachments(session, saved_id(shown)),
        # Images of a pending edit that readers of the live text do not see yet.
        unreviewed=attachments.image_changes(session, live, shown).added if live else set(),
        can_edit=can_edit(session, actor, article),
        is_lead=is_lead(session, actor),
        is_writer=writer,
        authors=users_by_id(session, [article.author_id, shown.author_id, shown.reviewer_id]),
        version_form=VersionForm(),
        review_form=ReviewForm(),
        ticket_form=ticket_form or TicketForm(formdata=None),
        feedback_form=feedback_form or FeedbackForm(formdata=None),
        flag_form=flag_form or FlagForm(formdata=None),
        upload_form=upload_form or UploadForm(formdata=None),
        title=shown.title,
    )


@bp.get("/<int:article_id>/review")
@role_required(Role.LEAD)
def review(article_id: int):
    session = get_session()
    article = article_or_404(article_id)
    rev = current_revision(session, article)
    live = live_revision(session, article)
    diff = diff_contents(display_content(session, live), display_content(session, rev), FIELD_LABELS)
    return render_template(
        "articles/review.html",
        article=article,
        rev=rev,
        live=live,
        diff=diff,
        images=attachments.image_changes(session, live, rev),
        rendered=render_markdown(rev.solution),
        review_form=ReviewForm(),
        authors=users_by_id(session, [rev.author_id, article.author_id]),
        own=rev.author_id == require_actor().id,
        title=rev.title,
    )


@bp.get("/review-queue")
@role_required(Role.LEAD)
def queue():
    session = get_session()
    rows = queries.review_queue(session)
    return render_template(
        "articles/queue.html",
        rows=rows,
        authors=users_by_id(session, {r.revision.author_id for r in rows}),
        me=current_actor(),
    )


@bp.get("/mine")
@role_required(*WRITERS)
def mine():
    session = get_session()
    rows = queries.my_revisions(session, current_actor())
    return render_template(
        "articles/mine.html", rows=rows, reviewers=users_by_id(session, {r.reviewer_id for _a, r, _t in rows})
    )


@bp.get("/verification")
@role_required(Role.LEAD)
def verification():
    session = get_session()
    return render_template(
        "articles/verification.html", rows=queries.verification_queue(session), form=VersionForm()
    )


@bp.get("/<int:article_id>/history")
@login_required
def history(article_id: int):
    session = get_session()
    article = article_or_404(article_id)
    actor = require_actor()
    may_see_all = is_lead(session, actor) or actor.id == article.author_id
    revisions = [
        r
        for r in queries.revisions_of(session, article.id)
        if may_see_all or r.author_id == actor.id or r.status in ("published", "superseded")
    ]
    by_number = {r.number: r for r in revisions}
    diff = left = right = images = None
    a, b = request.args.get("a", type=int), request.args.get("b", type=int)
    if a is None and b is None and len(revisions) >= 2:
        a, b = revisions[1].number, revisions[0].number
    if a is not None and b is not None:
        left, right = by_number.get(a), by_number.get(b)
        if left is None or right is None:
            abort(404)
        diff = diff_contents(display_content(session, left), display_content(session, right), FIELD_LABELS)
        images = attachments.image_changes(session, left, right)
    return render_template(
        "articles/history.html",
        article=article,
        revisions=revisions,
        diff=diff,
        images=images,
        left=left,
        right=right,
        inline=request.args.get("view") == "inline",
        can_edit=can_edit(session, actor, article),
        version_form=VersionForm(),
        authors=users_by_id(session, {r.author_id for r in revisions} | {r.reviewer_id for r in revisions}),
        title=current_revision(session, article).title,
    )


@bp.get("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id: int):
    try:
        item, path = attachments.attachment_for(
            get_session(), current_actor(), attachment_id, current_app.config["UPLOAD_DIR"]
        )
    except ArticleError:
        abort(404)
    response = send_file(path, mimetype=item.content_type, download_name=item.filename, max_age=3600)
    response.headers["Content-Disposition"] = "inline"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
