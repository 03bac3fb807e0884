"""Importing case exchange documents: check the whole file, then write all of it or nothing.

Order of work: the JSON Schema (every problem, with its path), then the rules a schema cannot
say and the clashes with the database (tracker.exchange.validation); only a file with no
problem at all is written. Sessions, units and proposers are found by their natural keys and
created when missing (an empty database accepts an export); usernames the database does not
know become deactivated accounts without a password. Signed letters keep their status, parts,
date and signing time exactly, and get a newly rendered archival PDF (its checksum differs
from the source's: PDFs embed their creation time). One "case.imported" audit event per case.

The caller commits (or rolls back on ImportRefused): nothing here commits.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_request_context

from tracker.core.audit import record
from tracker.exchange.rebuild import Directory, write_case
from tracker.exchange.validation import (
    MAX_PROBLEMS,
    cases_of,
    schema_problems,
    semantic_problems,
)
from tracker.extensions import db
from tracker.proposals.models import Proposal
from tracker.replies.models import Reply

Progress = Callable[[str, int, int], None]  # (phase: "cases" or "pdfs", done, total)


class ImportRefused(Exception):
    """The file was refused whole; `problems` says where and why, one line each."""

    def __init__(self, problems: list[str]) -> None:
        shown = problems[:MAX_PROBLEMS]
        if len(problems) > MAX_PROBLEMS:
            shown.append(f"… and {len(problems) - MAX_PROBLEMS} more problems")
        self.problems = shown
        super().__init__("\n".join(shown))


@dataclass
class ImportResult:
    cases: list[str] = field(default_factory=list)  # "七届五次会议 20250467"
    replaced: list[str] = field(default_factory=list)
    created: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    pdfs: int = 0

    def summary(self) -> str:
        made = ", ".join(f"{len(v)} {k}" for k, v in self.created.items() if v) or "nothing"
        text = f"Imported {len(self.cases)} cases ({len(self.replaced)} replaced)"
        return f"{text}; {self.pdfs} archival PDFs rendered; created {made}."


def read_document(data: bytes | str) -> Any:
    """Parse the file's JSON, or refuse it saying where the syntax breaks."""
    try:
        if isinstance(data, bytes):
            data = data.decode("utf-8-sig")
        return json.loads(data)
    except UnicodeDecodeError as exc:
        raise ImportRefused([f"(the file): is not UTF-8 text ({exc.reason})"]) from None
    except json.JSONDecodeError as exc:
        raise ImportRefused(
            [f"(the file): not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"]
        ) from None


def check_document(doc: Any, *, update: bool = False) -> list[tuple[str, dict]]:
    """Return the document's cases, or raise ImportRefused listing every problem."""
    problems = schema_problems(doc)
    if problems:
        raise ImportRefused(problems)
    cases = cases_of(doc)
    problems = semantic_problems(cases, update=update)
    if problems:
        raise ImportRefused(problems)
    return cases


def import_document(
    doc: Any,
    *,
    actor: Any = None,
    update: bool = False,
    source: str = "",
    progress: Progress | None = None,
) -> ImportResult:
    """Check `doc` whole and write every case of it; the caller commits.

    Raises ImportRefused (nothing written that the caller's rollback does not undo).
    """
    cases = check_document(doc, update=update)
    result = ImportResult()
    directory = Directory(actor)
    directory.prepare(cases)
    result.created = directory.created
    signed: list[tuple[int, Reply]] = []
    written: list[tuple[Proposal, bool, dict]] = []
    total = len(cases)
    for n, (prefix, case) in enumerate(cases):
        try:
            proposal, replaced = write_case(case, directory, signed, n)
            db.session.flush()
        except sa.exc.DBAPIError as exc:
            db.session.rollback()
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            raise ImportRefused([f"{prefix}: the database refused it: {reason}"]) from None
        written.append((proposal, replaced, case))
        if progress is not None:
            progress("cases", n + 1, total)
    pdfs = _archive_signed(signed, progress)
    result.pdfs = sum(len(v) for v in pdfs.values())
    for n, (proposal, replaced, case) in enumerate(written):
        label = f"{proposal.session.name} {proposal.number}"
        result.cases.append(label)
        if replaced:
            result.replaced.append(label)
        record(
            actor,
            "case.imported",
            proposal,
            proposal_id=proposal.id,
            summary=f"{proposal.number} {proposal.title}",
            changes={
                "source": [None, source or None],
                "replaced": [None, replaced],
                "assignments": [None, len(case["assignments"])],
                "replies": [None, sum(len(a["replies"]) for a in case["assignments"])],
                "pdf_sha256": [None, pdfs.get(n, [])],
            },
        )
    return result


def _archive_signed(
    signed: list[tuple[int, Reply]], progress: Progress | None
) -> dict[int, list[str]]:
    """Render and store each signed letter's archival PDF; {case index: [sha256, …]}."""
    from tracker.documents import storage
    from tracker.replies.services import render_letter_pdf

    root = Path(current_app.config["ARCHIVE_DIR"])
    done: dict[int, list[str]] = defaultdict(list)
    context = nullcontext() if has_request_context() else current_app.test_request_context()
    with context:  # the letter templates' url_for needs a request
        for n, (index, reply) in enumerate(signed, 1):
            pdf = render_letter_pdf(reply, archival=True)
            reply.pdf_path, reply.pdf_sha256, reply.pdf_size = storage.store(root, pdf)
            done[index].append(reply.pdf_sha256)
            if progress is not None:
                progress("pdfs", n, len(signed))
    db.session.flush()
    return done
