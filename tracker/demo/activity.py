"""Demo contact logs and feedback, consistent with each case's state."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from tracker.auth.models import Role, User
from tracker.contacts.models import Feedback, FeedbackChannel, Rating
from tracker.contacts.services import record_contact
from tracker.core.audit import record
from tracker.directory.models import Unit
from tracker.extensions import db
from tracker.proposals.models import Assignment, AssignmentRole
from tracker.proposals.workflow import AssignmentStatus as S

CONTACTED = {
    S.HANDLING,
    S.DRAFTED,
    S.IN_REVIEW,
    S.AMENDS,
    S.SIGNED_OFF,
    S.REPLIED,
    S.AWAITING_FEEDBACK,
    S.CLOSED,
    S.REHANDLING,
}
SUMMARIES = [
    "向委员介绍提案办理思路和工作安排，听取委员对具体措施的意见。",
    "就答复意见初稿征求委员意见，委员对已采取的措施表示认可，希望加快推进。",
    "邀请委员参加座谈，共同研究落实建议的具体路径。",
    "陪同委员实地调研，现场了解有关情况。",
    "答复函送达后回访委员，委员表示将继续关注此项工作。",
]
OUR_PEOPLE = ["办公室主任、承办处室负责人", "分管领导、承办人", "承办处室负责人"]


def seed_activity(seed: int = 2025, today: date | None = None) -> int:
    """Log contacts on every case past receipt and feedback on every answered one."""
    rng = random.Random(seed * 31 + 7)
    today = today or date.today()
    for unit in db.session.scalars(sa.select(Unit).where(Unit.letter_name.is_(None))):
        if unit.name.startswith("市"):
            unit.letter_name = "深圳" + unit.name
    clerks = {
        u.unit_id: u for u in db.session.scalars(sa.select(User).where(User.role == Role.CLERK))
    }
    count = 0
    assignments = db.session.scalars(
        sa.select(Assignment).where(Assignment.status.in_(list(CONTACTED))).order_by(Assignment.id)
    ).all()
    now = datetime.combine(today, time(9, 0))
    for assignment in assignments:
        if assignment.role is AssignmentRole.CO and rng.random() < 0.5:
            continue
        proposal = assignment.proposal
        who = "、".join(p.salutation for p in proposal.proposers)
        start = assignment.assigned_on + timedelta(days=rng.randint(5, 20))
        for n in range(rng.randint(1, 2)):
            when = datetime.combine(
                start + timedelta(days=25 * n), time(rng.choice([9, 10, 14, 15]), 30)
            )
            if when > now:
                break
            record_contact(
                clerks.get(assignment.unit_id),
                assignment,
                {
                    "occurred_at": when,
                    "way": rng.choice(["phone", "phone", "visit", "meeting", "forum"]),
                    "stage": "before" if n == 0 else "during",
                    "our_people": rng.choice(OUR_PEOPLE),
                    "their_people": who,
                    "summary": rng.choice(SUMMARIES),
                    "attitude": rng.choice(["satisfied", "satisfied", "understanding"]),
                },
                now=now,
            )
            count += 1
        count += _feedback(assignment, rng, today)
    db.session.flush()
    return count


def _feedback(assignment: Assignment, rng: random.Random, today: date) -> int:
    if not assignment.role.replies_to_proposer:
        return 0
    proposers = assignment.proposal.proposers
    ratings: list[tuple[int, Rating]] = []
    if assignment.status is S.CLOSED:
        ratings = [
            (
                assignment.round,
                rng.choice([Rating.SATISFIED, Rating.SATISFIED, Rating.BASICALLY_SATISFIED]),
            )
            for _ in proposers
        ]
    elif assignment.status is S.AWAITING_FEEDBACK and len(proposers) > 1:
        ratings = [(assignment.round, Rating.SATISFIED)]  # one of several has answered
    if assignment.round > 1:
        ratings.insert(0, (assignment.round - 1, Rating.DISSATISFIED))
    made = 0
    received = min(today, assignment.closed_on or today)
    for (round_, rating), proposer in zip(ratings, proposers * 2, strict=False):
        exists = db.session.scalar(
            sa.select(Feedback.id).where(
                Feedback.assignment_id == assignment.id,
                Feedback.round == round_,
                Feedback.proposer_id == proposer.id,
            )
        )
        if exists:
            continue
        feedback = Feedback(
            assignment=assignment,
            round=round_,
            proposer_id=proposer.id,
            rating=rating,
            received_on=received,
            channel=rng.choice([FeedbackChannel.PAPER, FeedbackChannel.ONLINE]),
            comments="希望继续加大工作力度。" if rating is not Rating.SATISFIED else "",
        )
        db.session.add(feedback)
        db.session.flush()
        record(
            None,
            "feedback.recorded",
            feedback,
            proposal_id=assignment.proposal_id,
            summary=f"{proposer.name}：{rating.label}",
            changes={"rating": [None, rating.value]},
        )
        made += 1
    return made
