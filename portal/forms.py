"""Forms of the shell: login, own account, user administration. Validation only; no business logic."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.models import Role


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def role_choices():
    labels = {
        Role.AGENT: _l("Agent (客服专员)"),
        Role.LEAD: _l("Lead (技术主管)"),
        Role.QA: _l("QA specialist (质检专员)"),
        Role.ADMIN: _l("Administrator"),
    }
    return [(r.value, labels[r]) for r in Role]


class ActionForm(FlaskForm):
    """A form with only the CSRF token, for buttons that change state."""


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=1024)])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=8, max=1024)])
    confirm = PasswordField(
        _l("Repeat new password"), validators=[DataRequired(), EqualTo("new", message=_l("Passwords differ"))]
    )


class LanguageForm(FlaskForm):
    language = SelectField(_l("Language"), choices=[("zh_CN", "中文"), ("en", "English")])


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=100)])


class UserCreateForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    display_name = StringField(_l("Display name"), validators=[Optional(), Length(max=100)])
    team = StringField(_l("Team"), validators=[Optional(), Length(max=64)])
    email = StringField(_l("E-mail"), validators=[Optional(), Email(), Length(max=254)])
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(min=8, max=1024)])
    roles = MultiCheckboxField(_l("Roles"), choices=role_choices, validators=[DataRequired()])


class UserEditForm(FlaskForm):
    display_name = StringField(_l("Display name"), validators=[Optional(), Length(max=100)])
    team = StringField(_l("Team"), validators=[Optional(), Length(max=64)])
    email = StringField(_l("E-mail"), validators=[Optional(), Email(), Length(max=254)])
    roles = MultiCheckboxField(_l("Roles"), choices=role_choices, validators=[DataRequired()])
    active = BooleanField(_l("Account active"))
    new_password = PasswordField(_l("Reset password"), validators=[Optional(), Length(min=8, max=1024)])
