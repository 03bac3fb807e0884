"""A job's page with its live progress bar, its status as JSON, its output, and retrying it."""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker.core.errors import DomainError
from tracker.extensions import db
from tracker.jobs import services
from tracker.jobs.models import Job

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

_JOB_ID = re.compile(r"[0-9a-f]{32}")


def _load(job_id: str) -> Job:
    """The job, or 404: for a job you may not see exactly as for one that does not exist."""
    job = db.session.get(Job, job_id) if _JOB_ID.fullmatch(job_id) else None
    if job is None or not job.visible_to(current_user):
        abort(404)
    return job


def _has_file(job: Job) -> bool:
    try:
        return services.job_file(job).is_file()
    except LookupError:
        return False


@bp.get("/<job_id>")
@login_required
def show(job_id: str):
    job = _load(job_id)
    return render_template("jobs/show.html", job=job, has_file=_has_file(job))


@bp.get("/<job_id>.json")
@login_required
def status(job_id: str):
    job = _load(job_id)
    response = jsonify(
        id=job.id,
        kind=job.kind,
        label=job.label,
        status=job.status.value,
        status_label=job.status.label,
        finished=job.status.finished,
        stale=job.is_stale(),
        done=job.progress_done,
        total=job.progress_total,
        percent=job.percent,
        message=job.message,
        summary=job.summary,
        error=job.error,
        attempts=job.attempts,
        download_url=url_for("jobs.download", job_id=job.id) if _has_file(job) else None,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<job_id>/download")
@login_required
def download(job_id: str):
    job = _load(job_id)
    if not _has_file(job):
        abort(404)
    path = services.job_file(job)
    suffix = path.name[len(job.id) :]
    response = send_file(
        path, as_attachment=True, download_name=f"{job.kind}-{job.id[:8]}{suffix}", max_age=0
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/<job_id>/retry")
@login_required
def retry(job_id: str):
    job = _load(job_id)
    try:
        services.retry(job, current_user)
    except DomainError as exc:
        flash(str(exc), "error")
    else:
        flash(_("The job is running again."), "success")
    return redirect(url_for("jobs.show", job_id=job.id))
