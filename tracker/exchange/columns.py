"""The assignment list's columns as the CPPCC committee writes them, and how cells are read.

Headers are Chinese because the lists are: each column has the header the template uses and
the other names lists are seen with (提案号 / 编号 / 案号 …). Header cells are compared without
spaces, asterisks and bracketed notes, so "交办日期（必填）" is 交办日期.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from openpyxl.utils.datetime import from_excel

from tracker.documents.text import clean_line, clean_text
from tracker.exchange.tabular import FileProblem
from tracker.proposals.models import AssignmentRole, CaseType, ProposalKind


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # as the template writes it
    synonyms: tuple[str, ...]
    required: bool
    note: str  # the template's 说明 sheet (Chinese, like the list itself)
    example: Any = None


COLUMNS: tuple[Column, ...] = (
    Column("number", "提案号", ("编号", "案号", "提案编号", "建议编号", "建议号"), True,
           "提案（建议）的编号，同一届次内唯一，不能含空格。", "20250001"),
    Column("title", "案由", ("标题", "提案题目", "题目", "提案标题", "建议题目"), True,
           "提案的题目。", "关于加快社区嵌入式养老服务设施建设的提案"),
    Column("proposers", "提案人", ("第一提案人", "联名提案人", "联名人", "提案者"), True,
           "第一提案人在前；多人用顿号、逗号、分号或空格分隔。也可分为“第一提案人”和“联名提案人”两列。",
           "张明、李华"),
    Column("proposer_type", "提案类型", ("提案形式", "提案人类型"), False,
           "个人、联名或集体。不填时：一人为个人，多人为联名；"
           "提案人是一个以委员会、市委、党、学社、工商联等结尾的名称时为集体。", "联名"),
    Column("kind", "类别", ("提案类别",), False, "大会或平时，不填为大会。", "大会"),
    Column("lead", "主办单位", ("主办",), False,
           "一个单位，写全称或简称（须与系统中的承办单位一致）。", "市民政局"),
    Column("co", "会办单位", ("协办单位", "会办", "协办"), False,
           "可填多个，用顿号分隔；须同时有主办单位。", "市卫生健康委、市财政局"),
    Column("split", "分办单位", ("分办",), False,
           "可填多个，用顿号分隔；分办时不填主办、会办单位。", None),
    Column("sole", "独办单位", ("承办单位", "独办", "承办"), False,
           "只有一个承办单位时填写，此时不填其他单位列。", None),
    Column("assigned_on", "交办日期", ("交办时间",), False,
           "如 2025-03-10、2025/3/10 或 2025年3月10日；填写单位时必填。", date(2025, 3, 10)),
    Column("is_key", "是否重点", ("重点提案", "重点"), False, "是或否，不填为否。", "否"),
    Column("session", "届次", ("会议", "届次会议"), False,
           "如 七届二次会议（须与系统中的届次一致）；上传时已为整个文件选择届次的可不填。",
           "七届二次会议"),
    Column("case_type", "案件类型", ("案件类别",), False,
           "提案（政协提案）或建议（人大代表建议），不填为提案。", "提案"),
    Column("full_text", "提案内容", ("内容", "正文", "全文"), False, "提案全文，可不填。", None),
    Column("suggestions", "建议", ("具体建议", "建议内容"), False,
           "提案中的各条建议，每行一条，可不填。", "建议一\n建议二"),
)  # fmt: skip
BY_KEY = {c.key: c for c in COLUMNS}
ROLE_COLUMNS = {
    AssignmentRole.LEAD: "lead",
    AssignmentRole.CO: "co",
    AssignmentRole.SPLIT: "split",
    AssignmentRole.SOLE: "sole",
}
# Several columns may make up the proposers (第一提案人 + 联名提案人); the others appear once.
MULTI = frozenset({"proposers"})
HEADER_SEARCH = 10  # a list may start with a title line or two above its header

_BRACKETED = re.compile(r"[（(【\[].*?[）)】\]]")
_NOISE = re.compile(r"[\s*＊:：]")


def normal_header(value: Any) -> str:
    return _NOISE.sub("", _BRACKETED.sub("", str(value or "")))


_LOOKUP: dict[str, tuple[str, int]] = {
    normal_header(name): (column.key, rank)
    for column in COLUMNS
    for rank, name in enumerate((column.header, *column.synonyms))
}


@dataclass
class Layout:
    """Where each known column is in the file, and the header text it has there."""

    header_row: int
    indexes: dict[str, list[int]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)

    def label(self, key: str) -> str:
        return self.labels.get(key, BY_KEY[key].header)

    def values(self, cells: tuple[Any, ...]) -> dict[str, Any]:
        """The row's cells by column key (joined with 、 for a column that spans several)."""
        out: dict[str, Any] = {}
        size = len(cells)
        for key, indexes in self.indexes.items():
            if key in MULTI:
                found = (cell_text(cells[i]) for i in indexes if i < size)
                out[key] = "、".join(text for text in found if text)
            else:
                out[key] = cells[indexes[0]] if indexes[0] < size else None
        return out


def find_layout(rows: Iterator[tuple[int, tuple[Any, ...]]], need_session: bool) -> Layout:
    """Read rows up to the header (the first with a number and a title column) and map it."""
    for line, cells in rows:
        matches = [(i, _LOOKUP.get(normal_header(c))) for i, c in enumerate(cells)]
        keys = {m[0] for _i, m in matches if m}
        if {"number", "title"} <= keys:
            return _layout(line, cells, matches, need_session)
        if line >= HEADER_SEARCH:
            break
    raise FileProblem(
        _l(
            "No header row was found: the first %(n)d rows should include one with the "
            "columns 提案号 and 案由 (download the template to see them).",
            n=HEADER_SEARCH,
        )
    )


def _layout(line: int, cells: tuple[Any, ...], matches: list, need_session: bool) -> Layout:
    layout = Layout(header_row=line)
    ranked: dict[str, list[tuple[int, int]]] = {}
    for i, match in matches:
        text = clean_line(str(cells[i] or ""))
        if match is None:
            if text:
                layout.ignored.append(text)
            continue
        key, rank = match
        if key in ranked and key not in MULTI:
            raise FileProblem(
                _l(
                    "The columns “%(a)s” and “%(b)s” both give %(what)s; keep one of them.",
                    a=layout.labels[key],
                    b=text,
                    what=BY_KEY[key].header,
                )
            )
        ranked.setdefault(key, []).append((rank, i))
        layout.labels.setdefault(key, text)
    layout.indexes = {key: [i for _r, i in sorted(found)] for key, found in ranked.items()}
    missing = [c.header for c in COLUMNS if c.required and c.key not in layout.indexes]
    if missing:
        raise FileProblem(_l("The file has no column %(columns)s.", columns="、".join(missing)))
    if need_session and "session" not in layout.indexes:
        raise FileProblem(
            _l("The file has no column 届次: add it, or choose the session for the whole file.")
        )
    return layout


# ---------- cells ----------


def cell_text(value: Any) -> str:
    """One line of text from a cell: numbers without a trailing .0, dates as 2025-03-10."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date().isoformat()
    text = str(value)
    # Most cells hold nothing to clean: printable text has no control characters, and its
    # only whitespace is the ASCII space (a large list reads several cells a row).
    return text.strip(" ") if text.isprintable() else clean_line(text)


def cell_lines(value: Any) -> str:
    """Multi-line text from a cell (a proposal's full text)."""
    return clean_text(str(value)) if value is not None else ""


def is_blank(cells: tuple[Any, ...]) -> bool:
    return not any(cell_text(c) for c in cells)


_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
EXCEL_SERIALS = (20_000, 80_000)  # 1954-10-03 .. 2119-01-10


def parse_date(value: Any) -> date | None:
    """A date from a date cell, an Excel serial number or 2025-03-10 / 2025/3/10 / 2025年3月10日.

    None for a blank cell; ValueError for anything else.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if numeric and EXCEL_SERIALS[0] <= value <= EXCEL_SERIALS[1]:
        return from_excel(value).date()
    text = cell_text(value)
    if not text:
        return None
    match = _DATE.match(text) or _COMPACT_DATE.match(text)
    if not match:
        raise ValueError(text)
    year, month, day = (int(g) for g in match.groups())
    return date(year, month, day)  # ValueError for 2025-02-30


_YES = {"是", "Y", "YES", "TRUE", "1", "√", "✓", "重点", "重点提案"}
_NO = {"否", "N", "NO", "FALSE", "0", "×", "非重点", "一般"}


def parse_flag(value: Any) -> bool | None:
    """True for 是, False for 否, None for a blank cell; ValueError otherwise."""
    text = cell_text(value).upper()
    if not text:
        return None
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise ValueError(text)


def _choice(value: Any, table: dict[str, Any]) -> Any:
    text = cell_text(value)
    if not text:
        return None
    if text in table:
        return table[text]
    raise ValueError(text)


KINDS = {"大会": ProposalKind.PLENARY, "大会提案": ProposalKind.PLENARY}
KINDS |= {"平时": ProposalKind.REGULAR, "平时提案": ProposalKind.REGULAR}
CASE_TYPES = {"提案": CaseType.PROPOSAL, "政协提案": CaseType.PROPOSAL}
CASE_TYPES |= {"建议": CaseType.SUGGESTION, "人大代表建议": CaseType.SUGGESTION}
CASE_TYPES |= {"代表建议": CaseType.SUGGESTION}
INDIVIDUAL, JOINT, COLLECTIVE = "个人", "联名", "集体"
PROPOSER_TYPES = {t: t for t in (INDIVIDUAL, JOINT, COLLECTIVE)}
PROPOSER_TYPES |= {f"{t}提案": t for t in (INDIVIDUAL, JOINT, COLLECTIVE)}
PROPOSER_TYPES |= {"委员": INDIVIDUAL, "委员提案": INDIVIDUAL, "党派团体": COLLECTIVE}


def parse_kind(value: Any) -> ProposalKind | None:
    return _choice(value, KINDS)


def parse_case_type(value: Any) -> CaseType | None:
    return _choice(value, CASE_TYPES)


def parse_proposer_type(value: Any) -> str | None:
    return _choice(value, PROPOSER_TYPES)


_LIST_SEPARATORS = re.compile(r"[、，,;；\n]+")
_NAME_SEPARATORS = re.compile(r"[、，,;；\s\u3000]+")
# A single proposer whose name ends so is a body (a party, an organisation, a committee).
BODY_ENDINGS = (
    "委员会", "委会", "市委", "区委", "省委", "党", "学社", "工商联", "总工会", "妇联",
    "科协", "侨联", "台联", "青联", "残联", "文联", "社科联", "界别", "界别组", "小组",
)  # fmt: skip


def split_list(text: str) -> list[str]:
    """Units in one cell: 市民政局、市财政局 (also , ; and line breaks)."""
    return [part.strip() for part in _LIST_SEPARATORS.split(text) if part.strip()]


def split_proposers(text: str, declared: str | None) -> tuple[list[str], bool]:
    """The proposers' names and whether the proposal is collective (the proposer is a body).

    A body's name may hold a space, so it is split on punctuation only.
    """
    listed = [" ".join(p.split()) for p in split_list(text)]
    collective = declared == COLLECTIVE or (
        declared is None and len(listed) == 1 and listed[0].endswith(BODY_ENDINGS)
    )
    if collective:
        return listed, True
    return [p for p in _NAME_SEPARATORS.split(text) if p], False


# ---------- the template ----------

EXAMPLE_ROW = [c.example for c in COLUMNS]


def template_workbook() -> bytes:
    """The list's template: the headers, one invented example row, and a 说明 sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "交办清单"
    ws.append([c.header for c in COLUMNS])
    ws.append(EXAMPLE_ROW)
    bold = Font(bold=True)
    for i, column in enumerate(COLUMNS, 1):
        cell = ws.cell(row=1, column=i)
        cell.font = bold
        letter = cell.column_letter
        ws.column_dimensions[letter].width = 40 if column.key == "title" else 16
        if column.key == "assigned_on":
            ws.cell(row=2, column=i).number_format = "yyyy-mm-dd"
        if column.key == "suggestions":
            ws.cell(row=2, column=i).alignment = Alignment(wrap_text=True)
        choices = {
            "proposer_type": "个人,联名,集体",
            "kind": "大会,平时",
            "is_key": "是,否",
            "case_type": "提案,建议",
        }.get(column.key)
        if choices:
            check = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True)
            ws.add_data_validation(check)
            check.add(f"{letter}2:{letter}5000")
    ws.freeze_panes = "A2"

    notes = wb.create_sheet("说明")
    notes.append(["列名", "也可写作", "是否必填", "说明"])
    for column in COLUMNS:
        required = "必填" if column.required else ("见说明" if column.key == "session" else "")
        notes.append([column.header, "、".join(column.synonyms), required, column.note])
    notes.append([])
    notes.append(
        ["", "", "", "第二行是虚构的示例，导入前请删除。先上传预览，逐行检查无误后再确认导入。"]
    )
    notes.append(["", "", "", "同一届次中已有的提案号会更新该提案（案由、提案人等），不会重复。"])
    for i, width in enumerate((12, 26, 10, 80), 1):
        notes.column_dimensions[notes.cell(row=1, column=i).column_letter].width = width
        notes.cell(row=1, column=i).font = bold
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
