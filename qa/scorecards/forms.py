"""Forms of the scorecard pages, and the rating choices every form that rates a criterion offers.
Validation of shape only; the services hold the rules."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    FloatField,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from qa.scorecards.scoring import MAX_POINTS, MAX_WEIGHT, Scale

NA = "na"


def scale_choices(criterion: Any) -> list[tuple[str, str]]:
    scale = Scale(criterion.scale)
    if scale is Scale.BINARY:
        choices = [("1", str(_l("Yes"))), ("0", str(_l("No")))]
    else:
        choices = [(str(v), str(v)) for v in reversed(scale.values)]
    if criterion.allow_na:
        choices.append((NA, str(_l("N/A"))))
    return choices


class SectionRow(FlaskForm):
    class Meta:
        csrf = False

    name = StringField(_l("Section"), validators=[Optional(), Length(max=200)])
    weight = FloatField(
        _l("Weight"), default=1.0, validators=[Optional(), NumberRange(min=0, max=MAX_WEIGHT)]
    )


class CriterionRow(FlaskForm):
    class Meta:
        csrf = False

    section = IntegerField(_l("Section no."), validators=[Optional(), NumberRange(min=1)])
    name = StringField(_l("Criterion"), validators=[Optional(), Length(max=200)])
    description = StringField(_l("Description"), validators=[Optional(), Length(max=1000)])
    scale = SelectField(
        _l("Scale"),
        choices=[
            (Scale.BINARY.value, _l("Yes/no")),
            (Scale.THREE.value, _l("3-point")),
            (Scale.FIVE.value, _l("5-point")),
        ],
    )
    points = FloatField(
        _l("Points"), default=1.0, validators=[Optional(), NumberRange(min=0, max=MAX_POINTS)]
    )
    allow_na = BooleanField(_l("N/A allowed"))
    critical = BooleanField(_l("Critical"))
    guidance = TextAreaField(
        _l("Guidance, one line per level, lowest first"), validators=[Optional(), Length(max=5000)]
    )


class ScorecardForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    mode = SelectField(
        _l("Scoring mode"),
        choices=[("weighted_sections", _l("Weighted sections")), ("points", _l("Points"))],
    )
    sections = FieldList(FormField(SectionRow), min_entries=1, max_entries=50)
    criteria = FieldList(FormField(CriterionRow), min_entries=1, max_entries=300)
