"""Forms for importing the assignment list."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField
from wtforms.validators import Optional

from tracker.exchange.tabular import KINDS


class UploadForm(FlaskForm):
    file = FileField(
        _l("Assignment list (.xlsx or .csv)"),
        validators=[
            FileRequired(_l("Choose the file to import.")),
            FileAllowed(KINDS, _l("Upload an Excel workbook (.xlsx) or a CSV file (.csv).")),
        ],
    )
    session_id = SelectField(
        _l("Session"),
        choices=[],
        validators=[Optional()],
        description=_l("Every row goes into this session; leave it empty if the file has 届次."),
    )


class ConfirmForm(FlaskForm):
    """Only the CSRF token: the upload it confirms is in the address."""
