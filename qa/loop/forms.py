"""Forms of the quality loop (CSRF through Flask-WTF). Validation of shape only; rules live in services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.forms import MultiCheckboxField
from qa.loop.feedback import MAX_REASON
from qa.scoring import Scale

NA = "na"


class DisputeForm(FlaskForm):
    criteria = MultiCheckboxField(_l("Criteria you disagree with"), coerce=int)
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=MAX_REASON)])


def scale_choices(criterion) -> list[tuple[str, str]]:
    scale = Scale(criterion.scale)
    if scale is Scale.BINARY:
        choices = [("1", str(_l("Yes"))), ("0", str(_l("No")))]
    else:
        choices = [(str(v), str(v)) for v in reversed(scale.values)]
    if criterion.allow_na:
        choices.append((NA, str(_l("N/A"))))
    return choices


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


def calibration_rating_form_class(criteria):
    class CalibrationRatingForm(FlaskForm):
        pass

    for c in criteria:
        setattr(
            CalibrationRatingForm,
            f"rating_{c.id}",
            RadioField(c.name, choices=scale_choices(c), validators=[DataRequired()]),
        )
    return CalibrationRatingForm


class CalibrationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    scorecard_version_id = SelectField(_l("Scorecard"), coerce=int)
    interaction_ids = StringField(
        _l("Conversation IDs (comma separated)"), validators=[DataRequired(), Length(max=2000)]
    )
    graders = MultiCheckboxField(_l("Graders"))
    expert = SelectField(_l("Expert (optional: the consensus is their rating)"), validators=[Optional()])


class ReportFilterForm(FlaskForm):
    """GET filter of the report pages (no CSRF on a read-only query)."""

    class Meta:
        csrf = False

    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    group_by = SelectField(
        _l("Group by"),
        choices=[
            ("agent", _l("Agent")),
            ("team", _l("Team")),
            ("channel", _l("Channel")),
            ("week", _l("Week")),
            ("month", _l("Month")),
        ],
        default="agent",
    )
