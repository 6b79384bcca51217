"""Scorecard pages: list, create, edit (a frozen version gets a successor) and read a version."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlmodel import col, select

from portal.auth import role_required
from portal.db import get_session, saved_id
from portal.models import Role
from qa.scorecards import input as scorecard_input
from qa.scorecards import services as scorecards
from qa.scorecards.forms import ScorecardForm
from qa.scorecards.models import Scorecard
from qa.web import bp, get_or_404, signed_in


@bp.get("/qa/scorecards")
@role_required(Role.QA)
def scorecard_list():
    session = get_session()
    cards = list(session.exec(select(Scorecard).order_by(col(Scorecard.id))))
    latest = {c.id: scorecards.latest_version(session, c.id) for c in cards}
    return render_template("qa/scorecards/scorecards.html", cards=cards, latest=latest)


def _form_to_input(form: ScorecardForm) -> scorecard_input.ScorecardInput:
    sections = [
        scorecard_input.SectionInput(
            name=(row.form.name.data or "").strip(),
            weight=row.form.weight.data if row.form.weight.data is not None else 1.0,
        )
        for row in form.sections
    ]
    used = [bool(s.name) for s in sections]
    problems = []
    for i, row in enumerate(form.criteria, start=1):
        f = row.form
        if not (f.name.data or "").strip():
            continue
        number = f.section.data or 1
        if not 1 <= number <= len(sections) or not used[number - 1]:
            problems.append(_("Criterion %(n)d refers to section %(s)d, which has no name.", n=i, s=number))
            continue
        lines = [line.strip() for line in (f.guidance.data or "").splitlines()]
        start = 0 if f.scale.data == "binary" else 1
        sections[number - 1].criteria.append(
            scorecard_input.CriterionInput(
                name=f.name.data.strip(),
                scale=f.scale.data,
                points=f.points.data if f.points.data is not None else 1.0,
                allow_na=f.allow_na.data,
                critical=f.critical.data,
                description=f.description.data or "",
                guidance={start + k: line for k, line in enumerate(lines) if line},
            )
        )
    if problems:
        raise scorecard_input.ScorecardInputError(problems)
    return scorecard_input.ScorecardInput(
        name=form.name.data or "",
        mode=form.mode.data,
        description=form.description.data or "",
        sections=[s for s, keep in zip(sections, used, strict=True) if keep],
    )


def _fill_form(form: ScorecardForm, inp: scorecard_input.ScorecardInput, extra: int) -> None:
    form.name.data, form.mode.data, form.description.data = inp.name, inp.mode, inp.description
    while len(form.sections):
        form.sections.pop_entry()
    while len(form.criteria):
        form.criteria.pop_entry()
    for s in inp.sections:
        form.sections.append_entry({"name": s.name, "weight": s.weight})
    for number, s in enumerate(inp.sections, start=1):
        for c in s.criteria:
            scale_min = 0 if c.scale == "binary" else 1
            lines = [
                c.guidance.get(v, "") for v in range(scale_min, {"binary": 1, "3": 3, "5": 5}[c.scale] + 1)
            ]
            form.criteria.append_entry(
                {
                    "section": number,
                    "name": c.name,
                    "description": c.description,
                    "scale": c.scale,
                    "points": c.points,
                    "allow_na": c.allow_na,
                    "critical": c.critical,
                    "guidance": "\n".join(lines).rstrip("\n"),
                }
            )
    for _i in range(extra):
        form.sections.append_entry({"weight": 1.0})
    for _i in range(extra * 2):
        form.criteria.append_entry({"points": 1.0, "section": len(inp.sections) or 1})


def _scorecard_form(card: Scorecard | None):
    session = get_session()
    form = ScorecardForm()
    status = 200
    if request.method == "GET":
        inp = scorecard_input.ScorecardInput(name="", sections=[])
        if card is not None:
            inp = scorecards.input_from_version(session, card, scorecards.current_version(session, card))
        _fill_form(form, inp, 3 if card else 5)
    elif request.form.get("more"):
        for _i in range(3):
            form.sections.append_entry({"weight": 1.0})
            form.criteria.append_entry({"points": 1.0})
            form.criteria.append_entry({"points": 1.0})
    elif form.validate_on_submit():
        try:
            inp = _form_to_input(form)
            if card is None:
                card, _version = scorecards.create_scorecard(session, signed_in(), inp)
                flash(_("Scorecard created."), "success")
            else:
                version = scorecards.edit_scorecard(session, signed_in(), card, inp)
                flash(_("Scorecard saved as version %(n)d.", n=version.number), "success")
            return redirect(url_for("qa.scorecard_detail", scorecard_id=card.id))
        except scorecard_input.ScorecardInputError as exc:
            form.name.errors.extend(exc.problems)
            status = 400
    else:
        status = 400
    frozen = bool(card and scorecards.current_version(session, card).is_frozen)
    return render_template("qa/scorecards/scorecard_form.html", form=form, card=card, frozen=frozen), status


@bp.route("/qa/scorecards/new", methods=["GET", "POST"])
@role_required(Role.QA)
def scorecard_new():
    return _scorecard_form(None)


@bp.route("/qa/scorecards/<int:scorecard_id>/edit", methods=["GET", "POST"])
@role_required(Role.QA)
def scorecard_edit(scorecard_id: int):
    card = get_or_404(Scorecard, scorecard_id)
    return _scorecard_form(card)


@bp.get("/qa/scorecards/<int:scorecard_id>")
@role_required(Role.QA, Role.LEAD)
def scorecard_detail(scorecard_id: int):
    session = get_session()
    card = get_or_404(Scorecard, scorecard_id)
    versions = scorecards.versions_of(session, saved_id(card))
    chosen = versions[0]
    wanted = request.args.get("version", type=int)
    for v in versions:
        if v.number == wanted:
            chosen = v
    sections, criteria = scorecards.sections_and_criteria(session, saved_id(chosen))
    return render_template(
        "qa/scorecards/scorecard.html",
        card=card,
        versions=versions,
        version=chosen,
        sections=sections,
        criteria=criteria,
    )
