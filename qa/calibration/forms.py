"""Forms of the calibration pages (CSRF through Flask-WTF). Validation of shape only; the services hold
the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from portal.forms import MultiCheckboxField
from qa.scorecards.forms import NA, scale_choices

__all__ = ["NA", "CalibrationForm", "calibration_rating_form_class"]


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
