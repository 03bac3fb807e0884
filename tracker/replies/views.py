"""Letter pages: start, draft (with row operations), preview, submit, review, PDF, versions."""

from __future__ import annotations

import difflib

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker.core import permissions
from tracker.core.errors import DomainError, StaleEdit
from tracker.core.settings import get_setting
from tracker.documents.storage import ArchiveError
from tracker.extensions import db
from tracker.proposals.models import Assignment, AssignmentRole
from tracker.replies import queries, services
from tracker.replies.forms import LetterForm, ReviewForm
from tracker.replies.letter import PART_FIELDS, letter_content
from tracker.replies.models import Disclosure, LetterKind, LetterShape, Reply

bp = Blueprint("replies", __name__)


def _load(reply_id: int) -> Reply:
    reply = queries.letter_for_page(reply_id)
    if reply is None or not permissions.can_view_proposal(current_user, reply.assignment.proposal):
        abort(404)
    return reply


def _may_edit(reply: Reply) -> bool:
    return reply.status.editable and permissions.works_for(current_user, reply.assignment.unit_id)


@bp.post("/assignments/<int:assignment_id>/letter")
@login_required
def start(assignment_id: int):
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or not permissions.can_view_proposal(current_user, assignment.proposal):
        abort(404)
    if not permissions.works_for(current_user, assignment.unit_id):
        abort(403)
    existing = services.current_reply(assignment)
    if existing is not None:
        return redirect(url_for("replies.edit", reply_id=existing.id)), 303
    try:
        reply = services.start_reply(current_user, assignment)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("proposals.show", proposal_id=assignment.proposal_id)), 303
    db.session.commit()
    return redirect(url_for("replies.edit", reply_id=reply.id)), 303


def _form_for(reply: Reply) -> LetterForm:
    categories = get_setting("result_categories")
    if request.method == "POST":
        return LetterForm(categories=categories)
    data = {name: getattr(reply, name) for name in PART_FIELDS}
    data["disclosure"] = reply.disclosure.value
    data["category"] = reply.category or ""
    data["shape"] = reply.shape.value
    data["version"] = reply.version_id
    data["items"] = [
        {
            "suggestion": i.suggestion,
            "answer": i.answer,
            "promise": i.promise,
            "promise_due_on": i.promise_due_on,
            "promise_owner": i.promise_owner,
        }
        for i in reply.items
    ]
    return LetterForm(data=data, categories=categories)


def _rows_from(form: LetterForm) -> list[tuple]:
    return [
        (
            e.form.suggestion.data or "",
            e.form.answer.data or "",
            e.form.promise.data or "",
            e.form.promise_due_on.data,
            e.form.promise_owner.data or "",
        )
        for e in form.items.entries
    ]


def _draft_from(form: LetterForm, rows: list[tuple]) -> services.LetterDraft:
    parts = {name: getattr(form, name).data for name in PART_FIELDS}
    shape = form.shape.data
    return services.LetterDraft(
        parts=parts,
        items=[services.ItemData(*row) for row in rows],
        shape=LetterShape(shape) if shape in {s.value for s in LetterShape} else None,
    )


def _merge(first: tuple, second: tuple) -> tuple:
    merged = []
    for x, y in zip(first, second, strict=True):
        if isinstance(x, str) or isinstance(y, str):
            merged.append("\n".join(v for v in (x, y) if v))
        else:
            merged.append(x if x is not None else y)
    return tuple(merged)


def apply_row_operation(rows: list[tuple], op: str) -> list[tuple]:
    """add / remove-N / merge-N (with the next row) / up-N / down-N on the item rows."""
    rows = list(rows)
    name, _, index = op.partition("-")
    if name == "add":
        width = len(rows[0]) if rows else 2
        return rows + [tuple(None if n == 3 else "" for n in range(width))]
    if not index.isdigit() or int(index) >= len(rows):
        return rows
    i = int(index)
    if name == "remove" and len(rows) > 1:
        del rows[i]
    elif name == "merge" and i + 1 < len(rows):
        rows[i : i + 2] = [_merge(rows[i], rows[i + 1])]
    elif name == "up" and i > 0:
        rows[i - 1], rows[i] = rows[i], rows[i - 1]
    elif name == "down" and i + 1 < len(rows):
        rows[i], rows[i + 1] = rows[i + 1], rows[i]
    return rows


def _render_edit(reply: Reply, form: LetterForm, status: int = 200, conflict=None):
    proposal = reply.assignment.proposal
    opinions = []
    if reply.assignment.role is not AssignmentRole.CO:
        opinions = queries.co_opinions(proposal)
    return (
        render_template(
            "replies/edit.html",
            reply=reply,
            form=form,
            proposal=proposal,
            opinions=opinions,
            editable=_may_edit(reply),
            review_form=ReviewForm(formdata=None, categories=get_setting("result_categories")),
            problems=services.submission_problems(reply) if reply.status.editable else [],
            LetterKind=LetterKind,
            conflict=conflict,
        ),
        status,
    )


@bp.route("/letters/<int:reply_id>", methods=["GET", "POST"])
@login_required
def edit(reply_id: int):
    reply = _load(reply_id)
    form = _form_for(reply)
    if request.method == "GET" or not _may_edit(reply):
        if request.method == "POST":
            abort(403)
        return _render_edit(reply, form)
    rows = _rows_from(form)
    op = request.form.get("op", "")
    if op:
        rows = apply_row_operation(rows, op)
    if not form.validate():
        return _render_edit(reply, _with_rows(form, rows), 422)
    version = int(form.version.data) if (form.version.data or "").isdigit() else None
    try:
        services.save_draft(current_user, reply, _draft_from(form, rows), version=version)
        if request.form.get("submit_after") == "1":
            services.submit_reply(current_user, reply)
    except StaleEdit as exc:
        db.session.rollback()
        reply = _load(reply_id)
        flash(str(exc), "error")
        mine = _posted_content(reply, form, rows)
        conflict = compare_contents(letter_content(reply), mine)
        for row in conflict:
            row["label"] = _part_label(row["label"])
        form.version.data = reply.version_id  # saving again now is a deliberate choice
        return _render_edit(reply, _with_rows(form, rows), 409, conflict=conflict)
    except DomainError as exc:
        db.session.rollback()
        reply = _load(reply_id)
        target = getattr(form, exc.field, None) if exc.field else None
        if target is not None and exc.field != "items":
            target.errors = list(target.errors) + [str(exc)]
        else:
            flash(str(exc), "error")
        return _render_edit(reply, _with_rows(form, rows), 422)
    db.session.commit()
    if request.form.get("submit_after") == "1":
        flash(_("The letter has been submitted for review."), "success")
    elif not op:
        flash(_("Draft saved."), "success")
    return redirect(url_for("replies.edit", reply_id=reply.id) + ("#items" if op else "")), 303


def _posted_content(reply: Reply, form: LetterForm, rows: list[tuple]) -> dict:
    """The letter as this user's form has it, for comparing with the saved one."""
    content = letter_content(reply)
    for name in PART_FIELDS:
        value = getattr(form, name).data
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        content["parts"][name] = value if value is not None else ""
    content["items"] = [{"suggestion": row[0], "answer": row[1]} for row in rows]
    return content


def _with_rows(form: LetterForm, rows: list[tuple]) -> LetterForm:
    while len(form.items.entries) < len(rows):
        form.items.append_entry()
    while len(form.items.entries) > max(len(rows), 1):
        form.items.pop_entry()
    names = ("suggestion", "answer", "promise", "promise_due_on", "promise_owner")
    for entry, row in zip(form.items.entries, rows, strict=False):
        for name, value in zip(names, row, strict=False):
            getattr(entry.form, name).data = value
    return form


@bp.post("/letters/<int:reply_id>/submit")
@login_required
def submit(reply_id: int):
    reply = _load(reply_id)
    if not permissions.works_for(current_user, reply.assignment.unit_id):
        abort(403)
    try:
        services.submit_reply(current_user, reply)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("The letter has been submitted for review."), "success")
    return redirect(url_for("replies.edit", reply_id=reply_id)), 303


@bp.post("/letters/<int:reply_id>/review")
@login_required
def review(reply_id: int):
    reply = _load(reply_id)
    if not permissions.can_review_letter(current_user):
        abort(403)
    form = ReviewForm(categories=get_setting("result_categories"))
    decision = form.decision.data
    try:
        if decision == "return":
            services.return_reply(current_user, reply, form.comment.data or "")
            message = _("The letter has been returned to the clerk.")
        elif decision == "sign":
            services.sign_reply(current_user, reply, category=form.category.data or None)
            message = _("Signed off. The archival PDF has been stored.")
        else:
            abort(400)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(url_for("replies.edit", reply_id=reply_id)), 303


@bp.get("/letters/<int:reply_id>/preview")
@login_required
def preview(reply_id: int):
    reply = _load(reply_id)
    return services.render_letter_html(reply, screen=True)


@bp.post("/letters/<int:reply_id>/preview")
@login_required
def preview_unsaved(reply_id: int):
    """The letter as the form now stands, unsaved (the drafting page's live preview)."""
    reply = _load(reply_id)
    if not _may_edit(reply):
        abort(403)
    form = LetterForm(categories=get_setting("result_categories"))
    form.validate()  # the preview shows what was typed, valid or not
    content = letter_content(reply)
    for name in PART_FIELDS:
        value = getattr(form, name).data
        if name == "letter_date":
            value = value.isoformat() if value else None
        elif name == "disclosure" and value not in {d.value for d in Disclosure}:
            value = reply.disclosure.value
        elif name == "category" and value not in services.category_codes():
            value = None
        content["parts"][name] = value if value is not None else ""
    if (
        form.shape.data in (LetterShape.TABLE.value, LetterShape.PROSE.value)
        and reply.kind is LetterKind.REPLY
    ):
        content["shape"] = form.shape.data
    content["items"] = [
        {"suggestion": e.form.suggestion.data or "", "answer": e.form.answer.data or ""}
        for e in form.items.entries
    ]
    return services.render_letter_html(reply, content, screen=True)


@bp.get("/letters/<int:reply_id>/pdf")
@login_required
def pdf(reply_id: int):
    reply = _load(reply_id)
    try:
        data, name = services.letter_pdf(reply)
    except ArchiveError:
        # Never hand out a file that is not what was signed; the log says which.
        current_app.logger.error("archived PDF of letter %s failed its check", reply.id)
        abort(500)
    return Response(
        data,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": _disposition(name, inline=request.args.get("download") != "1")
        },
    )


@bp.get("/letters/<int:reply_id>/docx")
@login_required
def docx(reply_id: int):
    """The same letter as a Word document, for clerks who finish it in Word or WPS."""
    from tracker.documents.docx import letter_docx

    reply = _load(reply_id)
    content = (
        reply.revisions[-1].content
        if reply.is_signed and reply.revisions
        else letter_content(reply)
    )
    name = f"{reply.assignment.proposal.number}-{reply.signing_unit}-答复函.docx"
    return Response(
        letter_docx(content),
        mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        headers={"Content-Disposition": _disposition(name, inline=False, fallback="letter.docx")},
    )


def _disposition(filename: str, inline: bool = True, fallback: str = "letter.pdf") -> str:
    from urllib.parse import quote

    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


@bp.get("/letters/<int:reply_id>/versions")
@login_required
def versions(reply_id: int):
    reply = _load(reply_id)
    revisions = reply.revisions
    numbers = [r.number for r in revisions]
    a = request.args.get("a", type=int)
    b = request.args.get("b", type=int)
    comparison = None
    if revisions:
        a = a if a in numbers else (numbers[-2] if len(numbers) > 1 else numbers[-1])
        b = b if b in numbers else numbers[-1]
        left = next(r for r in revisions if r.number == a)
        right = next(r for r in revisions if r.number == b)
        comparison = compare_contents(left.content, right.content)
        for row in comparison:
            row["label"] = _part_label(row["label"])
    current = letter_content(reply)
    return render_template(
        "replies/versions.html",
        reply=reply,
        revisions=revisions,
        a=a,
        b=b,
        comparison=comparison,
        current=current,
    )


def _part_label(key: str) -> str:
    """The form's label for a part; "item2.answer" reads "Answer 2"."""
    if key.startswith("item"):
        number, _dot, kind = key[4:].partition(".")
        n = int(number)
        return _("Suggestion %(n)d", n=n) if kind == "suggestion" else _("Answer %(n)d", n=n)
    field = getattr(LetterForm, key, None)
    return str(field.args[0]) if field is not None and field.args else key


def compare_contents(left: dict, right: dict) -> list[dict]:
    """Side-by-side rows for every part and item that differs, with changed spans marked."""
    rows = []

    def add(label: str, old: str, new: str) -> None:
        old, new = old or "", new or ""
        if old == new:
            return
        matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
        left_spans, right_spans = [], []
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            left_spans.append((tag != "equal", old[i1:i2]))
            right_spans.append((tag != "equal", new[j1:j2]))
        rows.append({"label": label, "left": left_spans, "right": right_spans})

    for name in PART_FIELDS:
        add(name, str(left["parts"].get(name) or ""), str(right["parts"].get(name) or ""))
    count = max(len(left["items"]), len(right["items"]))
    for n in range(count):
        li = left["items"][n] if n < len(left["items"]) else {"suggestion": "", "answer": ""}
        ri = right["items"][n] if n < len(right["items"]) else {"suggestion": "", "answer": ""}
        add(f"item{n + 1}.suggestion", li["suggestion"], ri["suggestion"])
        add(f"item{n + 1}.answer", li["answer"], ri["answer"])
    return rows


@bp.route("/admin/letters", methods=["GET", "POST"])
@login_required
def settings():
    from tracker.replies.forms import LetterSettingsForm
    from tracker.replies.settings import save_letter_settings

    if not permissions.can_administer(current_user):
        abort(403)
    letter = get_setting("letter")
    if request.method == "GET":
        data = {k: v for k, v in letter.items() if isinstance(v, str)}
        data["table_header_left"], data["table_header_right"] = letter["table_headers"]
        for key, text in letter["disclosure_sentences"].items():
            data[f"disclosure_{key}"] = text
        data["categories"] = "\n".join(
            f"{c['code']}：{c['definition']}" for c in get_setting("result_categories")
        )
        form = LetterSettingsForm(data=data)
    else:
        form = LetterSettingsForm()
    if form.validate_on_submit():
        try:
            changed = save_letter_settings(current_user, form.data, form.categories.data)
        except DomainError as exc:
            db.session.rollback()
            target = getattr(form, exc.field, None) if exc.field else None
            if target is not None:
                target.errors = list(target.errors) + [str(exc)]
            else:
                flash(str(exc), "error")
        else:
            db.session.commit()
            flash(
                _("Saved. New letters use the new wording.") if changed else _("Nothing changed."),
                "success",
            )
            return redirect(url_for("replies.settings")), 303
    return render_template("replies/settings.html", form=form), 200 if not form.errors else 422
