"""The dashboard's tables as sheets: one builder per table, each computing only what it shows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from tracker.contacts.models import Rating
from tracker.core.settings import get_setting
from tracker.proposals.models import AssignmentRole, CaseType
from tracker.reports.exports import Sheet, cn_label, percent
from tracker.reports.stats import (
    SessionStats,
    replies_per_month,
    session_stats,
    unit_stats,
)

UNCATEGORISED = "未标注"
TOTAL = "合计"


def overview_sheet(stats: SessionStats) -> Sheet:
    role = stats.by_role.get
    rows = [
        ("届次", stats.session_name),
        ("统计日期", stats.today),
        ("收到提案（件）", stats.received),
        ("其中：政协提案", stats.received_by_type.get(CaseType.PROPOSAL, 0)),
        ("其中：人大代表建议", stats.received_by_type.get(CaseType.SUGGESTION, 0)),
        ("重点提案", stats.key_count),
        ("已交办", stats.assigned),
        ("主办", role(AssignmentRole.LEAD, 0)),
        ("分办", role(AssignmentRole.SPLIT, 0)),
        ("独办", role(AssignmentRole.SOLE, 0)),
        ("会办", role(AssignmentRole.CO, 0)),
        ("退回（撤销交办）", stats.withdrawn),
        ("应答复（主办、分办、独办）", stats.assignments),
        ("已答复", stats.replied),
        ("答复率", percent(stats.reply_rate)),
        ("按时答复", stats.on_time),
        ("逾期答复", stats.late),
        ("按时答复率", percent(stats.on_time_rate)),
        ("尚未答复", stats.pending),
        ("已超期未办结", stats.overdue),
        ("即将到期", stats.due_soon),
        ("委员反馈（份）", stats.feedback_total),
        ("满意率（含基本满意）", percent(stats.satisfaction_rate)),
    ]
    return Sheet("总体情况", ["项目", "数值"], rows)


def categories_sheet(stats: SessionStats) -> Sheet:
    definitions = {
        str(c["code"]): c.get("definition", "") for c in get_setting("result_categories")
    }
    rows = [
        (f"{code}类", definitions.get(code, ""), n, percent(stats.category_rate(code)))
        for code, n in stats.categories.items()
    ]
    if stats.uncategorised:
        rows.append((UNCATEGORISED, "已签发答复未标注评估类别", stats.uncategorised, None))
    rows.append((TOTAL, "", stats.category_total, percent(1.0 if stats.category_total else None)))
    return Sheet("评估类别", ["类别", "含义", "件数", "占比"], rows)


def feedback_sheet(stats: SessionStats) -> Sheet:
    rows = [(cn_label(r), stats.feedback.get(r, 0), percent(stats.rating_rate(r))) for r in Rating]
    rows.append((TOTAL, stats.feedback_total, percent(1.0 if stats.feedback_total else None)))
    return Sheet("满意度", ["评价", "份数", "占比"], rows)


def key_sheet(stats: SessionStats) -> Sheet:
    rows = []
    for p in stats.key_proposals:
        for u in p.units or [None]:
            if u is None:
                rows.append((p.number, p.title, None, None, None, None, None, None))
            else:
                rows.append(
                    (
                        p.number,
                        p.title,
                        u.unit_name,
                        u.role,
                        u.status,
                        u.due_on,
                        u.replied_on,
                        u.due_state,
                    )
                )
    headers = ["编号", "案由", "承办单位", "办理方式", "状态", "办理期限", "首次答复日期", "期限"]
    return Sheet("重点提案", headers, rows)


def units_sheet(session_id: int, today: date) -> Sheet:
    units = unit_stats(session_id, today)
    codes = list(units[0].categories) if units else []
    for u in units[1:]:
        codes += [c for c in u.categories if c not in codes]
    uncategorised = any(u.uncategorised for u in units)
    headers = [
        "承办单位",
        "收到",
        "重点",
        "主办",
        "分办",
        "独办",
        "会办",
        "退回",
        "应答复",
        "已答复",
        "答复率",
        "按时答复",
        "逾期答复",
        "按时答复率",
        "已超期未办结",
        "即将到期",
        *(f"{code}类" for code in codes),
        *([UNCATEGORISED] if uncategorised else []),
        *(cn_label(r) for r in Rating),
        "满意率",
    ]
    rows = []
    for u in units:
        rows.append(
            [
                u.unit_name,
                u.received,
                u.key_count,
                u.by_role.get(AssignmentRole.LEAD, 0),
                u.by_role.get(AssignmentRole.SPLIT, 0),
                u.by_role.get(AssignmentRole.SOLE, 0),
                u.by_role.get(AssignmentRole.CO, 0),
                u.withdrawn,
                u.assignments,
                u.replied,
                percent(u.reply_rate),
                u.on_time,
                u.late,
                percent(u.on_time_rate),
                u.overdue,
                u.due_soon,
                *(u.categories.get(code, 0) for code in codes),
                *([u.uncategorised] if uncategorised else []),
                *(u.feedback.get(r, 0) for r in Rating),
                percent(u.satisfaction_rate),
            ]
        )
    return Sheet("各单位办理情况", headers, rows)


def months_sheet(session_id: int) -> Sheet:
    rows = [(m.month, m.replied, m.due) for m in replies_per_month(session_id)]
    return Sheet("按月答复", ["月份", "答复件数", "到期件数"], rows)


def _from_stats(build: Callable[[SessionStats], Sheet]) -> Callable[[int, date], Sheet]:
    return lambda session_id, today: build(session_stats(session_id, today))


# name (the ?table= of the CSV export) -> builder(session_id, today)
TABLES: dict[str, Callable[[int, date], Sheet]] = {
    "overview": _from_stats(overview_sheet),
    "units": units_sheet,
    "categories": _from_stats(categories_sheet),
    "feedback": _from_stats(feedback_sheet),
    "months": lambda session_id, _today: months_sheet(session_id),
    "key": _from_stats(key_sheet),
}


def dashboard_sheets(session_id: int, today: date) -> list[Sheet]:
    """Every dashboard table, the session's figures computed once."""
    stats = session_stats(session_id, today)
    return [
        overview_sheet(stats),
        units_sheet(session_id, today),
        categories_sheet(stats),
        feedback_sheet(stats),
        months_sheet(session_id),
        key_sheet(stats),
    ]
