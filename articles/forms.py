"""Forms of the knowledge base. Validation of shape only; the services decide what is allowed."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from articles.categories import clean_tags
from articles.content import FIELD_MAX
from articles.errors import InvalidInput
from articles.models import REASON_MAX, TITLE_MAX, Audience

# The audience as readers see it (the form's choices and the review diff).
AUDIENCE_LABELS = {
    Audience.INTERNAL.value: _l("Internal (agents only)"),
    Audience.PUBLIC.value: _l("Public"),
}


class TagListField(StringField):
    """Tags typed as one line: rendered joined by ", ", parsed by the same rule as the JSON API (split on
    any comma or 顿号, stripped, de-duplicated in order), so saving the form untouched keeps the tags."""

    data: list[str]

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = []
        if valuelist:
            try:
                self.data = clean_tags(valuelist[0] or "")
            except InvalidInput as exc:
                raise ValueError(str(exc)) from None

    def _value(self) -> str:
        if self.raw_data:  # re-show what was typed after an error
            return str(self.raw_data[0])
        return ", ".join(self.data or [])


class ArticleForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TITLE_MAX)])
    scenario = TextAreaField(
        _l("Problem scenario (问题场景)"), validators=[Optional(), Length(max=FIELD_MAX)]
    )
    solution = TextAreaField(
        _l("Solution steps (解决步骤, Markdown)"), validators=[Optional(), Length(max=FIELD_MAX)]
    )
    notes = TextAreaField(_l("Notes and caveats (注意事项)"), validators=[Optional(), Length(max=FIELD_MAX)])
    category_id = SelectField(_l("Category"), coerce=int, validators=[InputRequired()])
    tags = TagListField(_l("Tags (comma separated)"))
    audience = SelectField(_l("Audience"), choices=list(AUDIENCE_LABELS.items()))
    version = HiddenField()

    def set_categories(self, choices: list[tuple[int, str]]) -> None:
        self.category_id.choices = [(0, _l("— none —")), *choices]


class VersionForm(FlaskForm):
    """A state-changing button that carries the version the page showed."""

    version = IntegerField(validators=[Optional(), NumberRange(min=1)])


class ReviewForm(VersionForm):
    comment = TextAreaField(_l("Comment for the author"), validators=[Optional(), Length(max=REASON_MAX)])


class TicketForm(FlaskForm):
    ticket_id = StringField(_l("Ticket ID"), validators=[DataRequired(), Length(max=64)])


class FeedbackForm(FlaskForm):
    helpful = HiddenField()
    reason = TextAreaField(
        _l("What was missing? (optional)"), validators=[Optional(), Length(max=REASON_MAX)]
    )


class FlagForm(FlaskForm):
    comment = TextAreaField(_l("What is outdated?"), validators=[DataRequired(), Length(max=REASON_MAX)])


class UploadForm(FlaskForm):
    image = FileField(_l("Image (PNG, JPEG, GIF or WebP, at most 5 MB)"), validators=[FileRequired()])


class CategoryForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)])
    parent_id = SelectField(_l("Parent"), coerce=int)


class RenameForm(FlaskForm):
    name = StringField(_l("New name"), validators=[DataRequired(), Length(max=64)])
