"""The form that creates an API token."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField
from wtforms.validators import DataRequired, Length, Optional


class TokenForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=100)],
        description=_l("What the token is for, e.g. the program or script that uses it."),
    )
    expires_on = DateField(
        _l("Expires on"),
        validators=[Optional()],
        description=_l("Optional: the last day the token works. Leave empty for no expiry."),
    )
