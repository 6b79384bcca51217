"""Admin page for the extra masking patterns: test one on a sample, add it, switch it on or off."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlmodel import col, select

from portal.auth import role_required
from portal.db import get_session
from portal.forms import ActionForm
from portal.masking import (
    ExtraPattern,
    MaskingPattern,
    add_masking_pattern,
    mask_text,
    toggle_masking_pattern,
)
from portal.models import Role
from qa.interactions.forms import MaskingPatternForm
from qa.web import bp, get_or_404, signed_in


@bp.route("/qa/masking", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def masking():
    session = get_session()
    form = MaskingPatternForm()
    preview, status = None, 200
    if form.validate_on_submit():
        if request.form.get("action") == "test":
            pattern = ExtraPattern.compile(form.label.data, form.pattern.data)
            preview = mask_text(form.sample.data or "", [pattern]).text
        else:
            add_masking_pattern(session, signed_in(), form.label.data.strip(), form.pattern.data)
            flash(_("Masking pattern added; it applies to future imports."), "success")
            return redirect(url_for("qa.masking"))
    elif request.method == "POST":
        status = 400
    rows = list(session.exec(select(MaskingPattern).order_by(col(MaskingPattern.id))))
    return render_template(
        "qa/interactions/masking.html", form=form, rows=rows, preview=preview, action_form=ActionForm()
    ), status


@bp.post("/qa/masking/<int:pattern_id>/toggle")
@role_required(Role.ADMIN)
def toggle_masking(pattern_id: int):
    session = get_session()
    row = get_or_404(MaskingPattern, pattern_id)
    toggle_masking_pattern(session, signed_in(), row)
    return redirect(url_for("qa.masking"))
