"""Settings an administrator can change without touching code, with defaults in code."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import g, has_app_context
from sqlalchemy.orm import Mapped, mapped_column

from tracker.core.models import TimestampMixin
from tracker.extensions import db

# Shenzhen's practice is the default everywhere a rule differs between places.
DEFAULTS: dict[str, Any] = {
    "bureau_name": "深圳市某某局",
    "reply_deadline": {"amount": 3, "unit": "months"},
    "co_opinion_deadline": {"amount": 1, "unit": "months"},
    "return_window": {"amount": 10, "unit": "days"},
    "rehandling_deadline": {"amount": 3, "unit": "months"},
    "extension_limit": {"amount": 6, "unit": "months"},
    "due_soon_working_days": 10,
    # A reply cannot go to review before the proposer has been contacted.
    "contact_required": True,
    # Some places reopen the case on 基本满意 too, not only on 不满意.
    "rehandle_on_basically_satisfied": False,
    # The letter's fixed phrases; {placeholders} are filled from the case.
    "letter": {
        "default_shape": "table",
        "attachment_marker": "附件1",
        "title": "{unit}关于{council}{session}第{number}号{case}的答复函",
        "co_title": "{unit}关于{council}{session}第{number}号{case}协办件的答复",
        "opening": "《{title}》收悉，现就{case}办理有关情况答复如下：",
        "co_opening": "《{title}》收悉，经认真研究，现将我单位协办意见函复如下：",
        "closing": "专此答复。",
        "co_closing": "此复。",
        "process_heading": "一、办理过程及其他需要说明的情况",
        "category_heading": "二、办理实效评估类别",
        "table_headers": ["意见建议", "办理答复"],
        "disclosure_sentences": {
            "public": "本答复内容可公开。",
            "not_public": "本答复内容不予公开。",
            "partial": "本答复内容可部分公开。",
        },
        "header_disclosure": {
            "public": "同意公开",
            "not_public": "不予公开",
            "partial": "部分公开",
        },
    },
    # Shenzhen's four result categories (办理实效评估类别), printed on every letter.
    "result_categories": [
        {"code": "A", "definition": "提案所提问题已经解决或基本解决"},
        {"code": "B", "definition": "提案所提问题正在解决或已列入计划准备解决"},
        {"code": "C", "definition": "提案所提问题因受目前条件限制或其他原因需以后研究解决"},
        {"code": "D", "definition": "留作参考"},
    ],
}


class Setting(TimestampMixin, db.Model):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(sa.JSON)


def get_setting(key: str) -> Any:
    """Return the stored value of `key`, or its default (cached for the request)."""
    cache = _cache()
    if key not in cache:
        row = db.session.get(Setting, key)
        cache[key] = row.value if row is not None else DEFAULTS[key]
    return cache[key]


def set_setting(key: str, value: Any) -> bool:
    """Store `value` for `key`; return whether it changed. The caller audits and commits."""
    if key not in DEFAULTS:
        raise KeyError(key)
    old = get_setting(key)
    row = db.session.get(Setting, key)
    if row is None:
        db.session.add(Setting(key=key, value=value))
    else:
        row.value = value
    _cache()[key] = value
    return old != value


def _cache() -> dict[str, Any]:
    if not has_app_context():
        return {}
    if "tracker_settings" not in g:
        g.tracker_settings = {}
    return g.tracker_settings
