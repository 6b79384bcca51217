"""Forms of the qa pages. Validation of shape only; the services hold the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FloatField,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.masking import PatternError, validate_extra_pattern
from qa.scoring import Scale


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def channel_choices():
    return [
        ("phone", _l("Phone")),
        ("chat", _l("Online chat")),
        ("email", _l("E-mail")),
        ("social", _l("Social media")),
        ("ecommerce", _l("E-commerce platform")),
        ("other", _l("Other")),
    ]


class ImportForm(FlaskForm):
    file = FileField(_l("JSONL or CSV file"), validators=[FileRequired(_l("Choose a file."))])


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


class MaskingPatternForm(FlaskForm):
    label = StringField(_l("Label"), validators=[DataRequired(), Length(max=64)])
    pattern = StringField(_l("Regular expression"), validators=[DataRequired(), Length(max=500)])
    sample = TextAreaField(_l("Try it on this text (not stored)"), validators=[Optional(), Length(max=5000)])

    def validate_pattern(self, field):
        try:
            validate_extra_pattern(field.data)
        except PatternError as exc:
            raise ValidationError(str(exc)) from None


class SectionRow(FlaskForm):
    class Meta:
        csrf = False

    name = StringField(_l("Section"), validators=[Optional(), Length(max=200)])
    weight = FloatField(_l("Weight"), default=1.0, validators=[Optional(), NumberRange(min=0)])


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
    points = FloatField(_l("Points"), default=1.0, validators=[Optional(), NumberRange(min=0)])
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


class EvaluationFormBase(FlaskForm):
    comment = TextAreaField(_l("Overall comment"), validators=[Optional(), Length(max=5000)])
    article_id = IntegerField(
        _l("Article that should have been used (ID)"), validators=[Optional(), NumberRange(min=1)]
    )
    no_article = BooleanField(_l("No article exists for this (knowledge gap)"))
    gap_note = TextAreaField(_l("Knowledge gap note"), validators=[Optional(), Length(max=5000)])
    save = SubmitField(_l("Save draft"))
    submit_evaluation = SubmitField(_l("Submit"))


NA = "na"


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
