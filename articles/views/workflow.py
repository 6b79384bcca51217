"""Workflow buttons: submit, withdraw, approve, reject, archive and re-verify."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _

from articles import lifecycle
from articles.errors import ArticleError
from articles.forms import ReviewForm
from articles.views.common import WRITERS, article_or_404, back_to_article, bp, refused, version_arg
from portal.auth import current_actor, role_required
from portal.db import get_session
from portal.models import Role


@bp.post("/<int:article_id>/submit")
@role_required(*WRITERS)
def submit(article_id: int):
    article_or_404(article_id)
    try:
        lifecycle.submit_article(get_session(), current_actor(), article_id, version_arg())
    except ArticleError as exc:
        return refused(exc, url_for("articles.view", article_id=article_id, pending=1))
    return back_to_article(article_id, _("Submitted for review."), pending=True)


@bp.post("/<int:article_id>/withdraw")
@role_required(*WRITERS)
def withdraw(article_id: int):
    article_or_404(article_id)
    try:
        lifecycle.withdraw_article(get_session(), current_actor(), article_id, version_arg())
    except ArticleError as exc:
        return refused(exc, url_for("articles.view", article_id=article_id, pending=1))
    return back_to_article(article_id, _("Withdrawn from review; it is a draft again."), pending=True)


@bp.post("/<int:article_id>/approve")
@role_required(Role.LEAD)
def approve(article_id: int):
    article_or_404(article_id)
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
        return refused(exc, url_for("articles.review", article_id=article_id))
    flash(_("Approved and published."), "success")
    return redirect(url_for("articles.queue"))


@bp.post("/<int:article_id>/reject")
@role_required(Role.LEAD)
def reject(article_id: int):
    article_or_404(article_id)
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
        return refused(exc, url_for("articles.review", article_id=article_id))
    flash(_("Rejected; the author sees your comment."), "success")
    return redirect(url_for("articles.queue"))


@bp.post("/<int:article_id>/archive")
@role_required(Role.LEAD)
def archive(article_id: int):
    article_or_404(article_id)
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
        return refused(exc, url_for("articles.view", article_id=article_id))
    return back_to_article(article_id, _("Archived."))


@bp.post("/<int:article_id>/reverify")
@role_required(Role.LEAD)
def reverify(article_id: int):
    article_or_404(article_id)
    try:
        lifecycle.reverify_article(
            get_session(), current_actor(), article_id, review_due_days=current_app.config["REVIEW_DUE_DAYS"]
        )
    except ArticleError as exc:
        return refused(exc, url_for("articles.verification"))
    flash(_("Re-verified; the next review date is set."), "success")
    return redirect(
        request.referrer
        if request.referrer and "/verification" in request.referrer
        else url_for("articles.verification")
    )
