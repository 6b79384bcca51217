"""Conversation pages: the list with filters, file import, and one transcript."""

from __future__ import annotations

import math

from flask import flash, render_template, request
from flask_babel import gettext as _
from sqlmodel import col, select

from portal.auth import role_required
from portal.db import get_session, saved_id
from portal.models import Role
from qa.evaluations import services as ev
from qa.evaluations.models import Evaluation
from qa.interactions import services as imp
from qa.interactions.files import ImportFileError
from qa.interactions.forms import ImportForm
from qa.interactions.models import Channel, Interaction
from qa.interactions.queries import InteractionFilter, list_interactions, turns_of
from qa.labels import usernames
from qa.web import bp, get_or_404, qa_timezone, signed_in, ticket_pattern


@bp.get("/qa/interactions")
@role_required(Role.QA, Role.LEAD)
def interactions():
    session = get_session()
    page = max(1, request.args.get("page", 1, type=int) or 1)
    flt = InteractionFilter(
        ticket_id=(request.args.get("ticket_id") or "").strip()[:64],
        agent=(request.args.get("agent") or "").strip()[:64],
        channel=request.args.get("channel")
        if request.args.get("channel") in {c.value for c in Channel}
        else "",
        complaint=request.args.get("complaint") == "1",
    )
    rows, total = list_interactions(session, flt, page)
    agents = usernames(session, {r.agent_id for r in rows})
    return render_template(
        "qa/interactions/interactions.html",
        rows=rows,
        total=total,
        agents=agents,
        flt=flt,
        page=page,
        pages=max(1, math.ceil(total / 50)),
        channels=[c.value for c in Channel],
    )


@bp.route("/qa/interactions/import", methods=["GET", "POST"])
@role_required(Role.QA)
def import_interactions():
    form = ImportForm()
    report, status = None, 200
    if form.validate_on_submit():
        upload = form.file.data
        try:
            report = imp.import_file(
                get_session(),
                upload.filename or "upload",
                upload.read(),
                actor=signed_in(),
                ticket_pattern=ticket_pattern(),
                tz=qa_timezone(),
            )
        except ImportFileError as exc:
            form.file.errors.append(str(exc))
            status = 400
        else:
            flash(
                _("%(n)d interactions imported.", n=report.created),
                "success" if report.created else "warning",
            )
    elif request.method == "POST":
        status = 400
    return render_template("qa/interactions/import.html", form=form, report=report), status


@bp.get("/qa/interactions/<int:interaction_id>")
@role_required(Role.QA, Role.LEAD)
def interaction(interaction_id: int):
    session = get_session()
    item = get_or_404(Interaction, interaction_id)
    evaluations = list(session.exec(select(Evaluation).where(col(Evaluation.interaction_id) == item.id)))
    people = usernames(session, {item.agent_id} | {e.grader_id for e in evaluations})
    return render_template(
        "qa/interactions/interaction.html",
        item=item,
        turns=turns_of(session, saved_id(item)),
        evaluations=evaluations,
        people=people,
        evaluated=ev.existing_evaluation(session, saved_id(item)),
    )
