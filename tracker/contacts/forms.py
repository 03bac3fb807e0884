"""Forms for contact logs and feedback."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeLocalField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from tracker.contacts.models import Attitude, ContactStage, ContactWay, FeedbackChannel, Rating


class ContactForm(FlaskForm):
    version = HiddenField()
    occurred_at = DateTimeLocalField(
        _l("Date and time"), format="%Y-%m-%dT%H:%M", validators=[InputRequired()]
    )
    way = SelectField(_l("Way"), validators=[DataRequired()])
    stage = SelectField(_l("Stage"), validators=[DataRequired()])
    our_people = StringField(
        _l("Who took part for the unit"), validators=[DataRequired(), Length(max=500)]
    )
    their_people = StringField(
        _l("Who took part for the proposer"),
        validators=[DataRequired(), Length(max=500)],
        description=_l("e.g. 王明委员; it appears in the letter's handling account."),
    )
    summary = TextAreaField(_l("What was said"), validators=[DataRequired(), Length(max=20_000)])
    attitude = SelectField(_l("The proposer's attitude"), validators=[DataRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.way.choices = ContactWay.choices()
        self.stage.choices = ContactStage.choices()
        self.attitude.choices = Attitude.choices()

    def values(self) -> dict:
        return {
            name: getattr(self, name).data
            for name in (
                "occurred_at",
                "way",
                "stage",
                "our_people",
                "their_people",
                "summary",
                "attitude",
            )
        }


class WithdrawForm(FlaskForm):
    reason = TextAreaField(
        _l("Why is this entry withdrawn?"), validators=[DataRequired(), Length(max=2000)]
    )


class FeedbackForm(FlaskForm):
    proposer_id = SelectField(_l("Proposer"), coerce=int, validators=[InputRequired()])
    rating = SelectField(_l("Rating"), validators=[DataRequired()])
    received_on = DateField(_l("Received on"), validators=[InputRequired()])
    channel = SelectField(_l("Channel"), validators=[DataRequired()])
    comments = TextAreaField(_l("Comments"), validators=[Optional(), Length(max=20_000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rating.choices = Rating.choices()
        self.channel.choices = FeedbackChannel.choices()
