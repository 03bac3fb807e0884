"""The drafting form (every part of the letter) and the review form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from tracker.replies.models import Disclosure, LetterShape


class ItemForm(Form):
    suggestion = TextAreaField(_l("Suggestion (as the letter quotes it)"), validators=[Optional()])
    answer = TextAreaField(_l("Answer"), validators=[Optional()])
    promise = TextAreaField(
        _l("Promise (what will be done)"),
        validators=[Optional(), Length(max=5000)],
        description=_l("B and C results usually promise something; it is followed up."),
    )
    promise_due_on = DateField(_l("Promised by"), validators=[Optional()])
    promise_owner = StringField(_l("Who keeps it"), validators=[Optional(), Length(max=100)])


class LetterForm(FlaskForm):
    version = HiddenField()
    shape = SelectField(_l("Layout"), validators=[Optional()])
    attachment_marker = StringField(
        _l("Attachment marker"), validators=[Optional(), Length(max=50)]
    )
    doc_number = StringField(
        _l("Document number (文号)"),
        validators=[Optional(), Length(max=100)],
        description=_l("Optional, e.g. 深环函〔2025〕12号"),
    )
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    salutation = StringField(
        _l("Salutation"),
        validators=[DataRequired(), Length(max=1000)],
        description=_l("Every proposer of a joint proposal; the body for a collective one."),
    )
    opening = TextAreaField(_l("Opening"), validators=[Optional(), Length(max=5000)])
    items = FieldList(FormField(ItemForm), min_entries=1, max_entries=60)
    process_account = TextAreaField(
        _l("How the case was handled"),
        validators=[Optional(), Length(max=100_000)],
        description=_l("Especially the contact with the proposer: when, how, and what they said."),
    )
    disclosure = SelectField(_l("Disclosure"), validators=[DataRequired()])
    disclosure_reason = TextAreaField(
        _l("Reason for not publishing"), validators=[Optional(), Length(max=5000)]
    )
    closing = StringField(_l("Closing"), validators=[Optional(), Length(max=200)])
    signing_unit = StringField(_l("Signing unit"), validators=[DataRequired(), Length(max=150)])
    letter_date = DateField(
        _l("Date"),
        validators=[Optional()],
        description=_l("Leave empty to date the letter on the day it is signed off."),
    )
    category = SelectField(_l("Result category"), validators=[Optional()])
    contact_person = StringField(_l("Contact person"), validators=[Optional(), Length(max=100)])
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=50)])
    leader_signoff = StringField(
        _l("Signed off by (领导签批)"), validators=[Optional(), Length(max=100)]
    )
    handler = StringField(_l("Handled by (承办人)"), validators=[Optional(), Length(max=100)])
    handler_phone = StringField(_l("Handler's phone"), validators=[Optional(), Length(max=50)])

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.shape.choices = [
            (s.value, s.label) for s in LetterShape if s is not LetterShape.CO_OPINION
        ]
        self.disclosure.choices = Disclosure.choices()
        self.category.choices = [("", _l("— not chosen —"))] + [
            (c["code"], f"{c['code']}：{c['definition']}") for c in categories
        ]


class ReviewForm(FlaskForm):
    decision = HiddenField(validators=[DataRequired()])
    comment = TextAreaField(
        _l("Comments for the clerk"), validators=[Optional(), Length(max=10_000)]
    )
    category = SelectField(_l("Result category"), validators=[Optional()])

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = [("", _l("as proposed"))] + [
            (c["code"], f"{c['code']}：{c['definition']}") for c in categories
        ]


class LetterSettingsForm(FlaskForm):
    default_shape = SelectField(_l("Default layout of a reply"), validators=[DataRequired()])
    attachment_marker = StringField(
        _l("Attachment marker"), validators=[Optional(), Length(max=50)]
    )
    title = StringField(
        _l("Title of a reply"),
        validators=[DataRequired(), Length(max=300)],
        description=_l("Placeholders: {unit} {council} {session} {number} {case} {title}"),
    )
    co_title = StringField(
        _l("Title of a co-handling opinion"), validators=[DataRequired(), Length(max=300)]
    )
    opening = StringField(_l("Opening of a reply"), validators=[DataRequired(), Length(max=300)])
    co_opening = StringField(
        _l("Opening of a co-handling opinion"), validators=[DataRequired(), Length(max=300)]
    )
    closing = StringField(_l("Closing of a reply"), validators=[Optional(), Length(max=300)])
    co_closing = StringField(
        _l("Closing of a co-handling opinion"), validators=[Optional(), Length(max=300)]
    )
    process_heading = StringField(
        _l("Heading of the handling account"), validators=[Optional(), Length(max=300)]
    )
    category_heading = StringField(
        _l("Heading of the result category"), validators=[Optional(), Length(max=300)]
    )
    table_header_left = StringField(
        _l("Table header, left column"), validators=[Optional(), Length(max=20)]
    )
    table_header_right = StringField(
        _l("Table header, right column"), validators=[Optional(), Length(max=20)]
    )
    disclosure_public = StringField(
        _l("Sentence when the reply may be published"), validators=[Optional(), Length(max=200)]
    )
    disclosure_not_public = StringField(
        _l("Sentence when it may not be published"), validators=[Optional(), Length(max=200)]
    )
    disclosure_partial = StringField(
        _l("Sentence when it is published in part"), validators=[Optional(), Length(max=200)]
    )
    categories = TextAreaField(
        _l("Result categories"),
        validators=[DataRequired(), Length(max=5000)],
        description=_l("One per line, as “A：definition”. They are printed on every letter."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.default_shape.choices = [
            (LetterShape.TABLE.value, LetterShape.TABLE.label),
            (LetterShape.PROSE.value, LetterShape.PROSE.label),
        ]
