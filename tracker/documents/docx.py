"""The reply letter as a Word (DOCX) file, for clerks who finish it in Word or WPS.

The words come from `letter_context`, like the PDF's, and are laid out after GB/T 9704-2012:
A4, margins 37/26/35/28 mm, 16 pt 仿宋_GB2312 body on a 28.95 pt line, 22 pt 方正小标宋简体
title, 黑体 一、 headings and attachment marker, 楷体_GB2312 （一） headings, first lines
indented two characters, "— N —" page numbers in the footer (odd pages right, even pages
left, none on the first page). The standard's fonts are commercial: each is declared in the
font table with the Windows name of the free face Word and WPS fall back to (w:altName).

Every piece of user text goes into a text run as it is: nothing is parsed as markup or fields.
Needs an application context (the settings hold the fixed phrases and the categories).
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.oxml.parser import OxmlElement
from docx.shared import Mm, Pt
from docx.text.paragraph import Paragraph
from lxml import etree

from tracker.documents.text import Block, clean
from tracker.replies.letter import letter_context

# Faces named by GB/T 9704, and the free face (Windows name) each falls back to.
FANGSONG = "仿宋_GB2312"
XIAOBIAOSONG = "方正小标宋简体"
HEI = "黑体"
KAI = "楷体_GB2312"
SONG = "宋体"
FALLBACKS = {
    FANGSONG: "FangSong",
    XIAOBIAOSONG: "FZXiaoBiaoSong-B05S",
    HEI: "SimHei",
    KAI: "KaiTi",
    SONG: "SimSun",
}
FAMILIES = {FANGSONG: "modern", XIAOBIAOSONG: "script", HEI: "modern", KAI: "modern", SONG: "auto"}

BODY_SIZE = Pt(16)  # 3号
TITLE_SIZE = Pt(22)  # 2号
FOOTER_SIZE = Pt(14)  # 4号
LINE = Pt(28.95)  # 22 lines in the 225 mm text block
TITLE_LINE = Pt(35)
CHAR = 16  # one character of body text, in points
TEXT_WIDTH = Mm(156)
COLUMN_WIDTHS = (Mm(156 * 0.32), Mm(156 * 0.68))  # 意见建议 | 办理答复, as the PDF's table
LEAD_FONTS = {"h1": HEI, "h2": KAI}  # 1. headings stay in the body face
CONTACT_GAP = "\u3000\u3000"  # two characters between 联系人 and 联系电话, like the PDF


def letter_docx(content: dict[str, Any]) -> bytes:
    """The letter whose content is `content` (see `letter_content`) as DOCX bytes."""
    letter = letter_context(content)
    document = _new_document(letter)
    body = _Writer(document)
    shape = letter["shape"]
    if shape == "prose":
        marks = (f"{letter['category']}类" if letter.get("category") else "") + "\u3000"
        body.paragraph(
            [(marks + (letter.get("header_disclosure") or ""), HEI)],
            align=WD_ALIGN_PARAGRAPH.RIGHT,
        )
    body.head(letter)
    if shape == "table":
        body.table(letter)
        body.paragraph([(letter["process_heading"], HEI)], indent=True)
        body.blocks(letter["process_account"], indent=True)
    else:
        for row in letter["rows"]:
            if row["suggestion_text"]:
                heading = f"{row['ordinal']}、关于“{row['suggestion_text']}”"
                body.paragraph([(heading, HEI)], indent=True)
            body.blocks(row["answer"], indent=True)
        body.blocks(letter["process_account"], indent=True)
    if shape != "co_opinion" and letter.get("disclosure_sentence"):
        body.paragraph([(letter["disclosure_sentence"], None)], indent=True)
    if letter.get("closing"):
        body.paragraph([(letter["closing"], None)], indent=True)
    body.signature(letter)
    if shape == "table":
        body.category(letter)
    body.contact(letter)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# ---- text ------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    """User text as one line: control characters dropped, line breaks and tabs as spaces
    (as the PDF shows them)."""
    return " ".join(clean(str(value or "")).replace("\t", " ").split("\n"))


def _width_in_chars(text: str) -> float:
    """How many body characters wide `text` prints: CJK and full-width count 1, others 1/2."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.5 for ch in text)


# ---- the document's frame: page, styles, fonts, footer ---------------------------------------


def _new_document(letter: dict[str, Any]):
    document = Document()
    package = document.part.package
    for rel_id, rel in list(package.rels.items()):  # python-docx's sample thumbnail
        if rel.reltype == RT.THUMBNAIL:
            del package.rels[rel_id]
    _set_defaults(document)
    _declare_fonts(document)
    section = document.sections[0]
    section.start_type = WD_SECTION.NEW_PAGE
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.right_margin = Mm(37), Mm(26)
    section.bottom_margin, section.left_margin = Mm(35), Mm(28)
    section.header_distance = Mm(15)
    # The number's top sits about 7 mm below the text block (35 mm - 7 mm - one 14 pt line).
    section.footer_distance = Mm(23)
    _set_grid(section)
    _page_numbers(document, section)
    props = document.core_properties
    props.title = _text(letter.get("title"))[:255]
    props.author = _text(letter.get("signing_unit"))[:255]
    props.subject = _text(letter.get("subject"))[:255]
    props.keywords = _text(letter.get("keywords"))[:255]
    props.comments = ""
    props.last_modified_by = props.author
    props.revision = 1
    props.created = props.modified = datetime.now(UTC).replace(microsecond=0, tzinfo=None)
    return document


def _set_defaults(document) -> None:
    """Body text everywhere unless a paragraph says otherwise: 16 pt 仿宋, exact 28.95 pt lines."""
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _fonts(rpr, FANGSONG)
    lang = rpr.find(qn("w:lang"))
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    ppr = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr"))
    spacing = ppr.find(qn("w:spacing"))
    ppr.remove(spacing)
    normal = document.styles["Normal"]
    normal.font.size = BODY_SIZE
    _fonts(normal.element.get_or_add_rPr(), FANGSONG)
    _char_spacing(normal.element.get_or_add_rPr(), -4)  # -0.2 pt: 28 characters a line
    fmt = normal.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = LINE
    fmt.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    fmt.widow_control = False
    settings = document.settings.element
    theme_lang = settings.find(qn("w:themeFontLang"))
    if theme_lang is not None:
        theme_lang.set(qn("w:eastAsia"), "zh-CN")
    tab = settings.find(qn("w:defaultTabStop"))
    if tab is not None:
        tab.set(qn("w:val"), str(CHAR * 2 * 20))


def _fonts(rpr, face: str) -> None:
    """Name `face` for every script in a run's properties (theme fonts would override it)."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]
    for name in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(name), face)
    fonts.set(qn("w:hint"), "eastAsia")


# What may follow w:spacing in a run's properties (the schema's order; Word is strict about it).
_RPR_AFTER_SPACING = tuple(
    f"w:{name}"
    for name in [
        "w",
        "kern",
        "position",
        "sz",
        "szCs",
        "highlight",
        "u",
        "effect",
        "bdr",
        "shd",
        "fitText",
        "vertAlign",
        "rtl",
        "cs",
        "em",
        "lang",
        "eastAsianLayout",
        "specVanish",
        "oMath",
    ]
)


def _char_spacing(rpr, twentieths: int) -> None:
    """Space between characters, in twentieths of a point, in its schema place."""
    for old in rpr.findall(qn("w:spacing")):
        rpr.remove(old)
    spacing = OxmlElement("w:spacing")
    spacing.set(qn("w:val"), str(twentieths))
    rpr.insert_element_before(spacing, *_RPR_AFTER_SPACING)


def _declare_fonts(document) -> None:
    """List the letter's faces in the font table, each with its fallback (w:altName)."""
    part = next(
        (
            rel.target_part
            for rel in document.part.rels.values()
            if rel.reltype == RT.FONT_TABLE and not rel.is_external
        ),
        None,
    )
    if part is None:
        return
    table = parse_xml(part.blob)
    for face, fallback in FALLBACKS.items():
        font = parse_xml(
            f"<w:font {nsdecls('w')}>"
            f'<w:altName w:val="{fallback}"/><w:charset w:val="86"/>'
            f'<w:family w:val="{FAMILIES[face]}"/><w:pitch w:val="variable"/></w:font>'
        )
        font.set(qn("w:name"), face)
        table.append(font)
    part._blob = etree.tostring(table, xml_declaration=True, encoding="UTF-8", standalone=True)


def _set_grid(section) -> None:
    """A line grid of 28.95 pt, so Word keeps 22 lines a page as the PDF does."""
    sect = section._sectPr
    grid = sect.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect.append(grid)
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(round(LINE.pt * 20)))


def _page_numbers(document, section) -> None:
    """ "— N —" in 14 pt Song: odd pages right and even pages left, one character in; the
    first page has none."""
    document.settings.odd_and_even_pages_header_footer = True
    section.different_first_page_header_footer = True
    first = section.first_page_footer
    first.is_linked_to_previous = False
    for paragraph in first.paragraphs:
        paragraph.text = ""
    for footer, align in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0]
        fmt = paragraph.paragraph_format
        fmt.alignment = align
        fmt.first_line_indent = Pt(0)
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
        if align is WD_ALIGN_PARAGRAPH.RIGHT:
            fmt.right_indent = FOOTER_SIZE
        else:
            fmt.left_indent = FOOTER_SIZE
        _footer_run(paragraph, "— ")
        _page_field(paragraph)
        _footer_run(paragraph, " —")


def _footer_run(paragraph: Paragraph, text: str):
    run = paragraph.add_run(text)
    run.font.size = FOOTER_SIZE
    _fonts(run._r.get_or_add_rPr(), SONG)
    return run


def _page_field(paragraph: Paragraph) -> None:
    """A PAGE field (begin, instruction, separate, shown value, end)."""
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1")):
        run = _footer_run(paragraph, "")
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        elif text == " PAGE ":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        else:
            run.text = text
    run = _footer_run(paragraph, "")
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run._r.append(end)


# ---- the letter's parts ----------------------------------------------------------------------


class _Writer:
    """Adds the letter's paragraphs to a document, in order."""

    def __init__(self, document) -> None:
        self.document = document

    def paragraph(
        self,
        runs: Iterable[tuple[str, str | None]],
        *,
        indent: bool = False,
        align=None,
        container=None,
        underline: tuple[int, ...] = (),
    ) -> Paragraph:
        """A paragraph of (text, face) runs; face None is the body face (仿宋)."""
        paragraph = (container or self.document).add_paragraph()
        fmt = paragraph.paragraph_format
        if indent:
            _indent_chars(paragraph, first_line=2)
        if align is not None:
            fmt.alignment = align
        for n, (text, face) in enumerate(runs):
            text = _text(text)
            if not text:
                continue
            run = paragraph.add_run(text)
            if face:
                _fonts(run._r.get_or_add_rPr(), face)
            if n in underline:
                run.underline = True
        return paragraph

    def blocks(self, blocks: list[Block], *, indent: bool, container=None) -> None:
        """Paragraphs recognised by `paragraphs()`: the heading part in its face, the rest plain."""
        for block in blocks:
            runs = []
            if block.lead:
                runs.append((block.lead, LEAD_FONTS.get(block.level)))
            runs.append((block.rest, None))
            self.paragraph(runs, indent=indent, container=container)

    def head(self, letter: dict[str, Any]) -> None:
        marker, number = _text(letter.get("attachment_marker")), _text(letter.get("doc_number"))
        if marker and number:  # marker flush left, document number flush right, one line
            paragraph = self.paragraph([(marker, HEI)])
            paragraph.add_run("\t")
            paragraph.add_run(number)
            paragraph.paragraph_format.tab_stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)
        elif number:
            self.paragraph([(number, None)], align=WD_ALIGN_PARAGRAPH.RIGHT)
        elif marker:
            self.paragraph([(marker, HEI)])
        title = self.paragraph(
            [(letter.get("title"), XIAOBIAOSONG)], align=WD_ALIGN_PARAGRAPH.CENTER
        )
        fmt = title.paragraph_format
        fmt.line_spacing = TITLE_LINE
        fmt.space_before = fmt.space_after = LINE
        for run in title.runs:
            run.font.size = TITLE_SIZE
            _char_spacing(run._r.get_or_add_rPr(), 0)
        self.paragraph([(letter.get("salutation"), None)])
        if letter.get("opening"):
            self.paragraph([(letter["opening"], None)], indent=True)

    def table(self, letter: dict[str, Any]) -> None:
        """意见建议 | 办理答复 as a real table; the header row repeats on every page."""
        headers = letter["table_headers"]
        table = self.document.add_table(rows=1, cols=2)
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        _table_frame(table)
        header = table.rows[0]
        _repeat_header(header)
        for cell, text, width in zip(header.cells, headers, COLUMN_WIDTHS, strict=True):
            cell.width = width
            paragraph = cell.paragraphs[0]
            paragraph.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
            paragraph.add_run(_text(text))
            _fonts(paragraph.runs[0]._r.get_or_add_rPr(), HEI)
        for row in letter["rows"]:
            cells = table.add_row().cells
            for cell, width in zip(cells, COLUMN_WIDTHS, strict=True):
                cell.width = width
            self._fill(cells[0], row["suggestion"], indent=False)
            self._fill(cells[1], row["answer"], indent=True)
        spacer = self.document.add_paragraph()  # the PDF's 14 pt after the table
        spacer.paragraph_format.line_spacing = Pt(14)

    def _fill(self, cell, blocks: list[Block], *, indent: bool) -> None:
        self.blocks(blocks, indent=indent, container=cell)
        paragraphs = cell.paragraphs
        if len(paragraphs) > 1 and not paragraphs[0].text:  # the empty one a new cell has
            paragraphs[0]._p.getparent().remove(paragraphs[0]._p)

    def signature(self, letter: dict[str, Any]) -> None:
        """The unit and the date, centred on each other, right edge four characters in."""
        unit, day = _text(letter.get("signing_unit")), _text(letter.get("date_text"))
        width = max(_width_in_chars(unit), _width_in_chars(day))
        for n, text in enumerate((unit, day)):
            paragraph = self.paragraph([(text, None)], align=WD_ALIGN_PARAGRAPH.RIGHT)
            _indent_chars(paragraph, right=4 + (width - _width_in_chars(text)) / 2)
            if n == 0:
                paragraph.paragraph_format.space_before = LINE

    def category(self, letter: dict[str, Any]) -> None:
        self.paragraph([(letter["category_heading"], HEI)], indent=True)
        blank = f"\u2002{_text(letter.get('category')) or chr(0x3000)}\u2002"
        self.paragraph([(blank, None), ("类", None)], indent=True, underline=(0,))
        definitions = "；".join(f"{c['code']}类：{c['definition']}" for c in letter["categories"])
        self.paragraph([(f"（{definitions}。）", None)])

    def contact(self, letter: dict[str, Any]) -> None:
        person, phone = letter.get("contact_person"), letter.get("contact_phone")
        if person or phone:
            runs = [(f"联系人：{_text(person)}", None), (CONTACT_GAP, None)]
            runs.append((f"联系电话：{_text(phone)}", None))
            self.paragraph(runs).paragraph_format.space_before = Pt(14)
        if letter.get("leader_signoff") or letter.get("handler"):
            parts = []
            if letter.get("leader_signoff"):
                parts.append(f"领导签批：{_text(letter['leader_signoff'])}")
            if letter.get("handler"):
                parts.append(f"承办人：{_text(letter['handler'])}")
            if letter.get("handler_phone"):
                parts.append(f"电话：{_text(letter['handler_phone'])}")
            runs = []
            for n, part in enumerate(parts):
                if n:
                    runs.append((CONTACT_GAP, None))
                runs.append((part, None))
            self.paragraph(runs).paragraph_format.space_before = Pt(14)


def _indent_chars(paragraph: Paragraph, *, first_line: float = 0, right: float = 0) -> None:
    """Indents in characters (w:firstLineChars / w:rightChars) with the same in points."""
    fmt = paragraph.paragraph_format
    if first_line:
        fmt.first_line_indent = Pt(CHAR * first_line)
    if right:
        fmt.right_indent = Pt(round(CHAR * right, 2))
    ind = paragraph._p.get_or_add_pPr().find(qn("w:ind"))
    if ind is None:
        return
    if first_line:
        ind.set(qn("w:firstLineChars"), str(round(first_line * 100)))
    if right:
        ind.set(qn("w:rightChars"), str(round(right * 100)))


def _table_frame(table) -> None:
    """Fixed layout, 0.75 pt black borders, 3 pt / 5 pt cell padding, the PDF's widths."""
    tbl = table._tbl
    tbl_pr = tbl.tblPr
    width = OxmlElement("w:tblW")
    width.set(qn("w:w"), str(round(TEXT_WIDTH.pt * 20)))
    width.set(qn("w:type"), "dxa")
    tbl_pr.append(width)
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tbl_pr.append(layout)
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        line = OxmlElement(f"w:{edge}")
        line.set(qn("w:val"), "single")
        line.set(qn("w:sz"), "6")  # eighths of a point
        line.set(qn("w:space"), "0")
        line.set(qn("w:color"), "000000")
        borders.append(line)
    tbl_pr.append(borders)
    margins = OxmlElement("w:tblCellMar")
    for edge, points in (("top", 3), ("left", 5), ("bottom", 3), ("right", 5)):
        margin = OxmlElement(f"w:{edge}")
        margin.set(qn("w:w"), str(points * 20))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    tbl_pr.append(margins)
    for col, width in zip(tbl.tblGrid.findall(qn("w:gridCol")), COLUMN_WIDTHS, strict=True):
        col.set(qn("w:w"), str(round(width.pt * 20)))
    _order_tbl_pr(tbl_pr)


# The schema's order of a table's properties (Word refuses files that break it).
_TBL_PR_ORDER = [
    "tblStyle",
    "tblpPr",
    "tblOverlap",
    "bidiVisual",
    "tblStyleRowBandSize",
    "tblStyleColBandSize",
    "tblW",
    "jc",
    "tblCellSpacing",
    "tblInd",
    "tblBorders",
    "shd",
    "tblLayout",
    "tblCellMar",
    "tblLook",
    "tblCaption",
    "tblDescription",
]


def _order_tbl_pr(tbl_pr) -> None:
    children = list(tbl_pr)
    for child in children:
        tbl_pr.remove(child)
    rank = {qn(f"w:{name}"): n for n, name in enumerate(_TBL_PR_ORDER)}
    # One of each: the last one set wins (python-docx may have added a tblW of its own).
    latest = {}
    for child in children:
        latest[child.tag] = child
    for child in sorted(latest.values(), key=lambda c: rank.get(c.tag, len(rank))):
        tbl_pr.append(child)


def _repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    successors = ("w:tblCellSpacing", "w:jc", "w:hidden", "w:ins", "w:del", "w:trPrChange")
    tr_pr.insert_element_before(header, *successors)
