"""A letter's content as plain data, and the context its templates print from.

`letter_content` is the one serialisation of a letter: revisions keep it, the archival PDF
carries it as JSON, version comparison and the exchange format read it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from tracker.core.settings import get_setting
from tracker.documents.text import paragraphs
from tracker.replies.models import Disclosure, LetterShape, Reply

CONTENT_VERSION = 1
PART_FIELDS = (
    "attachment_marker",
    "doc_number",
    "title",
    "salutation",
    "opening",
    "process_account",
    "disclosure",
    "disclosure_reason",
    "closing",
    "signing_unit",
    "letter_date",
    "category",
    "contact_person",
    "contact_phone",
    "leader_signoff",
    "handler",
    "handler_phone",
)
CHINESE_ORDINALS = "一二三四五六七八九十"


def ordinal(n: int) -> str:
    """1 -> 一, 11 -> 十一, 20 -> 二十 (1-99)."""
    if n <= 10:
        return CHINESE_ORDINALS[n - 1]
    tens, ones = divmod(n, 10)
    return (
        ("" if tens == 1 else CHINESE_ORDINALS[tens - 1])
        + "十"
        + (CHINESE_ORDINALS[ones - 1] if ones else "")
    )


def cn_date(value: date | None) -> str:
    """2022年9月8日: Arabic numerals, full year, no leading zeros."""
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


def letter_content(reply: Reply) -> dict[str, Any]:
    """Every part of the letter as JSON-friendly data."""
    parts: dict[str, Any] = {}
    for name in PART_FIELDS:
        value = getattr(reply, name)
        if isinstance(value, date):
            value = value.isoformat()
        elif hasattr(value, "value"):
            value = value.value
        parts[name] = value
    return {
        "content_version": CONTENT_VERSION,
        "kind": reply.kind.value,
        "shape": reply.shape.value,
        "round": reply.round,
        "parts": parts,
        "items": [{"suggestion": i.suggestion, "answer": i.answer} for i in reply.items],
    }


def letter_context(content: dict[str, Any], *, signed: bool = False) -> dict[str, Any]:
    """What the letter templates need, from the content (user text stays plain text)."""
    parts = content["parts"]
    settings = get_setting("letter")
    disclosure = Disclosure(parts["disclosure"])
    letter_date = date.fromisoformat(parts["letter_date"]) if parts.get("letter_date") else None
    items = []
    for n, item in enumerate(content["items"], start=1):
        suggestion_blocks = paragraphs(item["suggestion"])
        items.append(
            {
                "ordinal": ordinal(n) if n < 100 else str(n),
                "suggestion": suggestion_blocks,
                # quoted in a heading: 关于“…” without the sentence's own full stop
                "suggestion_text": " ".join(b.text for b in suggestion_blocks).rstrip("。；;."),
                "answer": paragraphs(item["answer"]),
            }
        )
    categories = get_setting("result_categories")
    return {
        **parts,
        "shape": content["shape"],
        "signed": signed,
        "rows": items,
        "process_account": paragraphs(parts["process_account"]),
        "date_text": cn_date(letter_date),
        "disclosure_sentence": settings["disclosure_sentences"].get(disclosure.value, ""),
        "header_disclosure": settings["header_disclosure"].get(disclosure.value, ""),
        "table_headers": settings["table_headers"],
        "process_heading": settings["process_heading"],
        "category_heading": settings["category_heading"],
        "categories": categories,
        "subject": parts["title"],
        "keywords": "答复函, " + parts["title"],
    }


def template_for(shape: LetterShape | str) -> str:
    return f"letters/{LetterShape(shape).value}.html"
