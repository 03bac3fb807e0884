"""Plain text as a clerk pastes it from Word or WPS, turned into styled paragraphs.

Nothing here produces markup: it returns blocks of plain strings, which the templates escape.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# 一、 (Hei), （一） (Kai), 1. (FangSong, like the body): GB/T 9704's heading levels.
HEADINGS = (
    ("h1", re.compile(r"^[一二三四五六七八九十百]+、")),
    ("h2", re.compile(r"^[（(][一二三四五六七八九十百]+[）)]")),
    ("h3", re.compile(r"^\d{1,3}[.．、](?!\d)")),
)
LEAD_MAX = 60  # a heading line longer than this without 。 is a paragraph that starts with a number
_STRIP = " \t\u3000\u00a0\ufeff"


@dataclass(frozen=True)
class Block:
    """A paragraph: `lead` is the heading part (styled by level), `rest` the body text."""

    level: str  # "p", "h1", "h2" or "h3"
    lead: str
    rest: str

    @property
    def text(self) -> str:
        return self.lead + self.rest


def clean(text: str | None) -> str:
    """Normalise line ends and drop control characters (keeping line breaks and tabs)."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    return "".join(
        ch
        for ch in text
        if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs", "Co", "Cn")
    )


def clean_line(text: str | None) -> str:
    """One line of user text: control characters out, line breaks become spaces, trimmed."""
    return " ".join(clean(text).split("\n")).replace("\t", " ").strip(_STRIP)


def clean_text(text: str | None) -> str:
    """Multi-line user text: control characters out, line ends normalised, trimmed."""
    return clean(text).strip()


def paragraphs(text: str | None) -> list[Block]:
    """Split text into paragraphs (one per line), recognising numbered headings."""
    blocks = []
    for raw in clean(text).split("\n"):
        line = raw.strip(_STRIP)
        if not line:
            continue
        blocks.append(_block(line))
    return blocks


def _block(line: str) -> Block:
    for level, pattern in HEADINGS:
        match = pattern.match(line)
        if not match:
            continue
        end = line.find("。", match.end())
        if end != -1 and end + 1 <= LEAD_MAX:
            return Block(level, line[: end + 1], line[end + 1 :])
        if end == -1 and len(line) <= LEAD_MAX:
            return Block(level, line, "")
        return Block(level, line[: match.end()], line[match.end() :])
    return Block("p", "", line)
