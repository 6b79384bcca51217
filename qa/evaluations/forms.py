"""Forms of the evaluation pages (CSRF through Flask-WTF). Validation of shape only; rules live in services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal.forms import MultiCheckboxField
from qa.evaluations.schemas import MAX_REASON
from qa.scorecards.forms import NA, scale_choices
from qa.scorecards.scoring import Scale


class DisputeForm(FlaskForm):
    criteria = MultiCheckboxField(_l("Criteria you disagree with"), coerce=int)
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=MAX_REASON)])


def resolve_form_class(criteria):
    """A resolve form with one rating select per criterion (``rating_<id>``), pre-filled by the view."""

    class ResolveForm(FlaskForm):
        outcome = RadioField(
            _l("Outcome"),
            choices=[("upheld", _l("Uphold the evaluation")), ("adjusted", _l("Adjust the ratings"))],
            validators=[DataRequired()],
        )
        comment = TextAreaField(
            _l("Comment to the agent and the grader"), validators=[Length(max=MAX_REASON)]
        )

    for c in criteria:
        setattr(ResolveForm, f"rating_{c.id}", SelectField(c.name, choices=scale_choices(c)))
    return ResolveForm


class EvaluationFormBase(FlaskForm):
    comment = TextAreaField(_l("Overall comment"), validators=[Optional(), Length(max=5000)])
    article_id = IntegerField(
        _l("Article that should have been used (ID)"), validators=[Optional(), NumberRange(min=1)]
    )
    no_article = BooleanField(_l("No article exists for this (knowledge gap)"))
    gap_note = TextAreaField(_l("Knowledge gap note"), validators=[Optional(), Length(max=5000)])
    save = SubmitField(_l("Save draft"))
    submit_evaluation = SubmitField(_l("Submit"))


def evaluation_form_class(criteria):
    """A form class with a rating, comment and evidence field per criterion of a scorecard version."""

    class EvaluationForm(EvaluationFormBase):
        pass

    for c in criteria:
        scale = Scale(c.scale)
        guidance = c.guidance_map()
        labels = {0: _l("No"), 1: _l("Yes")} if scale is Scale.BINARY else {v: str(v) for v in scale.values}
        choices = [
            (str(v), f"{labels[v]}" + (f" — {guidance[v]}" if v in guidance else "")) for v in scale.values
        ]
        if c.allow_na:
            choices.append((NA, _l("N/A")))
        setattr(
            EvaluationForm, f"rating_{c.id}", RadioField(c.name, choices=choices, validators=[Optional()])
        )
        setattr(
            EvaluationForm,
            f"comment_{c.id}",
            TextAreaField(_l("Comment"), validators=[Optional(), Length(max=5000)]),
        )
        setattr(
            EvaluationForm,
            f"evidence_{c.id}",
            TextAreaField(
                _l("Evidence (quote from the transcript)"), validators=[Optional(), Length(max=5000)]
            ),
        )
    return EvaluationForm
