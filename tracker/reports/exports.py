"""Excel (.xlsx) and CSV writers, and the rows of the case list export.

The files are documents a bureau files and forwards, so their headers and values are Chinese
whatever language the interface is in: enums print as the words on paper (主办, 已答复, 满意),
not as the interface's translated labels.
"""

from __future__ import annotations

import csv
import enum
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import chain, islice
from typing import Any

import sqlalchemy as sa
from flask import has_app_context
from flask_babel import force_locale
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from tracker.contacts.models import Rating
from tracker.deadlines.services import DueState, due_soon_limit
from tracker.extensions import db
from tracker.proposals.models import Assignment, AssignmentRole, CaseType, ProposalKind
from tracker.proposals.queries import ProposalFilters
from tracker.proposals.workflow import PENDING_REPLY, AssignmentStatus
from tracker.reports.aggregates import categories_for, ratings_for

BATCH = 1000  # rows fetched (and eagerly loaded) at a time
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
PERCENT_FORMAT = "0.0%"
WIDTH_SAMPLE = 500  # rows looked at to size the columns before streaming the rest
MAX_WIDTH = 60

S = AssignmentStatus

# The words a filed document uses; keyed by enum class because StrEnum members of different
# enums with the same value ("in_review") are equal.
CN_LABELS: dict[type[enum.Enum], dict[str, str]] = {
    AssignmentStatus: {
        S.ASSIGNED: "已交办待签收",
        S.RECEIVED: "已签收",
        S.RETURN_REQUESTED: "申请退回中",
        S.WITHDRAWN: "已退回",
        S.HANDLING: "办理中",
        S.DRAFTED: "已拟稿",
        S.IN_REVIEW: "审核中",
        S.AMENDS: "退回修改",
        S.SIGNED_OFF: "已签发",
        S.REPLIED: "已答复",
        S.AWAITING_FEEDBACK: "待反馈",
        S.CLOSED: "已办结",
        S.REHANDLING: "重新办理",
    },
    AssignmentRole: {
        AssignmentRole.LEAD: "主办",
        AssignmentRole.CO: "会办",
        AssignmentRole.SPLIT: "分办",
        AssignmentRole.SOLE: "独办",
    },
    CaseType: {CaseType.PROPOSAL: "政协提案", CaseType.SUGGESTION: "人大代表建议"},
    ProposalKind: {ProposalKind.PLENARY: "大会", ProposalKind.REGULAR: "平时"},
    Rating: {
        Rating.SATISFIED: "满意",
        Rating.BASICALLY_SATISFIED: "基本满意",
        Rating.DISSATISFIED: "不满意",
    },
    DueState: {
        DueState.ON_TRACK: "正常",
        DueState.DUE_SOON: "即将到期",
        DueState.OVERDUE: "已超期",
    },
}


def cn_label(member: enum.Enum) -> str:
    """The Chinese word for an enum member (the Chinese catalogue's label for the others)."""
    label = CN_LABELS.get(type(member), {}).get(member.value)
    if label is not None:
        return label
    if has_app_context() and hasattr(member, "label"):
        with force_locale("zh_Hans_CN"):
            return str(member.label)
    return str(member.value)


class Percent(float):
    """A ratio (0.748) written as a percentage: a number formatted 0.0% in Excel, 74.8% in CSV."""


def percent(value: float | None) -> Percent | None:
    return None if value is None else Percent(value)


# ---------- sheets ----------

_FORBIDDEN_IN_TITLE = re.compile(r"[\[\]:*?/\\]")


def sheet_title(text: str) -> str:
    """A title Excel accepts: at most 31 characters, none of []:*?/\\, no edge apostrophes."""
    title = _FORBIDDEN_IN_TITLE.sub("", ILLEGAL_CHARACTERS_RE.sub("", text)).strip().strip("'")
    return title[:31].strip() or "Sheet"


@dataclass
class Sheet:
    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence[Any]]

    def __post_init__(self) -> None:
        self.title = sheet_title(self.title)


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _shown(value: Any) -> str:
    """The value as a reader sees it (for column widths and CSV)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Percent):
        return f"{value * 100:.1f}%"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return cn_label(value)
    return str(value)


def _xlsx_cell(ws, value: Any) -> Any:
    """A value or a styled write-only cell; text never turns into a formula."""
    if value is None:
        return None
    if isinstance(value, bool | enum.Enum):
        return _shown(value)
    if isinstance(value, Percent):
        cell = WriteOnlyCell(ws, value=float(value))
        cell.number_format = PERCENT_FORMAT
        return cell
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = DATETIME_FORMAT if isinstance(value, datetime) else DATE_FORMAT
        return cell
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    if text.startswith("=") or text in ERROR_CODES:
        cell = WriteOnlyCell(ws, value=text)
        cell.data_type = "s"
        return cell
    return text


def to_xlsx(sheets: list[Sheet]) -> bytes:
    """Write the sheets to an .xlsx file, streaming rows (the workbook is write-only)."""
    wb = Workbook(write_only=True)
    used: set[str] = set()
    bold = Font(bold=True)
    for sheet in sheets:
        title, n = sheet.title, 2
        while title.lower() in used:
            suffix = f"({n})"
            title, n = sheet.title[: 31 - len(suffix)] + suffix, n + 1
        used.add(title.lower())
        ws = wb.create_sheet(title)
        rows = iter(sheet.rows)
        sample = list(islice(rows, WIDTH_SAMPLE))
        widths = [_width(str(h)) for h in sheet.headers]
        for row in sample:
            for i, value in enumerate(row):
                if i < len(widths):
                    widths[i] = max(widths[i], _width(_shown(value)))
        for i, w in enumerate(widths, 1):
            ws.column_dimensions[get_column_letter(i)].width = min(max(w + 2, 6), MAX_WIDTH)
        ws.freeze_panes = "A2"
        header = []
        for h in sheet.headers:
            cell = WriteOnlyCell(ws, value=str(h))
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for row in chain(sample, rows):
            ws.append([_xlsx_cell(ws, v) for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_value(value: Any) -> str:
    text = _shown(value)
    # A spreadsheet would run text starting like a formula: quote it.
    if isinstance(value, str) and text.startswith(_FORMULA_START):
        return "'" + text
    return text


def to_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 CSV with a byte-order mark (so Excel reads the Chinese), ISO dates, CRLF lines."""
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([str(h) for h in headers])
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])
    return buf.getvalue().encode("utf-8")


# ---------- the case list ----------

CASE_HEADERS = [
    "届次",
    "编号",
    "案由",
    "类型",
    "类别",
    "重点",
    "提案人",
    "承办单位",
    "办理方式",
    "状态",
    "交办日期",
    "办理期限",
    "首次答复日期",
    "是否按时",
    "评估类别",
    "满意度",
]


def assignment_filter(
    user: Any, filters: ProposalFilters, today: date
) -> Callable[[Assignment], bool] | None:
    """Which of a listed case's assignments get a row: those the list's filters are about.

    The list matches a case when one of its assignments meets the unit, status and due
    filters (a clerk's list is always about their unit); the export shows those assignments.
    """
    unit_id = filters.unit_id or (None if user.sees_all_units else user.unit_id)
    status, due = filters.status, filters.due
    if unit_id is None and status is None and due is None:
        return None
    soon = due_soon_limit(today) if due is DueState.DUE_SOON or due is DueState.ON_TRACK else None

    def keep(a: Assignment) -> bool:
        if unit_id is not None and a.unit_id != unit_id:
            return False
        if status is not None and a.status is not status:
            return False
        if due is not None:
            if a.status not in PENDING_REPLY:
                return False
            if due is DueState.OVERDUE:
                return a.due_on < today
            if due is DueState.DUE_SOON:
                return today <= a.due_on <= soon
            return a.due_on > soon
        return True

    return keep


def _on_time(a: Assignment, today: date) -> bool | None:
    """Whether the first reply went out in time; 否 already for a pending case past its date."""
    if a.replied_on is not None:
        return a.replied_on <= a.replied_due_on if a.replied_due_on else None
    if a.status in PENDING_REPLY and a.due_on < today:
        return False
    return None


def _satisfaction(ratings: list[Rating]) -> str | None:
    """满意; or 满意2、基本满意1 when the proposers of a joint proposal differ."""
    if not ratings:
        return None
    counts = Counter(ratings)
    if len(counts) == 1:
        return cn_label(ratings[0])
    return "、".join(f"{cn_label(r)}{counts[r]}" for r in Rating if counts[r])


def case_list_rows(
    stmt: sa.Select,
    *,
    keep: Callable[[Assignment], bool] | None = None,
    today: date | None = None,
) -> Iterator[list[Any]]:
    """One row per case and unit, in the query's order, fetched BATCH cases at a time.

    `stmt` selects proposals (tracker.proposals.queries.filtered_proposals); `keep` chooses
    which assignments get a row (assignment_filter). Each batch costs a fixed number of queries.
    """
    today = today or date.today()
    result = db.session.execute(stmt.execution_options(yield_per=BATCH))
    for batch in result.scalars().partitions():
        ids = [a.id for p in batch for a in p.assignments]
        categories = categories_for(ids)
        ratings = ratings_for(ids)
        for p in batch:
            case = [
                p.session.full_name,
                p.number,
                p.title,
                p.case_type,
                p.kind,
                p.is_key,
                p.proposer_names,
            ]
            shown = [a for a in p.assignments if keep is None or keep(a)]
            if not shown:
                yield case + [None] * (len(CASE_HEADERS) - len(case))
                continue
            for a in shown:
                yield case + [
                    a.unit.name,
                    a.role,
                    a.status,
                    a.assigned_on,
                    a.due_on,
                    a.replied_on,
                    _on_time(a, today),
                    categories.get(a.id),
                    _satisfaction(ratings.get(a.id, [])),
                ]
