"""The letter's wording and result categories, as an administrator sets them."""

from __future__ import annotations

import string
from typing import Any

from flask_babel import lazy_gettext as _l

from tracker.core.audit import record
from tracker.core.errors import DomainError
from tracker.core.settings import Setting, get_setting, set_setting
from tracker.extensions import db
from tracker.replies.models import LetterShape

PLACEHOLDERS = {"unit", "council", "session", "number", "case", "title"}
TEMPLATED = ("title", "co_title", "opening", "co_opening")
PLAIN = (
    "attachment_marker",
    "closing",
    "co_closing",
    "process_heading",
    "category_heading",
)


def _check_template(name: str, text: str) -> None:
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
    except ValueError:
        raise DomainError(_l("Unbalanced braces { } in this text."), field=name) from None
    unknown = fields - PLACEHOLDERS
    if unknown:
        raise DomainError(
            _l(
                "Unknown placeholder %(names)s; use %(known)s.",
                names=", ".join(sorted("{" + u + "}" for u in unknown)),
                known=", ".join("{" + p + "}" for p in sorted(PLACEHOLDERS)),
            ),
            field=name,
        )


def parse_categories(text: str) -> list[dict[str, str]]:
    """One category a line, "A：definition" (a full- or half-width colon)."""
    categories = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        code, sep, definition = line.replace("：", ":", 1).partition(":")
        code, definition = code.strip(), definition.strip()
        if not sep or not code or not definition or len(code) > 4:
            raise DomainError(
                _l("Write each category as “A：definition” on its own line."), field="categories"
            )
        categories.append({"code": code, "definition": definition})
    codes = [c["code"] for c in categories]
    if len(categories) < 2:
        raise DomainError(_l("Give at least two categories."), field="categories")
    if len(set(codes)) != len(codes):
        raise DomainError(_l("Each category code may appear once."), field="categories")
    return categories


def save_letter_settings(actor: Any, values: dict[str, Any], categories_text: str) -> bool:
    """Validate and store the wording; return whether anything changed (audited once)."""
    letter = dict(get_setting("letter"))
    for name in TEMPLATED + PLAIN:
        text = (values.get(name) or "").strip()
        if name in TEMPLATED:
            if not text:
                raise DomainError(_l("This text cannot be empty."), field=name)
            _check_template(name, text)
        if len(text) > 300:
            raise DomainError(
                _l("This text is too long (at most %(n)d characters).", n=300), field=name
            )
        letter[name] = text
    shape = values.get("default_shape")
    if shape not in (LetterShape.TABLE.value, LetterShape.PROSE.value):
        raise DomainError(_l("Choose a layout."), field="default_shape")
    letter["default_shape"] = shape
    letter["table_headers"] = [
        (values.get("table_header_left") or "").strip() or "意见建议",
        (values.get("table_header_right") or "").strip() or "办理答复",
    ]
    letter["disclosure_sentences"] = {
        key: (values.get(f"disclosure_{key}") or "").strip()
        for key in ("public", "not_public", "partial")
    }
    categories = parse_categories(categories_text)
    old = {"letter": get_setting("letter"), "result_categories": get_setting("result_categories")}
    changed_letter = set_setting("letter", letter)
    changed_categories = set_setting("result_categories", categories)
    if not (changed_letter or changed_categories):
        return False
    db.session.flush()
    changes = {}
    if changed_letter:
        changes["letter"] = [old["letter"], letter]
    if changed_categories:
        changes["result_categories"] = [old["result_categories"], categories]
    record(
        actor,
        "settings.updated",
        db.session.get(Setting, "letter"),
        changes=changes,
        summary="letter wording",
    )
    return True
