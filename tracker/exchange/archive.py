"""Archive bundles (立卷归档): a session's signed letters, its cases and a checksummed manifest.

A bundle is a zip file:

    pdf/<number>-<unit>-<round>.pdf   every signed letter's archival PDF
    cases.json                        the session's cases in the exchange format
    manifest.csv                      path, sha256, size, kind, number, unit, round, signed_at,
                                      category, source: one row per file above
    manifest.json                     the same rows plus manifest.csv's own checksum, and the
                                      bundle's metadata (session, time, counts, notes)

Stored PDFs are checked against their SHA-256 before they go in; a damaged or missing stored
copy stops the export (an archive must not carry a copy nobody can vouch for). A signed letter
that never got a stored copy (demo letters beyond the PDF limit) is rendered now, and the
manifest says so (source "rendered"). `verify_bundle` re-checks every file of a bundle.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_request_context
from flask_babel import gettext as _

from tracker.core.errors import DomainError
from tracker.core.models import utcnow
from tracker.directory.models import CouncilSession, Unit
from tracker.documents import storage
from tracker.exchange.format import (
    FORMAT_VERSION,
    binary,
    case_query,
    dumps_document,
    export_cases,
)
from tracker.exchange.format import iso_moment as moment_text
from tracker.extensions import db
from tracker.jobs.registry import JobContext, job_handler
from tracker.proposals.models import Assignment, Proposal
from tracker.replies.models import Reply, ReplyStatus

BUNDLE_FORMAT = "tracker.archive-bundle"
BUNDLE_VERSION = 1
MANIFEST_JSON = "manifest.json"
MANIFEST_CSV = "manifest.csv"
CASES_JSON = "cases.json"
COLUMNS = (
    "path",
    "sha256",
    "size",
    "kind",
    "number",
    "unit",
    "round",
    "signed_at",
    "category",
    "source",
)
UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


@dataclass
class Entry:
    """One file of the bundle as the manifest lists it."""

    path: str
    sha256: str
    size: int
    kind: str  # reply / co_opinion (a letter), cases, manifest
    number: str = ""
    unit: str = ""
    round: int | None = None
    signed_at: str | None = None
    category: str | None = None
    source: str = ""  # archive (the stored copy), rendered (made at export), export


def _entry(path: str, data: bytes, kind: str, **kw: Any) -> Entry:
    return Entry(path, hashlib.sha256(data).hexdigest(), len(data), kind, **kw)


def _safe(text: str) -> str:
    return UNSAFE.sub("_", text).strip(" .") or "_"


def pdf_name(reply: Reply) -> str:
    assignment = reply.assignment
    number = _safe(assignment.proposal.number)
    return f"pdf/{number}-{_safe(assignment.unit.name)}-{reply.round}.pdf"


def signed_replies(session: CouncilSession) -> list[Reply]:
    """The session's signed letters, by proposal number, unit and round."""
    return list(
        db.session.scalars(
            sa.select(Reply)
            .join(Assignment, Reply.assignment_id == Assignment.id)
            .join(Proposal, Assignment.proposal_id == Proposal.id)
            .join(Unit, Assignment.unit_id == Unit.id)
            .where(Proposal.session_id == session.id, Reply.status == ReplyStatus.SIGNED)
            .order_by(binary(Proposal.number), binary(Unit.name), Reply.round)
        )
    )


def _letter_pdf(reply: Reply) -> tuple[bytes, str]:
    """The stored archival copy (checked), or a copy rendered now if none was stored."""
    from tracker.replies.services import render_letter_pdf

    if reply.pdf_path:
        try:
            data = storage.load(
                Path(current_app.config["ARCHIVE_DIR"]), reply.pdf_path, reply.pdf_sha256
            )
        except storage.ArchiveError as exc:
            raise DomainError(
                _(
                    "%(file)s: %(problem)s. The bundle was not written: restore the archive "
                    "from its backup and export again.",
                    file=pdf_name(reply),
                    problem=str(exc),
                )
            ) from None
        return data, "archive"
    return render_letter_pdf(reply, archival=True), "rendered"


def _zip_info(name: str, when: datetime, compress: bool) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


def _manifest_csv(entries: list[Entry]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for entry in entries:
        row = asdict(entry)
        writer.writerow(["" if row[c] is None else row[c] for c in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM lets Excel read UTF-8


@job_handler("archive_export")
def export_archive(ctx: JobContext) -> str:
    """Build the archive bundle of the session `ctx.params["session_id"]`."""
    session = db.session.get(CouncilSession, int(ctx.params["session_id"]))
    if session is None:
        raise DomainError(_("There is no such session."))
    replies = signed_replies(session)
    total = len(replies) + 1
    now = utcnow()
    entries: list[Entry] = []
    notes: list[str] = []
    context = nullcontext() if has_request_context() else current_app.test_request_context()
    with context, ctx.output(".zip") as path, zipfile.ZipFile(path, "w") as bundle:
        for n, reply in enumerate(replies, 1):
            name = pdf_name(reply)
            data, source = _letter_pdf(reply)
            bundle.writestr(_zip_info(name, now, compress=False), data)
            assignment = reply.assignment
            entries.append(
                _entry(
                    name,
                    data,
                    reply.kind.value,
                    number=assignment.proposal.number,
                    unit=assignment.unit.name,
                    round=reply.round,
                    signed_at=moment_text(reply.signed_at),
                    category=reply.category,
                    source=source,
                )
            )
            if source == "rendered":
                notes.append(
                    f"{name}: the signed letter had no stored archival copy; "
                    "this PDF was rendered at export from the letter as signed."
                )
            ctx.progress(n, total, name)
        case_list = list(export_cases(db.session.scalars(case_query(session_id=session.id))))
        cases = dumps_document(case_list).encode("utf-8")
        bundle.writestr(_zip_info(CASES_JSON, now, compress=True), cases)
        entries.append(_entry(CASES_JSON, cases, "cases", source="export"))
        table = _manifest_csv(entries)
        bundle.writestr(_zip_info(MANIFEST_CSV, now, compress=True), table)
        entries.append(_entry(MANIFEST_CSV, table, "manifest", source="export"))
        manifest = {
            "format": BUNDLE_FORMAT,
            "bundle_version": BUNDLE_VERSION,
            "created_at": moment_text(now),
            "session": {
                "council": session.council,
                "term": session.term,
                "meeting": session.meeting,
                "year": session.year,
                "name": session.name,
                "full_name": session.full_name,
            },
            "case_format_version": FORMAT_VERSION,
            "counts": {
                "letters": len(replies),
                "rendered_at_export": sum(e.source == "rendered" for e in entries),
                "cases": len(case_list),
            },
            "notes": notes,
            "files": [asdict(e) for e in entries],
        }
        text = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
        bundle.writestr(_zip_info(MANIFEST_JSON, now, compress=True), text.encode("utf-8"))
        ctx.progress(total, total, MANIFEST_JSON)
    rendered = manifest["counts"]["rendered_at_export"]
    return (
        f"{session.full_name}: {len(replies)} signed letters ({rendered} rendered at export), "
        f"{manifest['counts']['cases']} cases."
    )


# ---- verification ----


def verify_bundle(path: str | Path) -> list[str]:
    """Every problem with the bundle: missing, changed or extra files (empty when intact)."""
    try:
        bundle = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        return [f"{path}: cannot be read as a zip file ({exc})"]
    with bundle:
        names = [i.filename for i in bundle.infolist() if not i.is_dir()]
        problems = [f"{n}: appears more than once in the zip" for n in _duplicates(names)]
        try:
            manifest = json.loads(bundle.read(MANIFEST_JSON).decode("utf-8"))
            files = manifest["files"]
            listed = {f["path"]: f for f in files}
        except KeyError:
            return [*problems, f"{MANIFEST_JSON}: missing, or lists no files"]
        except (ValueError, TypeError, zipfile.BadZipFile) as exc:
            return [*problems, f"{MANIFEST_JSON}: unreadable ({exc})"]
        if manifest.get("format") != BUNDLE_FORMAT:
            problems.append(f"{MANIFEST_JSON}: not an archive bundle manifest")
        present = set(names)
        for name, info in listed.items():
            if name not in present:
                problems.append(f"{name}: missing (listed in the manifest)")
                continue
            try:
                data = bundle.read(name)
            except (zipfile.BadZipFile, OSError, ValueError) as exc:
                problems.append(f"{name}: changed (its data is damaged: {exc})")
                continue
            digest = hashlib.sha256(data).hexdigest()
            if digest != info.get("sha256") or len(data) != info.get("size"):
                problems.append(
                    f"{name}: changed (sha256 {digest}, size {len(data)}; the manifest says "
                    f"{info.get('sha256')}, size {info.get('size')})"
                )
        for name in sorted(present - set(listed) - {MANIFEST_JSON}):
            problems.append(f"{name}: extra (not listed in the manifest)")
    return problems


def _duplicates(names: list[str]) -> list[str]:
    seen: set[str] = set()
    twice = []
    for name in names:
        if name in seen and name not in twice:
            twice.append(name)
        seen.add(name)
    return twice


def manifest_digest(path: str | Path) -> str | None:
    """The SHA-256 of the bundle's manifest.json, to compare with a record kept elsewhere."""
    try:
        with zipfile.ZipFile(path) as bundle:
            return hashlib.sha256(bundle.read(MANIFEST_JSON)).hexdigest()
    except (OSError, KeyError, zipfile.BadZipFile):
        return None
