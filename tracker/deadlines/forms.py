"""Administration forms for the deadline rules and the working-day calendar."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import DateField, FormField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from tracker.core.errors import DomainError
from tracker.deadlines.admin import BUREAU_NAME_MAX, DUE_SOON_RANGE, NOTE_MAX
from tracker.deadlines.services import PERIOD_UNITS, validate_period

PERIOD_UNIT_LABELS = {
    "months": _l("months"),
    "days": _l("calendar days"),
    "working_days": _l("working days"),
}


def format_period(rule: dict) -> str:
    """3 months / 10 calendar days, for hints."""
    amount, unit = rule.get("amount"), rule.get("unit")
    if unit == "months":
        return ngettext("%(num)d month", "%(num)d months", amount)
    if unit == "days":
        return ngettext("%(num)d calendar day", "%(num)d calendar days", amount)
    if unit == "working_days":
        return ngettext("%(num)d working day", "%(num)d working days", amount)
    return f"{amount} {unit}"


class PeriodForm(FlaskForm):
    """An amount and its unit; checked with the same rule the services use."""

    class Meta:
        csrf = False

    amount = StringField(_l("Amount"), validators=[InputRequired(), Length(max=10)])
    unit = SelectField(
        _l("Unit"),
        choices=[(u, PERIOD_UNIT_LABELS[u]) for u in PERIOD_UNITS],
        validators=[DataRequired()],
    )

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        try:
            validate_period({"amount": (self.amount.data or "").strip(), "unit": self.unit.data})
        except DomainError as exc:
            self.amount.errors.append(str(exc))
            return False
        return True


def _period(label, description) -> FormField:
    return FormField(PeriodForm, label=label, description=description)


class RulesForm(FlaskForm):
    bureau_name = StringField(
        _l("Bureau name"),
        validators=[DataRequired(), Length(max=BUREAU_NAME_MAX)],
        description=_l("As printed on reply letters, e.g. 深圳市某某局."),
    )
    reply_deadline = _period(
        _l("Reply deadline"),
        _l("From assignment to the reply letter to the proposer (lead and sole handling units)."),
    )
    co_opinion_deadline = _period(
        _l("Co-handling opinion deadline"),
        _l("Co-handling units send their opinion to the lead unit within this period."),
    )
    return_window = _period(
        _l("Return window"),
        _l("A unit may ask to return a case that is not its business within this period."),
    )
    rehandling_deadline = _period(
        _l("Re-handling deadline"),
        _l("Time for a new reply when a case is handled again (the proposer was not satisfied)."),
    )
    extension_limit = _period(
        _l("Extension limit"),
        _l("An extended due date may be at most this long after the assignment date."),
    )
    due_soon_working_days = IntegerField(
        _l("“Due soon” warning (working days)"),
        validators=[InputRequired(), NumberRange(min=DUE_SOON_RANGE[0], max=DUE_SOON_RANGE[1])],
        description=_l(
            "Cases due within this many working days are marked “due soon” (%(low)d–%(high)d).",
            low=DUE_SOON_RANGE[0],
            high=DUE_SOON_RANGE[1],
        ),
    )


class CalendarDayForm(FlaskForm):
    day = DateField(_l("Date"), validators=[InputRequired()])
    is_working = SelectField(
        _l("The day is"),
        choices=[
            ("0", _l("A day off (public holiday)")),
            ("1", _l("A working day (make-up working day, 调休上班)")),
        ],
        validators=[InputRequired()],
    )
    note = StringField(
        _l("Note"),
        validators=[Optional(), Length(max=NOTE_MAX)],
        description=_l("Optional. e.g. 国务院办公厅关于2027年部分节假日安排的通知."),
    )
