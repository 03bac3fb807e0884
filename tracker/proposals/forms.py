"""Forms for proposals, assignments, workflow actions and extensions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from tracker.proposals.models import AssignmentRole, CaseType, ProposalKind

EXTRA_SUGGESTION_ROWS = 2


class ProposalForm(FlaskForm):
    version = HiddenField()
    session_id = SelectField(_l("Session"), coerce=int, validators=[InputRequired()])
    case_type = SelectField(_l("Case type"), choices=[], validators=[DataRequired()])
    number = StringField(
        _l("Number"),
        validators=[DataRequired(), Length(max=40)],
        description=_l("As the council numbered it, e.g. 20250467; no spaces."),
    )
    title = StringField(_l("Title (案由)"), validators=[DataRequired(), Length(max=300)])
    kind = SelectField(_l("Kind"), choices=[], validators=[DataRequired()])
    is_key = BooleanField(_l("Key proposal (重点提案)"))
    submitted_on = DateField(_l("Submitted on"), validators=[Optional()])
    proposers = TextAreaField(
        _l("Proposers"),
        validators=[DataRequired()],
        description=_l("One per line, the first proposer first."),
    )
    collective = BooleanField(_l("Collective proposal (the proposer is a body)"))
    full_text = TextAreaField(_l("Full text"), validators=[Optional(), Length(max=100_000)])
    suggestions = FieldList(
        TextAreaField(_l("Suggestion"), validators=[Optional(), Length(max=20_000)]),
        min_entries=1,
    )
    # A clerk registering a case puts it on their own unit in this role.
    own_role = SelectField(_l("Your unit's role"), choices=[], validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.case_type.choices = CaseType.choices()
        self.kind.choices = ProposalKind.choices()
        self.own_role.choices = AssignmentRole.choices()


class AssignForm(FlaskForm):
    unit_id = SelectField(_l("Unit"), coerce=int, validators=[InputRequired()])
    role = SelectField(_l("Role"), choices=[], validators=[DataRequired()])
    assigned_on = DateField(_l("Assigned on"), validators=[InputRequired()])
    due_on = DateField(
        _l("Due on"),
        validators=[Optional()],
        description=_l("Leave empty to use the deadline rules."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = AssignmentRole.choices()


class ActionForm(FlaskForm):
    action = HiddenField(validators=[DataRequired()])
    version = IntegerField(validators=[Optional()])
    comment = TextAreaField(_l("Comment or reason"), validators=[Optional(), Length(max=5000)])


class ExtensionRequestForm(FlaskForm):
    requested_due_on = DateField(_l("New due date"), validators=[InputRequired()])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=5000)])


class ExtensionDecisionForm(FlaskForm):
    decision = SelectField(
        _l("Decision"),
        choices=[("approve", _l("Approve")), ("reject", _l("Reject"))],
        validators=[DataRequired()],
    )
    granted_due_on = DateField(_l("Granted due date"), validators=[Optional()])
    approver = StringField(
        _l("Approved by"),
        validators=[Optional(), Length(max=200)],
        description=_l("The approving body, e.g. 市政协提案委员会."),
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=5000)])


class FilterForm(FlaskForm):
    """The list filters (GET, no CSRF)."""

    class Meta:
        csrf = False

    session = SelectField(_l("Session"), coerce=str, validators=[Optional()])
    unit = SelectField(_l("Unit"), coerce=str, validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()])
    type = SelectField(_l("Case type"), validators=[Optional()])
    key = SelectField(_l("Key"), validators=[Optional()])
    due = SelectField(_l("Deadline"), validators=[Optional()])
    q = StringField(
        _l("Search"),
        validators=[Optional(), Length(max=100)],
        description=_l("Titles, texts, suggestions, proposers, answers and contact notes"),
    )
    sort = SelectField(_l("Sort by"), validators=[Optional()])
