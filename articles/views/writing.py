"""Writing pages: a new draft, editing (with the conflict view on a stale save), restoring a revision."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from articles import editing
from articles.access import can_edit
from articles.categories import category_choices, category_paths
from articles.content import ArticleInput
from articles.diffing import diff_contents
from articles.errors import ArticleError, StaleVersion
from articles.forms import ArticleForm
from articles.models import Audience
from articles.revisions import current_revision, revision_content
from articles.views.common import (
    FIELD_LABELS,
    WRITERS,
    article_or_404,
    back_to_article,
    bp,
    display_content,
    refused,
    version_arg,
)
from portal.auth import current_actor, role_required
from portal.db import get_session


def _form_input(form: ArticleForm) -> ArticleInput:
    return ArticleInput(
        title=form.title.data or "",
        scenario=form.scenario.data or "",
        solution=form.solution.data or "",
        notes=form.notes.data or "",
        category_id=form.category_id.data or None,
        set_category=True,
        tags=list(form.tags.data or []),
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


@bp.route("/<int:article_id>/edit", methods=["GET", "POST"])
@role_required(*WRITERS)
def edit(article_id: int):
    session = get_session()
    article = article_or_404(article_id)
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
        form.tags.data = content["tags"]
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
            theirs = display_content(session, current_revision(session, article))
            mine = {
                **display_content(session, None),
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


@bp.post("/<int:article_id>/revisions/<int:revision_id>/restore")
@role_required(*WRITERS)
def restore(article_id: int, revision_id: int):
    article_or_404(article_id)
    try:
        rev = editing.restore_revision(get_session(), current_actor(), article_id, revision_id, version_arg())
    except ArticleError as exc:
        return refused(exc, url_for("articles.history", article_id=article_id))
    return back_to_article(
        article_id, _("Revision %(n)d restored as a new draft.", n=rev.restored_from), pending=True
    )
