"""The sampling plan form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal.forms import MultiCheckboxField


def channel_choices():
    return [
        ("phone", _l("Phone")),
        ("chat", _l("Online chat")),
        ("email", _l("E-mail")),
        ("social", _l("Social media")),
        ("ecommerce", _l("E-commerce platform")),
        ("other", _l("Other")),
    ]


class PlanForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    period = SelectField(
        _l("Period"),
        choices=[
            ("week", _l("Week (Monday–Sunday)")),
            ("month", _l("Month")),
            ("custom", _l("Custom range")),
        ],
        default="week",
    )
    date_from = DateField(_l("From (or any day of the week/month)"), validators=[DataRequired()])
    date_to = DateField(_l("To (custom range only)"), validators=[Optional()])
    quota_per_agent = IntegerField(
        _l("Random sample per agent"), default=5, validators=[NumberRange(0, 1000)]
    )
    channels = MultiCheckboxField(_l("Channels (none = all)"), choices=channel_choices)
    agents = MultiCheckboxField(_l("Agents (none = all)"), choices=[])
    team = SelectField(_l("Or a team"), choices=[], validators=[Optional()])
    csat_at_most = IntegerField(_l("Only CSAT at most"), validators=[Optional(), NumberRange(1, 5)])
    complaints_only = BooleanField(_l("Only complaints"))
    always_complaints = BooleanField(_l("Always include complaints"), default=True)
    always_csat_at_most = IntegerField(
        _l("Always include CSAT at most"), default=2, validators=[Optional(), NumberRange(1, 5)]
    )
    always_cap = IntegerField(
        _l("At most this many always-included per agent"),
        default=5,
        validators=[Optional(), NumberRange(0, 1000)],
    )
    seed = IntegerField(_l("Seed (empty = random)"), validators=[Optional(), NumberRange(0, 2**63 - 1)])
    graders = MultiCheckboxField(_l("QA specialists (none = me)"), choices=[])
    due_days = IntegerField(_l("Due in days"), default=7, validators=[NumberRange(0, 365)])
    scorecard_id = SelectField(_l("Scorecard"), choices=[], coerce=int, default=0)
