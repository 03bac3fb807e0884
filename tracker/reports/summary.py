"""The session summary in the words of a bureau's yearly report: generated, then editable.

The text is Chinese data (the paragraph the bureau files), not an interface string.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from tracker.contacts.models import Rating
from tracker.core.audit import record
from tracker.core.errors import DomainError
from tracker.directory.models import CouncilSession
from tracker.documents.text import clean_text
from tracker.extensions import db
from tracker.proposals.models import AssignmentRole, CaseType
from tracker.reports.models import SessionSummary
from tracker.reports.stats import SessionStats, session_stats

MAX_LENGTH = 20_000
ROLE_WORDS = (
    (AssignmentRole.LEAD, "主办"),
    (AssignmentRole.SPLIT, "分办"),
    (AssignmentRole.SOLE, "独办"),
    (AssignmentRole.CO, "会办"),
)


def pct(part: int, whole: int) -> str:
    """74.8: a share in percent with one decimal, rounded half up (0.0 when whole is 0)."""
    if not whole:
        return "0.0"
    value = Decimal(part) * 100 / Decimal(whole)
    return str(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def cn_day(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _received(stats: SessionStats) -> str:
    proposals = stats.received_by_type.get(CaseType.PROPOSAL, 0)
    suggestions = stats.received_by_type.get(CaseType.SUGGESTION, 0)
    if proposals and suggestions:
        what = f"提案{proposals}件、建议{suggestions}件"
    elif suggestions:
        what = f"建议{suggestions}件"
    else:
        what = f"提案{proposals}件"
    sentence = f"{stats.session_name}期间，我局共承办{what}"
    parts = [f"{word}{n}件" for role, word in ROLE_WORDS if (n := stats.by_role.get(role, 0))]
    if parts:
        sentence += "，其中" + "、".join(parts)
    if stats.key_count:
        sentence += f"；重点提案{stats.key_count}件"
    sentence += "。"
    if stats.withdrawn:
        sentence += f"经申请退回（调整）{stats.withdrawn}件。"
    return sentence


def _replies(stats: SessionStats) -> str:
    owed, replied, on_time = stats.assignments, stats.replied, stats.on_time
    if not owed:
        return ""
    head = f"截至{cn_day(stats.today)}，"
    if replied == owed and on_time == replied:
        text = f"{head}应答复的{owed}件已全部按时办结答复。"
    elif replied == owed:
        text = (
            f"{head}应答复的{owed}件已全部答复，其中按时答复{on_time}件，"
            f"按时答复率{pct(on_time, replied)}%。"
        )
    elif replied:
        text = (
            f"{head}应答复的{owed}件中已答复{replied}件，答复率{pct(replied, owed)}%，"
            f"其中按时答复{on_time}件，按时答复率{pct(on_time, replied)}%；"
            f"尚在办理{stats.pending}件。"
        )
    else:
        text = f"{head}应答复的{owed}件均在办理中。"
    if stats.overdue:
        text += f"目前超过办理期限尚未答复的有{stats.overdue}件，正在加紧督办。"
    return text


def _categories(stats: SessionStats) -> str:
    total = stats.category_total
    if not stats.assignments:
        return ""
    if not total:
        return "目前尚无已签发的答复，暂无办理实效评估类别统计。"
    parts = [f"{code}类{n}件，占{pct(n, total)}%" for code, n in stats.categories.items()]
    text = f"从办理实效评估类别看，{'；'.join(parts)}。"
    if stats.uncategorised:
        text += f"另有{stats.uncategorised}件答复未标注评估类别。"
    return text


def _feedback(stats: SessionStats) -> str:
    total = stats.feedback_total
    if not stats.assignments:
        return ""
    if not total:
        return "目前尚未收到委员的反馈意见。"
    f = stats.feedback
    happy = f[Rating.SATISFIED] + f[Rating.BASICALLY_SATISFIED]
    return (
        f"共收到委员反馈意见{total}份，委员对办理工作表示满意的{f[Rating.SATISFIED]}份、"
        f"基本满意的{f[Rating.BASICALLY_SATISFIED]}份、不满意的{f[Rating.DISSATISFIED]}份，"
        f"满意率（含基本满意）为{pct(happy, total)}%。"
    )


def summary_text(stats: SessionStats) -> str:
    """The paragraph for these figures."""
    if not stats.received:
        return f"{stats.session_name}期间，我局暂未承办提案。"
    return "".join((_received(stats), _replies(stats), _categories(stats), _feedback(stats)))


def generate_summary(session_id: int, today: date) -> str:
    """The session's summary paragraph from its figures as of `today`."""
    return summary_text(session_stats(session_id, today))


def saved_summary(session_id: int) -> SessionSummary | None:
    return db.session.scalar(
        sa.select(SessionSummary).where(SessionSummary.session_id == session_id)
    )


def save_summary(actor: Any, session: CouncilSession, text: str) -> SessionSummary:
    """Store the edited summary of a session (audited); an unchanged text records nothing."""
    text = clean_text(text)
    if not text:
        raise DomainError(_l("The summary cannot be empty."), field="text")
    if len(text) > MAX_LENGTH:
        raise DomainError(
            _l("The summary is too long (at most %(n)d characters).", n=MAX_LENGTH), field="text"
        )
    summary = saved_summary(session.id)
    old = summary.text if summary is not None else None
    if old == text:
        return summary
    if summary is None:
        summary = SessionSummary(session_id=session.id, text=text)
        db.session.add(summary)
    summary.text = text
    summary.edited_by_id = getattr(actor, "id", None)
    db.session.flush()
    record(
        actor,
        "summary.saved",
        summary,
        summary=session.full_name,
        changes={"text": [old, text]},
    )
    return summary
