"""Forms of the search pages (validation of the lists themselves is in the service)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length

from articles.search.services import MAX_SETTING_CHARS


class SearchSettingsForm(FlaskForm):
    synonyms = TextAreaField(_l("Synonyms"), validators=[Length(max=MAX_SETTING_CHARS)])
    userdict = TextAreaField(_l("User dictionary"), validators=[Length(max=MAX_SETTING_CHARS)])
