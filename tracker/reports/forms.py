"""The form of the session summary page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from tracker.reports.summary import MAX_LENGTH


class SummaryForm(FlaskForm):
    text = TextAreaField(
        _l("Summary for the yearly report"),
        validators=[DataRequired(), Length(max=MAX_LENGTH)],
        description=_l("Generated from the figures as of today; edit it freely, then save."),
    )
