"""Forms of the conversation pages: the file import and the admin's masking patterns."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.masking import PatternError, validate_extra_pattern


class ImportForm(FlaskForm):
    file = FileField(_l("JSONL or CSV file"), validators=[FileRequired(_l("Choose a file."))])


class MaskingPatternForm(FlaskForm):
    label = StringField(_l("Label"), validators=[DataRequired(), Length(max=64)])
    pattern = StringField(_l("Regular expression"), validators=[DataRequired(), Length(max=500)])
    sample = TextAreaField(_l("Try it on this text (not stored)"), validators=[Optional(), Length(max=5000)])

    def validate_pattern(self, field):
        try:
            validate_extra_pattern(field.data)
        except PatternError as exc:
            raise ValidationError(str(exc)) from None
