"""Import every model so the metadata (and Alembic) sees the whole schema."""

from tracker.api.models import ApiToken
from tracker.auth.models import Role, User
from tracker.contacts.models import (
    Attitude,
    ContactLog,
    ContactStage,
    ContactWay,
    Feedback,
    FeedbackChannel,
    Rating,
)
from tracker.core.audit import AuditEvent
from tracker.core.settings import Setting
from tracker.deadlines.models import CalendarDay
from tracker.directory.models import CouncilSession, Proposer, ProposerKind, Unit
from tracker.jobs.models import Job, JobStatus
from tracker.proposals.models import (
    Assignment,
    AssignmentRole,
    CaseType,
    Extension,
    Proposal,
    ProposalKind,
    ProposalProposer,
    RequestStatus,
    ReturnRequest,
    Suggestion,
)
from tracker.proposals.workflow import AssignmentStatus
from tracker.replies.models import (
    Disclosure,
    LetterKind,
    LetterShape,
    Reply,
    ReplyItem,
    ReplyRevision,
    ReplyStatus,
    ReviewOutcome,
)
from tracker.reports.models import SessionSummary
from tracker.search.models import SearchDocument, SearchSource
from tracker.supervision.models import Notification, Reminder, ReminderKind

__all__ = [
    "ApiToken",
    "Job",
    "JobStatus",
    "Attitude",
    "ContactLog",
    "ContactStage",
    "ContactWay",
    "Feedback",
    "FeedbackChannel",
    "Notification",
    "Rating",
    "Reminder",
    "ReminderKind",
    "Assignment",
    "AssignmentRole",
    "AssignmentStatus",
    "AuditEvent",
    "CalendarDay",
    "CaseType",
    "CouncilSession",
    "Disclosure",
    "LetterKind",
    "LetterShape",
    "Reply",
    "ReplyItem",
    "ReplyRevision",
    "ReplyStatus",
    "ReviewOutcome",
    "SearchDocument",
    "SearchSource",
    "Extension",
    "Proposal",
    "ProposalKind",
    "ProposalProposer",
    "Proposer",
    "ProposerKind",
    "RequestStatus",
    "ReturnRequest",
    "Role",
    "SessionSummary",
    "Setting",
    "Suggestion",
    "Unit",
    "User",
]
