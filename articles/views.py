"""Knowledge-base pages: read, write, review queue, my articles, history and diff, re-verification."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from articles import attachments, editing, feedback, lifecycle, queries
from articles.access import can_edit, can_view, can_view_pending, is_lead, is_writer
from articles.categories import category_choices, category_paths
from articles.content import ArticleInput
from articles.diffing import diff_contents
from articles.errors import ArticleError, InvalidInput, NotFound, StaleVersion
from articles.forms import (
    ArticleForm,
    FeedbackForm,
    FlagForm,
    ReviewForm,
    TicketForm,
    UploadForm,
    VersionForm,
)
from articles.models import ArticleRevision, Audience
from articles.rendering import render_markdown
from articles.revisions import (
    current_revision,
    get_article,
    live_revision,
    pending_revision,
    revision_content,
    revision_tags,
)
from portal.auth import current_actor, login_required, role_required
from portal.db import get_session
from portal.models import Role, User

bp = Blueprint("articles", __name__, url_prefix="/articles", template_folder="templates")

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


def _article_or_404(article_id: int):
    session = get_session()
    try:
        article = get_article(session, article_id)
    except NotFound:
        abort(404)
    if not can_view(session, current_actor(), article):
        abort(404)
    return article


def _display(session, rev: ArticleRevision | None) -> dict:
    """A revision's content for diffs: category as its path, tags as names."""
    if rev is None:
        return dict.fromkeys(FIELD_LABELS, "")
    content = revision_content(session, rev)
    paths = category_paths(session)
    content["category"] = paths.get(rev.category_id, "") if rev.category_id else ""
    return content


def _fail(exc: ArticleError, back: str):
    """A refused action: the error status (so the request rolls back) and a page that says why."""
    if exc.status == 404:
        abort(404)
    return render_template(
        "articles/refused.html", message=str(exc), back=back, status=exc.status
    ), exc.status


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


def _form_input(form: ArticleForm) -> ArticleInput:
    return ArticleInput(
        title=form.title.data or "",
        scenario=form.scenario.data or "",
        solution=form.solution.data or "",
        notes=form.notes.data or "",
        category_id=form.category_id.data or None,
        set_category=True,
        tags=[t for t in (form.tags.data or "").replace("，", ",").split(",") if t.strip()],
        audience=form.audience.data or Audience.INTERNAL.value,
    )


def _apply_errors(form: ArticleForm, exc: ArticleError) -> None:
    for name, message in exc.details.get("fields", {}).items():
        target = getattr(form, name, None)
        if target is not None and hasattr(target, "errors"):
            target.errors = (
                [*target.errors, str(message)] if isinstance(target.errors, list) else [str(message)]
            )


@bp.route("/new", methods=["GET", "POST"])
@role_required(*WRITERS)
def new():
    session = get_session()
    form = ArticleForm()
    form.set_categories(category_choices(session))
    if request.method == "GET":
        form.title.data = (request.args.get("title") or "")[:200]
    status = 200
    if form.validate_on_submit():
        try:
            article = editing.create_article(session, current_actor(), _form_input(form))
        except ArticleError as exc:
            _apply_errors(form, exc)
            flash(str(exc), "error")
            status = exc.status
        else:
            flash(_("Draft saved. Submit it for review when it is ready."), "success")
            return redirect(url_for("articles.view", article_id=article.id))
    elif request.method == "POST":
        status = 400
    return render_template("articles/edit.html", form=form, article=None, title=form.title.data), status


@bp.get("/<int:article_id>")
@login_required
def view(article_id: int):
    session = get_session()
    article = _article_or_404(article_id)
    actor = current_actor()
    live = live_revision(session, article)
    pending = pending_revision(session, article)
    show_pending = pending is not None and can_view_pending(session, actor, article)
    # Agents read the live text; authors and leads of unpublished work read the working revision.
    shown = live or current_revision(session, article)
    if request.args.get("pending") and show_pending:
        shown = pending
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
        tags=revision_tags(session, shown.id),
        category=category_paths(session).get(shown.category_id) if shown.category_id else None,
        tickets=queries.tickets_for_article(session, article.id),
        summary=queries.feedback_summary(session, article.id),
        flags=queries.open_flags(session, article.id),
        files=attachments.attachments_of(session, article.id),
        can_edit=can_edit(session, actor, article),
        is_lead=is_lead(session, actor),
        is_writer=is_writer(session, actor),
        authors=_users(session, [article.author_id, shown.author_id, shown.reviewer_id]),
        version_form=VersionForm(),
        review_form=ReviewForm(),
        ticket_form=TicketForm(),
        feedback_form=FeedbackForm(),
        flag_form=FlagForm(),
        upload_form=UploadForm(),
        title=shown.title,
    )


def _users(session, ids) -> dict[int, User]:
    return {i: session.get(User, i) for i in ids if i is not None}


@bp.route("/<int:article_id>/edit", methods=["GET", "POST"])
@role_required(*WRITERS)
def edit(article_id: int):
    session = get_session()
    article = _article_or_404(article_id)
    actor = current_actor()
    if not can_edit(session, actor, article):
        flash(_("You cannot edit this article now."), "error")
        return redirect(url_for("articles.view", article_id=article.id))
    base = current_revision(session, article)
    form = ArticleForm()
    form.set_categories(category_choices(session))
    conflict = None
    status = 200
    if request.method == "GET":
        content = revision_content(session, base)
        form.title.data = content["title"]
        form.scenario.data = content["scenario"]
        form.solution.data = content["solution"]
        form.notes.data = content["notes"]
        form.category_id.data = content["category_id"] or 0
        form.tags.data = ", ".join(content["tags"])
        form.audience.data = content["audience"]
        form.version.data = str(article.version)
    elif form.validate_on_submit():
        try:
            version = int(form.version.data or 0)
        except ValueError:
            version = 0
        try:
            editing.update_article(session, actor, article.id, _form_input(form), version or None)
        except StaleVersion as exc:
            # Keep the user's text in the form; show what the other save changed; the next save is deliberate.
            theirs = _display(session, current_revision(session, article))
            mine = {
                **_display(session, None),
                "title": form.title.data or "",
                "scenario": form.scenario.data or "",
                "solution": form.solution.data or "",
                "notes": form.notes.data or "",
                "category": category_paths(session).get(form.category_id.data, "")
                if form.category_id.data
                else "",
                "tags": _form_input(form).tags,
                "audience": form.audience.data,
            }
            conflict = [d for d in diff_contents(theirs, mine, FIELD_LABELS) if d.changed]
            form.version.data = str(article.version)
            flash(str(exc), "error")
            status = exc.status
        except ArticleError as exc:
            _apply_errors(form, exc)
            flash(str(exc), "error")
            status = exc.status
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("articles.view", article_id=article.id, pending=1))
    else:
        status = 400
    return render_template(
        "articles/edit.html", form=form, article=article, base=base, conflict=conflict, title=form.title.data
    ), status


def _version_arg() -> int | None:
    form = VersionForm()
    return form.version.data if form.validate() else None


def _after(article_id: int, message: str, *, pending: bool = False):
    flash(message, "success")
    return redirect(url_for("articles.view", article_id=article_id, **({"pending": 1} if pending else {})))


@bp.post("/<int:article_id>/submit")
@role_required(*WRITERS)
def submit(article_id: int):
    _article_or_404(article_id)
    try:
        lifecycle.submit_article(get_session(), current_actor(), article_id, _version_arg())
    except ArticleError as exc:
        return _fail(exc, url_for("articles.view", article_id=article_id, pending=1))
    return _after(article_id, _("Submitted for review."), pending=True)


@bp.post("/<int:article_id>/withdraw")
@role_required(*WRITERS)
def withdraw(article_id: int):
    _article_or_404(article_id)
    try:
        lifecycle.withdraw_article(get_session(), current_actor(), article_id, _version_arg())
    except ArticleError as exc:
        return _fail(exc, url_for("articles.view", article_id=article_id, pending=1))
    return _after(article_id, _("Withdrawn from review; it is a draft again."), pending=True)


@bp.post("/<int:article_id>/approve")
@role_required(Role.LEAD)
def approve(article_id: int):
    _article_or_404(article_id)
    form = ReviewForm()
    form.validate()
    try:
        lifecycle.approve_article(
            get_session(),
            current_actor(),
            article_id,
            comment=form.comment.data,
            expected_version=form.version.data,
            review_due_days=current_app.config["REVIEW_DUE_DAYS"],
        )
    except ArticleError as exc:
        return _fail(exc, url_for("articles.review", article_id=article_id))
    flash(_("Approved and published."), "success")
    return redirect(url_for("articles.queue"))


@bp.post("/<int:article_id>/reject")
@role_required(Role.LEAD)
def reject(article_id: int):
    _article_or_404(article_id)
    form = ReviewForm()
    form.validate()
    try:
        lifecycle.reject_article(
            get_session(),
            current_actor(),
            article_id,
            form.comment.data or "",
            expected_version=form.version.data,
        )
    except ArticleError as exc:
        return _fail(exc, url_for("articles.review", article_id=article_id))
    flash(_("Rejected; the author sees your comment."), "success")
    return redirect(url_for("articles.queue"))


@bp.post("/<int:article_id>/archive")
@role_required(Role.LEAD)
def archive(article_id: int):
    _article_or_404(article_id)
    form = ReviewForm()
    form.validate()
    try:
        lifecycle.archive_article(
            get_session(),
            current_actor(),
            article_id,
            comment=form.comment.data,
            expected_version=form.version.data,
        )
    except ArticleError as exc:
        return _fail(exc, url_for("articles.view", article_id=article_id))
    return _after(article_id, _("Archived."))


@bp.post("/<int:article_id>/reverify")
@role_required(Role.LEAD)
def reverify(article_id: int):
    _article_or_404(article_id)
    try:
        lifecycle.reverify_article(
            get_session(), current_actor(), article_id, review_due_days=current_app.config["REVIEW_DUE_DAYS"]
        )
    except ArticleError as exc:
        return _fail(exc, url_for("articles.verification"))
    flash(_("Re-verified; the next review date is set."), "success")
    return redirect(
        request.referrer
        if request.referrer and "/verification" in request.referrer
        else url_for("articles.verification")
    )


@bp.get("/<int:article_id>/review")
@role_required(Role.LEAD)
def review(article_id: int):
    session = get_session()
    article = _article_or_404(article_id)
    rev = current_revision(session, article)
    live = live_revision(session, article)
    diff = diff_contents(_display(session, live), _display(session, rev), FIELD_LABELS)
    return render_template(
        "articles/review.html",
        article=article,
        rev=rev,
        live=live,
        diff=diff,
        rendered=render_markdown(rev.solution),
        review_form=ReviewForm(),
        authors=_users(session, [rev.author_id, article.author_id]),
        own=rev.author_id == current_actor().id,
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
        authors=_users(session, {r.revision.author_id for r in rows}),
        me=current_actor(),
    )


@bp.get("/mine")
@role_required(*WRITERS)
def mine():
    session = get_session()
    rows = queries.my_revisions(session, current_actor())
    return render_template(
        "articles/mine.html", rows=rows, reviewers=_users(session, {r.reviewer_id for _a, r, _t in rows})
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
    article = _article_or_404(article_id)
    actor = current_actor()
    may_see_all = is_lead(session, actor) or actor.id == article.author_id
    revisions = [
        r
        for r in queries.revisions_of(session, article.id)
        if may_see_all or r.author_id == actor.id or r.status in ("published", "superseded")
    ]
    by_number = {r.number: r for r in revisions}
    diff = left = right = None
    a, b = request.args.get("a", type=int), request.args.get("b", type=int)
    if a is None and b is None and len(revisions) >= 2:
        a, b = revisions[1].number, revisions[0].number
    if a is not None and b is not None:
        left, right = by_number.get(a), by_number.get(b)
        if left is None or right is None:
            abort(404)
        diff = diff_contents(_display(session, left), _display(session, right), FIELD_LABELS)
    return render_template(
        "articles/history.html",
        article=article,
        revisions=revisions,
        diff=diff,
        left=left,
        right=right,
        inline=request.args.get("view") == "inline",
        can_edit=can_edit(session, actor, article),
        version_form=VersionForm(),
        authors=_users(session, {r.author_id for r in revisions} | {r.reviewer_id for r in revisions}),
        title=current_revision(session, article).title,
    )


@bp.post("/<int:article_id>/revisions/<int:revision_id>/restore")
@role_required(*WRITERS)
def restore(article_id: int, revision_id: int):
    _article_or_404(article_id)
    try:
        rev = editing.restore_revision(
            get_session(), current_actor(), article_id, revision_id, _version_arg()
        )
    except ArticleError as exc:
        return _fail(exc, url_for("articles.history", article_id=article_id))
    return _after(article_id, _("Revision %(n)d restored as a new draft.", n=rev.restored_from), pending=True)


@bp.post("/<int:article_id>/tickets")
@role_required(*WRITERS)
def link_ticket(article_id: int):
    _article_or_404(article_id)
    form = TicketForm()
    if not form.validate():
        return _fail(InvalidInput(_l("Enter a ticket ID.")), url_for("articles.view", article_id=article_id))
    try:
        feedback.link_ticket(
            get_session(),
            current_actor(),
            article_id,
            form.ticket_id.data,
            current_app.config["TICKET_ID_PATTERN"],
        )
    except ArticleError as exc:
        return _fail(exc, url_for("articles.view", article_id=article_id))
    return _after(article_id, _("Ticket %(t)s linked.", t=form.ticket_id.data.strip()))


@bp.post("/<int:article_id>/feedback")
@login_required
def rate(article_id: int):
    _article_or_404(article_id)
    form = FeedbackForm()
    if not form.validate() or form.helpful.data not in ("yes", "no"):
        return _fail(
            InvalidInput(_l("Choose helpful or not helpful.")),
            url_for("articles.view", article_id=article_id),
        )
    try:
        feedback.record_feedback(
            get_session(), current_actor(), article_id, form.helpful.data == "yes", form.reason.data or ""
        )
    except ArticleError as exc:
        return _fail(exc, url_for("articles.view", article_id=article_id))
    return _after(article_id, _("Thank you for your feedback."))


@bp.post("/<int:article_id>/flag")
@login_required
def flag(article_id: int):
    _article_or_404(article_id)
    form = FlagForm()
    if not form.validate():
        return _fail(
            InvalidInput(_l("Say what is outdated.")), url_for("articles.view", article_id=article_id)
        )
    try:
        feedback.flag_outdated(get_session(), current_actor(), article_id, form.comment.data)
    except ArticleError as exc:
        return _fail(exc, url_for("articles.view", article_id=article_id))
    return _after(article_id, _("Flagged as outdated; a lead will re-verify it."))


@bp.post("/<int:article_id>/attachments")
@role_required(*WRITERS)
def upload(article_id: int):
    _article_or_404(article_id)
    form = UploadForm()
    if not form.validate():
        return _fail(
            InvalidInput(_l("Choose an image file.")), url_for("articles.view", article_id=article_id)
        )
    file = form.image.data
    data = file.read(attachments.MAX_IMAGE_BYTES + 1)
    try:
        item = attachments.add_attachment(
            get_session(), current_actor(), article_id, file.filename, data, current_app.config["UPLOAD_DIR"]
        )
    except ArticleError as exc:
        return _fail(exc, url_for("articles.view", article_id=article_id))
    return _after(article_id, _("Image %(name)s uploaded.", name=item.filename))


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
