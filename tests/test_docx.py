"""The letter as DOCX: GB/T 9704 page, the PDF's words in order, a real table, literal text."""

from __future__ import annotations

import io
import zipfile

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from tracker.documents.docx import letter_docx

HOSTILE = (
    '<w:p><w:r><w:t>注入</w:t></w:r></w:p> & &amp; {{ 7*7 }} {% raw %} ]]> "引号" '
    "{ PAGE } =cmd|' /C calc'!A0 \u202e反向 😀"
)


def _content(shape="table", **parts):
    base = {
        "attachment_marker": "附件1",
        "doc_number": "",
        "title": "深圳市生态环境局关于市政协七届二次会议第20220467号提案的答复函",
        "salutation": "王明委员、李华委员：",
        "opening": "《关于推动低碳生活的提案》收悉，现就提案办理有关情况答复如下：",
        "process_account": "我局已就提案办理答复与委员进行了电话沟通汇报，并获得委员认可。",
        "disclosure": "public",
        "disclosure_reason": None,
        "closing": "专此答复。",
        "signing_unit": "深圳市生态环境局",
        "letter_date": "2022-09-08",
        "category": "A",
        "contact_person": "张三",
        "contact_phone": "0755-12345678",
        "leader_signoff": "",
        "handler": "",
        "handler_phone": "",
    }
    base.update(parts)
    return {
        "content_version": 1,
        "kind": "co_opinion" if shape == "co_opinion" else "reply",
        "shape": shape,
        "round": 1,
        "parts": base,
        "items": [
            {
                "suggestion": "强化社会监督。",
                "answer": "一、总体情况\n（一）加强监督。具体措施。\n正文段落。",
            },
            {"suggestion": "建立激励机制。", "answer": "已列入计划。"},
        ],
    }


def _open(data: bytes):
    return Document(io.BytesIO(data))


def _body_texts(document) -> list[str]:
    """Every paragraph's text in reading order, table cells included (row by row)."""
    texts = []
    for block in document.iter_inner_content():
        if hasattr(block, "rows"):
            for row in block.rows:
                for cell in row.cells:
                    texts.extend(p.text for p in cell.paragraphs)
        else:
            texts.append(block.text)
    return [t for t in texts if t]


def _in_order(texts: list[str], wanted: list[str]) -> None:
    joined = "\n".join(texts)
    position = 0
    for piece in wanted:
        found = joined.find(piece, position)
        assert found >= 0, f"{piece!r} missing or out of order in:\n{joined}"
        position = found + len(piece)


def test_page_is_a4_with_the_standard_margins(ctx):
    section = _open(letter_docx(_content())).sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    margins = (section.top_margin, section.right_margin, section.bottom_margin, section.left_margin)
    assert [round(m.mm, 1) for m in margins] == [37.0, 26.0, 35.0, 28.0]


def test_table_letter_has_every_part_in_order(ctx):
    document = _open(letter_docx(_content(leader_signoff="李局长", handler="王五")))
    texts = _body_texts(document)
    _in_order(
        texts,
        [
            "附件1",
            "深圳市生态环境局关于市政协七届二次会议第20220467号提案的答复函",
            "王明委员、李华委员：",
            "《关于推动低碳生活的提案》收悉",
            "意见建议",
            "办理答复",
            "强化社会监督。",
            "一、总体情况",
            "（一）加强监督。具体措施。",
            "正文段落。",
            "建立激励机制。",
            "已列入计划。",
            "一、办理过程及其他需要说明的情况",
            "我局已就提案办理答复与委员进行了电话沟通汇报",
            "本答复内容可公开。",
            "专此答复。",
            "深圳市生态环境局",
            "2022年9月8日",
            "二、办理实效评估类别",
            "A",
            "类",
            "A类：提案所提问题已经解决或基本解决",
            "D类：留作参考",
            "联系人：张三",
            "联系电话：0755-12345678",
            "领导签批：李局长",
            "承办人：王五",
        ],
    )
    title = next(p for p in document.paragraphs if p.text.endswith("答复函"))
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert title.runs[0].font.size == Pt(22)
    opening = next(p for p in document.paragraphs if p.text.startswith("《"))
    assert opening.paragraph_format.first_line_indent == Pt(32)
    day = next(p for p in document.paragraphs if p.text == "2022年9月8日")
    assert day.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert day.paragraph_format.right_indent >= Pt(64)


def test_table_is_real_with_a_repeated_header_row(ctx):
    document = _open(letter_docx(_content()))
    (table,) = document.tables
    assert len(table.columns) == 2 and len(table.rows) == 3
    assert [c.text for c in table.rows[0].cells] == ["意见建议", "办理答复"]
    header = table.rows[0]._tr.trPr.find(qn("w:tblHeader"))
    assert header is not None and header.get(qn("w:val")) in (None, "1", "true")
    assert table.rows[1].cells[0].text == "强化社会监督。"
    assert table._tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"


def test_fonts_are_the_standards_with_east_asian_names(ctx):
    data = letter_docx(_content())
    document = _open(data)
    normal = document.styles["Normal"]
    assert normal.font.size == Pt(16)
    fonts = normal.element.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert fonts.get(qn("w:asciiTheme")) is None  # a theme font would override the name

    def east_asian(paragraph) -> str:
        run = paragraph.runs[0]._r
        return run.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia"))

    paragraphs = document.paragraphs
    assert east_asian(next(p for p in paragraphs if p.text == "附件1")) == "黑体"
    assert east_asian(next(p for p in paragraphs if p.text.endswith("答复函"))) == "方正小标宋简体"
    assert east_asian(next(p for p in paragraphs if p.text.startswith("一、办理过程"))) == "黑体"
    answer = document.tables[0].rows[1].cells[1].paragraphs
    assert east_asian(answer[0]) == "黑体"  # 一、
    assert east_asian(answer[1]) == "楷体_GB2312"  # （一）
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        font_table = archive.read("word/fontTable.xml").decode()
        assert '<w:font w:name="仿宋_GB2312"><w:altName w:val="FangSong"/>' in font_table
        settings = archive.read("word/settings.xml").decode()
        assert "<w:evenAndOddHeaders" in settings
        assert 'w:eastAsia="zh-CN"' in settings
        assert "docProps/thumbnail.jpeg" not in archive.read("_rels/.rels").decode()


def test_footer_has_page_numbers_except_on_the_first_page(ctx):
    section = _open(letter_docx(_content())).sections[0]
    assert section.different_first_page_header_footer
    assert section.first_page_footer.paragraphs[0].text.strip() == ""
    for footer, align in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        xml = footer._element.xml
        assert "PAGE" in xml and 'w:fldCharType="begin"' in xml
        paragraph = footer.paragraphs[0]
        assert paragraph.text.startswith("— ") and paragraph.text.endswith(" —")
        assert paragraph.alignment == align


@pytest.mark.parametrize("shape", ["prose", "co_opinion"])
def test_prose_and_co_opinion_shapes_use_numbered_points(ctx, shape):
    document = _open(letter_docx(_content(shape, doc_number="深环函〔2022〕12号")))
    assert document.tables == []
    texts = _body_texts(document)
    _in_order(
        texts,
        [
            "深环函〔2022〕12号",
            "答复函",
            "一、关于“强化社会监督”",
            "一、总体情况",
            "二、关于“建立激励机制”",
            "已列入计划。",
            "我局已就提案办理答复",
            "专此答复。",
            "2022年9月8日",
            "联系人：张三",
        ],
    )
    joined = "\n".join(texts)
    assert "办理实效评估类别" not in joined
    if shape == "prose":
        assert texts[0] == "A类\u3000同意公开"
        assert "本答复内容可公开。" in joined
    else:
        assert "本答复内容可公开。" not in joined


def test_hostile_text_is_kept_literally(ctx):
    content = _content(title=HOSTILE, salutation=HOSTILE, contact_person=HOSTILE)
    content["items"][0] = {"suggestion": HOSTILE, "answer": HOSTILE + "\x00\x07"}
    data = letter_docx(content)
    document = _open(data)
    texts = _body_texts(document)
    assert texts.count(HOSTILE) >= 4  # title, salutation, suggestion, answer
    assert any(t == f"联系人：{HOSTILE}\u3000\u3000联系电话：0755-12345678" for t in texts)
    xml = document.element.xml
    assert "<w:t>注入</w:t>" not in xml  # escaped, not markup
    assert xml.count('w:fldCharType="begin"') == 0  # no field made from the text


def test_line_breaks_in_one_line_parts_print_as_spaces(ctx):
    document = _open(letter_docx(_content(salutation="王明委员\n李华委员：")))
    assert "王明委员 李华委员：" in _body_texts(document)
