"""Reads for a case page: each unit's contact log and feedback."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from tracker.contacts.models import ContactLog, Feedback
from tracker.extensions import db


def contacts_by_assignment(assignment_ids: list[int]) -> dict[int, list[ContactLog]]:
    grouped: dict[int, list[ContactLog]] = defaultdict(list)
    if assignment_ids:
        rows = db.session.scalars(
            sa.select(ContactLog)
            .where(ContactLog.assignment_id.in_(assignment_ids))
            .order_by(ContactLog.occurred_at, ContactLog.id)
        )
        for row in rows:
            grouped[row.assignment_id].append(row)
    return grouped


def feedback_by_assignment(assignment_ids: list[int]) -> dict[int, list[Feedback]]:
    grouped: dict[int, list[Feedback]] = defaultdict(list)
    if assignment_ids:
        rows = db.session.scalars(
            sa.select(Feedback)
            .where(Feedback.assignment_id.in_(assignment_ids))
            .order_by(Feedback.round, Feedback.id)
        )
        for row in rows:
            grouped[row.assignment_id].append(row)
    return grouped
