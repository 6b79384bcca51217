"""The filter form of the report pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.validators import Optional


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
