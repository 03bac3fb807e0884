"""Administration forms for sessions and handling units."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional


class SessionForm(FlaskForm):
    council = StringField(
        _l("Council"),
        validators=[DataRequired(), Length(max=100)],
        description=_l("The council's name as letters print it, e.g. 深圳市政协."),
    )
    term = IntegerField(
        _l("Term (届)"),
        validators=[InputRequired(), NumberRange(min=1, max=99)],
        description=_l("A number, e.g. 7 for the seventh term."),
    )
    meeting = IntegerField(
        _l("Meeting (次)"),
        validators=[InputRequired(), NumberRange(min=1, max=99)],
        description=_l("A number, e.g. 2 for the second meeting of the term."),
    )
    year = IntegerField(
        _l("Year"),
        validators=[InputRequired(), NumberRange(min=1949, max=2200)],
    )
    name = StringField(
        _l("Name"),
        validators=[Optional(), Length(max=100)],
        description=_l(
            "Optional. Leave empty to derive it from the term and meeting, "
            "e.g. 七届二次会议 for term 7, meeting 2."
        ),
    )
    key_due_on = DateField(
        _l("Key proposals due on"),
        validators=[Optional()],
        description=_l(
            "Optional. A fixed reply date for this session's key proposals (重点提案); "
            "leave empty to use the normal deadline rules."
        ),
    )
    is_current = BooleanField(
        _l("Current session"),
        description=_l(
            "New proposals are registered in the current session by default. "
            "Only one session can be current."
        ),
    )


class UnitForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=100)],
        description=_l("The full name, e.g. 深圳市某某局办公室."),
    )
    short_name = StringField(
        _l("Short name"),
        validators=[Optional(), Length(max=50)],
        description=_l("Optional. Used in lists where space is short."),
    )
    is_active = BooleanField(
        _l("Active"),
        default=True,
        description=_l("Inactive units keep their cases but cannot be given new ones."),
    )
