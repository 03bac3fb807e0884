"""Importing the assignment list: the template, the upload, the preview, the confirmation.

Uploads are kept under instance/uploads (IMPORT_UPLOAD_DIR), outside the web root, under a
random name, with a small JSON note beside each: who uploaded it, into which session, and what
the last preview found. Only the person who uploaded a file (or an administrator) sees it.
"""

from __future__ import annotations

import io
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from tracker.core import permissions
from tracker.core.errors import DomainError
from tracker.directory.models import CouncilSession
from tracker.exchange.columns import COLUMNS, template_workbook
from tracker.exchange.import_forms import ConfirmForm, UploadForm
from tracker.exchange.spreadsheet import import_rows, preview
from tracker.exchange.tabular import FileProblem, check_file
from tracker.extensions import db
from tracker.jobs.registry import LocalContext

import_bp = Blueprint("imports", __name__)

JOB_KIND = "assignments_import"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")


@dataclass
class Upload:
    token: str
    path: Path
    meta: dict[str, Any]

    @property
    def session_id(self) -> int | None:
        return self.meta.get("session_id")

    def save(self) -> None:
        note = self.path.with_suffix(".json")
        temp = note.with_suffix(".json.part")
        temp.write_text(json.dumps(self.meta, ensure_ascii=False))
        temp.replace(note)

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)
        self.path.with_suffix(".json").unlink(missing_ok=True)


def upload_dir() -> Path:
    configured = current_app.config.get("IMPORT_UPLOAD_DIR")
    folder = Path(configured) if configured else Path(current_app.instance_path) / "uploads"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _require_supervisor() -> None:
    # The committee sends the list to the office: supervisors and administrators import it.
    if not permissions.is_supervisor(current_user):
        abort(403)


def _load(token: str) -> Upload:
    if not TOKEN.fullmatch(token):
        abort(404)
    folder = upload_dir()
    try:
        meta = json.loads((folder / f"{token}.json").read_text())
    except (OSError, ValueError):
        abort(404)
    path = folder / f"{token}.{meta.get('kind')}"
    owner = meta.get("user_id") == current_user.id or permissions.is_admin(current_user)
    if not owner or not path.is_file():
        abort(404)
    return Upload(token, path, meta)


def _sessions() -> list[CouncilSession]:
    return list(db.session.scalars(sa.select(CouncilSession).order_by(CouncilSession.year.desc())))


def background_submit() -> Callable | None:
    """The job runner's submit(), where the runner is installed."""
    try:
        from tracker.jobs.services import submit
    except ImportError:
        return None
    return submit


# ---------- pages ----------


@import_bp.get("/imports/template.xlsx")
@login_required
def template():
    _require_supervisor()
    return send_file(
        io.BytesIO(template_workbook()),
        mimetype=XLSX_MIMETYPE,
        as_attachment=True,
        download_name="提案交办清单模板.xlsx",
    )


@import_bp.route("/imports/new", methods=["GET", "POST"])
@login_required
def new():
    _require_supervisor()
    form = UploadForm()
    sessions = _sessions()
    form.session_id.choices = [("", _("Each row's 届次"))] + [
        (str(s.id), s.full_name) for s in sessions
    ]
    if form.validate_on_submit():
        storage = form.file.data
        kind = Path(storage.filename or "").suffix.lower().lstrip(".")
        token = secrets.token_urlsafe(24)
        upload = Upload(token, upload_dir() / f"{token}.{kind}", {})
        storage.save(upload.path)
        try:
            check_file(upload.path, kind)
        except FileProblem as exc:
            upload.discard()
            form.file.errors = [*form.file.errors, str(exc)]
        else:
            chosen = form.session_id.data or ""
            upload.meta = {
                "user_id": current_user.id,
                "kind": kind,
                "filename": (storage.filename or "")[-200:],
                "session_id": int(chosen) if chosen.isdigit() else None,
                "uploaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            upload.save()
            return redirect(url_for("imports.show_preview", token=token), 303)
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return render_template(
        "imports/new.html", form=form, columns=COLUMNS, max_mb=limit // (1024 * 1024)
    )


@import_bp.get("/imports/<token>/preview")
@login_required
def show_preview(token: str):
    _require_supervisor()
    upload = _load(token)
    page = request.args.get("page", "1")
    result = preview(
        upload.path,
        upload.session_id,
        page=int(page) if page.isdigit() else 1,
        kind=upload.meta["kind"],
    )
    upload.meta["checked"] = {
        "total": result.total,
        "problems": result.problem_rows + len(result.file_problems),
    }
    upload.save()
    session = db.session.get(CouncilSession, upload.session_id) if upload.session_id else None
    return render_template(
        "imports/preview.html",
        upload=upload,
        session=session,
        preview=result,
        form=ConfirmForm(formdata=None),
    )


@import_bp.post("/imports/<token>/confirm")
@login_required
def confirm(token: str):
    _require_supervisor()
    upload = _load(token)
    back = url_for("imports.show_preview", token=token)
    if not ConfirmForm().validate():
        flash(_("The request was incomplete; nothing changed."), "error")
        return redirect(back, 303)
    if upload.meta.get("job_id"):
        return redirect(_job_page(upload.meta["job_id"]), 303)
    checked = upload.meta.get("checked") or {}
    if checked.get("problems", 1) or not checked.get("total"):
        flash(
            _("The preview found problems: correct the file and upload it again. Nothing changed."),
            "error",
        )
        return redirect(back, 303)
    params = {
        "path": str(upload.path),
        "session_id": upload.session_id,
        "user_id": current_user.id,
        "total": checked["total"],
    }
    submit = background_submit()
    if submit is not None:
        try:
            job = submit(JOB_KIND, params, current_user)
        except DomainError as exc:
            flash(str(exc), "error")
            return redirect(back, 303)
        upload.meta["job_id"] = job.id
        upload.save()
        flash(_("The import has started; this page shows how far it has got."), "success")
        return redirect(_job_page(job.id), 303)

    context = LocalContext(
        params=params, output_dir=Path(current_app.config["JOBS_DIR"]), user_id=current_user.id
    )
    try:
        summary = import_rows(context)
    except DomainError as exc:
        db.session.rollback()
        flash(_("Nothing was imported: %(error)s", error=str(exc)), "error")
        return redirect(back, 303)
    db.session.commit()
    upload.discard()
    flash(summary, "success")
    args = {"session": upload.session_id} if upload.session_id else {}
    return redirect(url_for("proposals.index", **args), 303)


def _job_page(job_id: str) -> str:
    try:
        return url_for("jobs.show", job_id=job_id)
    except BuildError:  # the runner without its pages
        return url_for("proposals.index")
