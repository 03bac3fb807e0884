"""Sign-in and user administration forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from tracker.auth.models import Role
from tracker.auth.services import MIN_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class UserForm(FlaskForm):
    """Create or edit a user; the password is required only when creating (see the views)."""

    username = StringField(
        _l("Username"),
        validators=[DataRequired(), Length(max=64)],
        description=_l("Used to sign in: letters, digits, dots, dashes or underscores."),
    )
    display_name = StringField(
        _l("Display name"),
        validators=[Optional(), Length(max=100)],
        description=_l("The person's name as others see it; the username if left empty."),
    )
    role = SelectField(_l("Role"), choices=[], validators=[DataRequired()])
    unit = SelectField(
        _l("Unit"),
        choices=[],
        validators=[Optional()],
        description=_l("Required for clerks and viewers: they see only their unit's cases."),
    )
    email = EmailField(
        _l("Email"),
        validators=[
            Optional(),
            Length(max=200),
            Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Enter a valid email address.")),
        ],
    )
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=50)])
    password = PasswordField(
        _l("Password"),
        validators=[Optional(), Length(max=200)],
        description=_l(
            "At least %(n)d characters, mixing letters with digits or symbols.",
            n=MIN_PASSWORD_LENGTH,
        ),
    )
    is_active = BooleanField(
        _l("Active"),
        default=True,
        description=_l("Inactive users cannot sign in; their history is kept."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = Role.choices()
