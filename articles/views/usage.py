"""How agents report use of an article: ticket links, helpful votes, outdated flags, images."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from articles import attachments, feedback
from articles.errors import ArticleError, InvalidInput
from articles.forms import FeedbackForm, FlagForm, TicketForm, UploadForm
from articles.views.common import WRITERS, article_or_404, back_to_article, bp, refused
from articles.views.reading import article_page
from portal.auth import current_actor, login_required, require_actor, role_required
from portal.db import get_session


@bp.post("/<int:article_id>/tickets")
@role_required(*WRITERS)
def link_ticket(article_id: int):
    article = article_or_404(article_id)
    form = TicketForm()
    if not form.validate():
        form.ticket_id.errors = [_("Enter a ticket ID.")]
    else:
        try:
            feedback.link_ticket(
                get_session(),
                current_actor(),
                article_id,
                form.ticket_id.data,
                current_app.config["TICKET_ID_PATTERN"],
            )
        except InvalidInput as exc:
            # A mistyped ID: the article page again with the message next to the field, nothing stored.
            form.ticket_id.errors = [str(exc)]
        except ArticleError as exc:
            return refused(exc, url_for("articles.view", article_id=article_id))
        else:
            return back_to_article(article_id, _("Ticket %(t)s linked.", t=form.ticket_id.data.strip()))
    return article_page(article, ticket_form=form), 400


@bp.post("/<int:article_id>/tickets/<ticket_id>/unlink")
@role_required(*WRITERS)
def unlink_ticket(article_id: int, ticket_id: str):
    article_or_404(article_id)
    # The ticket page posts back=ticket so that the reader returns there; any other value means the article.
    if request.form.get("back") == "ticket":
        back = url_for("qa.ticket", ticket_id=ticket_id)
    else:
        back = url_for("articles.view", article_id=article_id)
    try:
        feedback.unlink_ticket(get_session(), current_actor(), article_id, ticket_id)
    except ArticleError as exc:
        return refused(exc, back)
    flash(_("The link to ticket %(t)s is removed.", t=ticket_id), "success")
    return redirect(back)


@bp.post("/<int:article_id>/feedback")
@login_required
def rate(article_id: int):
    article = article_or_404(article_id)
    form = FeedbackForm()
    if form.helpful.data not in ("yes", "no"):  # the buttons send one of the two; anything else is forged
        return refused(
            InvalidInput(_l("Choose helpful or not helpful.")),
            url_for("articles.view", article_id=article_id),
        )
    if not form.validate():  # the reason is too long: said next to it
        return article_page(article, feedback_form=form), 400
    try:
        feedback.record_feedback(
            get_session(), require_actor(), article_id, form.helpful.data == "yes", form.reason.data or ""
        )
    except ArticleError as exc:
        return refused(exc, url_for("articles.view", article_id=article_id))
    return back_to_article(article_id, _("Thank you for your feedback."))


@bp.post("/<int:article_id>/flag")
@login_required
def flag(article_id: int):
    article = article_or_404(article_id)
    form = FlagForm()
    if not form.validate():
        form.comment.errors = [_("Say what is outdated.")]
        return article_page(article, flag_form=form), 400
    try:
        feedback.flag_outdated(get_session(), current_actor(), article_id, form.comment.data)
    except ArticleError as exc:
        return refused(exc, url_for("articles.view", article_id=article_id))
    return back_to_article(article_id, _("Flagged as outdated; a lead will re-verify it."))


@bp.post("/<int:article_id>/attachments")
@role_required(*WRITERS)
def upload(article_id: int):
    article = article_or_404(article_id)
    form = UploadForm()
    if not form.validate():
        form.image.errors = [_("Choose an image file.")]
        return article_page(article, upload_form=form), 400
    file = form.image.data
    data = file.read(attachments.MAX_IMAGE_BYTES + 1)
    try:
        item = attachments.add_attachment(
            get_session(), current_actor(), article_id, file.filename, data, current_app.config["UPLOAD_DIR"]
        )
    except InvalidInput as exc:
        # Not an image, empty or too large: the article page again with the reason next to the field.
        form.image.errors = [str(exc)]
        return article_page(article, upload_form=form), 400
    except ArticleError as exc:
        return refused(exc, url_for("articles.view", article_id=article_id))
    if article.state.is_live():
        # The image went into the uploader's pending revision: show them that one, and say what happens next.
        return back_to_article(
            article_id,
            _(
                "Image %(name)s added to your edit; readers see it once a lead approves the edit.",
                name=item.filename,
            ),
            pending=True,
        )
    return back_to_article(article_id, _("Image %(name)s uploaded.", name=item.filename))
