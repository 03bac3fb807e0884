"""Importing the assignment list (交办清单): preview every row, then import all or nothing.

The rows stream through in batches (tracker.exchange.rows), so a list of 100,000 rows takes
flat memory. The whole import is one transaction: the first problem rolls back everything.
Like every service, the import does not commit: the job runner commits it together with the
job's row, a direct caller (the upload page without a runner, the CLI) commits when it returns.
"""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass, field
from math import ceil
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l

from tracker.auth.models import User
from tracker.core.errors import DomainError
from tracker.exchange.rows import CheckedRow, check_rows
from tracker.exchange.tabular import FileProblem
from tracker.extensions import db
from tracker.jobs.registry import JobContext, job_handler
from tracker.proposals.models import Proposal
from tracker.proposals.services import ProposalData, assign_unit, save_proposal

PREVIEW_PAGE = 100
RETAIN = 5_000  # rows a preview keeps from one pass; deeper pages take a second pass


# ---------- preview ----------


@dataclass
class Preview:
    """What importing the file would do: counts, file-level problems, one page of rows."""

    page: int = 1
    per_page: int = PREVIEW_PAGE
    total: int = 0
    new: int = 0
    update: int = 0
    problem_rows: int = 0
    file_problems: list[Any] = field(default_factory=list)
    rows: list[CheckedRow] = field(default_factory=list)  # this page: problem rows first

    @property
    def ok(self) -> bool:
        return not self.file_problems and not self.problem_rows and self.total > 0

    # the attributes the pager macro reads
    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def preview(
    path: Path | str,
    session_id: int | None,
    *,
    page: int = 1,
    per_page: int = PREVIEW_PAGE,
    kind: str | None = None,
) -> Preview:
    """Check every row and return the counts and one page of rows; change nothing."""
    path = Path(path)
    result = Preview(page=max(1, page), per_page=per_page)
    start = (result.page - 1) * per_page
    stop = start + per_page
    # Problem rows and clean rows are kept by their index among their kind; past RETAIN, the
    # first pass only counts and a second one picks the page.
    windows = ((0, stop), (0, stop)) if stop <= RETAIN else None
    try:
        kept = _pass(path, session_id, kind, result, windows)
        if windows is None:
            first = result.problem_rows
            clean = (max(0, start - first), max(0, stop - first))
            kept = _pass(path, session_id, kind, Preview(), ((start, stop), clean))
            result.rows = (kept[0] + kept[1])[:per_page]
        else:
            result.rows = (kept[0] + kept[1])[start:stop]
    except FileProblem as exc:
        result.file_problems.append(exc.message)
        result.rows = []
    if not result.file_problems and result.total == 0:
        result.file_problems.append(_l("The file has no rows under its header."))
    return result


def _pass(path, session_id, kind, counts: Preview, windows) -> tuple[list, list]:
    problems: list[CheckedRow] = []
    clean: list[CheckedRow] = []
    for batch in check_rows(path, session_id, kind=kind):
        for row in batch:
            counts.total += 1
            if row.problems:
                n, keep, window = counts.problem_rows, problems, windows and windows[0]
                counts.problem_rows += 1
            else:
                n = counts.total - counts.problem_rows - 1
                keep, window = clean, windows and windows[1]
                if row.updates:
                    counts.update += 1
                else:
                    counts.new += 1
            if window and window[0] <= n < window[1]:
                keep.append(row)
    return problems, clean


# ---------- import ----------


@job_handler("assignments_import")
def import_rows(ctx: JobContext) -> str:
    """Import the list in one transaction: every row or, at the first problem, none.

    params: path, session_id (None: each row's 届次), user_id; optional total (the row count,
    for the progress bar). Flushes, never commits: the caller commits.
    """
    params = ctx.params
    path = Path(params["path"])
    user_id = params.get("user_id") or ctx.user_id
    total = params.get("total")
    actor = db.session.get(User, user_id) if user_id else None
    done = created = updated = 0
    try:
        with closing(check_rows(path, params.get("session_id"))) as batches:
            for batch in batches:
                for row in batch:
                    if row.problems:
                        raise DomainError(
                            _l("Row %(row)d: %(problem)s", row=row.line, problem=row.problems[0])
                        )
                    changed = _apply(actor, row)
                    if not row.updates:
                        created += 1
                    elif changed:
                        updated += 1
                done += len(batch)
                db.session.flush()
                ctx.progress(done, total, str(_l("%(n)d rows imported", n=done)))
        if done == 0:
            raise FileProblem(_l("The file has no rows under its header."))
    except BaseException:
        db.session.rollback()
        raise
    return str(
        _l(
            "%(rows)d rows imported: %(new)d new cases, %(updated)d updated.",
            rows=done,
            new=created,
            updated=updated,
        )
    )


def _differs(proposal: Proposal, data: ProposalData) -> bool:
    return (
        proposal.title != data.title
        or proposal.kind != data.kind
        or proposal.case_type != data.case_type
        or proposal.is_key != data.is_key
        or proposal.full_text != data.full_text
        or proposal.is_collective != data.collective
        or [p.name for p in proposal.proposers] != data.proposers
        or [s.text for s in proposal.suggestions] != data.suggestions
    )


def _apply(actor: Any, row: CheckedRow) -> bool:
    """Create or update the row's case and add its missing units; return whether it changed."""
    try:
        proposal = row.existing
        data = row.data()
        changed = proposal is None or _differs(proposal, data)
        if changed:
            proposal = save_proposal(actor, proposal, data)
        for role, unit in row.to_add:
            assign_unit(actor, proposal, unit, role, row.assigned_on)
    except DomainError as exc:
        raise DomainError(_l("Row %(row)d: %(problem)s", row=row.line, problem=exc)) from exc
    return changed or bool(row.to_add)
