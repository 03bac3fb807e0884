"""The printed letter: what the PDF says, how it is laid out, what it refuses, how it is archived.

Letters are set up through the services (start, save a draft, submit, sign off) and rendered once
per module; the checks read the PDFs back with poppler (pdftotext, pdffonts, pdfinfo), pdfplumber
and pikepdf. Layout figures are GB/T 9704-2012's (../shared/DOMAIN.md): A4, margins top 37 mm,
right 26 mm, bottom 35 mm, left 28 mm; 16 pt body, 22 pt title, 14 pt page numbers.

Defects found while writing these tests are kept as strict xfails, each naming the file to fix:
when one is fixed its test passes, and strict mode then asks for the marker to be removed.
"""

from __future__ import annotations

import html
import io
import json
import logging
import re
import shutil
import socket
import subprocess
import threading
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pdfplumber
import pikepdf
import pytest

from tests.conftest import _empty_tables, make_proposal, make_session, make_unit, make_user
from tests.conftest import set_status as put_in_status
from tracker.auth.models import Role
from tracker.documents import render as render_module
from tracker.documents.render import STATIC_DIR, engine, render_pdf
from tracker.documents.storage import ArchiveError, sha256
from tracker.documents.text import Block, paragraphs
from tracker.extensions import db
from tracker.proposals.models import AssignmentRole
from tracker.proposals.workflow import AssignmentStatus
from tracker.replies.letter import PART_FIELDS, letter_content
from tracker.replies.models import LetterShape
from tracker.replies.services import (
    LetterDraft,
    archived_pdf,
    render_letter_pdf,
    save_draft,
    sign_reply,
    start_reply,
    submit_reply,
)

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdffonts") is None,
    reason="poppler-utils is not installed",
)

MM = 72 / 25.4
PAGE_W, PAGE_H = 210 * MM, 297 * MM
LEFT, RIGHT = 28 * MM, PAGE_W - 26 * MM
TOP, BOTTOM = 37 * MM, PAGE_H - 35 * MM
FAMILIES = {"Noto Serif CJK SC", "Noto Sans CJK SC", "LXGW WenKai"}
PAGE_NUMBER = re.compile(r"—\s*(\d+)\s*—")
LETTER_DATE = date(2025, 9, 8)
DEFINITIONS = (
    "（A类：提案所提问题已经解决或基本解决；B类：提案所提问题正在解决或已列入计划准备解决；"
    "C类：提案所提问题因受目前条件限制或其他原因需以后研究解决；D类：留作参考。）"
)

# ---- the letters' text (written for these tests) ----

TITLE = "关于加快老旧小区加装电梯工作的提案"
SUGGESTIONS = [
    "建议一、简化加装电梯审批流程。",
    "建议二、加大财政补贴和金融支持力度。",
    "建议三、建立电梯长效维护管理机制。",
]
ANSWERS = [
    "一、审批流程已经优化。我局会同市规划和自然资源局修订了既有住宅加装电梯指导意见，"
    "将规划、施工、验收三个环节合并为一次联合审查，办理时限由六十个工作日压缩到二十个工作日。"
    "\n二、推行线上办理。申请材料可以通过政务服务网一次提交，各区住房建设部门在五个工作日内"
    "完成形式审查，并通过短信告知申请人。",
    "我局高度重视加装电梯的资金保障问题。\n（一）财政补贴。市、区两级财政按照每台电梯十五万元的"
    "标准给予补贴，对困难家庭较多的小区，区财政可以再提高补贴比例，今年已拨付补贴资金三千二百万元。"
    "\n（二）金融支持。我局与三家商业银行签订合作协议，为业主提供期限最长十年的低息贷款，"
    "并允许提取住房公积金用于支付加装费用。\n1.试点小区。在福田、罗湖两区选取十个小区先行试点，"
    "总结经验后在全市推广。\n2.跟踪评估。每半年对补贴资金使用情况开展一次评估，确保资金用在实处。",
    "一、明确维护责任。加装电梯投入使用后，由业主共同委托具备资质的维保单位负责日常维护保养，"
    "维保费用由受益业主按照楼层分摊。\n二、加强安全监管。市场监管部门将加装电梯纳入特种设备"
    "安全监管范围，每年至少开展一次全面检验，发现隐患立即督促整改。\n三、探索保险机制。鼓励业主"
    "购买电梯安全责任保险，降低运行风险，切实保障居民出行安全。",
]
ACCOUNT = (
    "收到提案后，我局主要负责同志专门作出批示，分管领导带队赴三个试点小区实地调研，"
    "并于8月20日邀请委员参加座谈会，当面听取意见。\n"
    "已就提案办理答复与委员进行了电话沟通汇报，委员对办理工作表示满意。"
)
CONTACT_PERSON, CONTACT_PHONE = "周敏", "0755-83216540"

# A "long answer": one row whose answer runs over several pages.
LONG_PARAGRAPHS = [
    f"第{n}段。本段说明城市更新项目中公共配套设施的建设安排，包括社区养老服务站、"
    "幼儿托育点、口袋公园和停车设施的选址、投资和进度，相关部门将按季度向社会公布。"
    for n in range(1, 31)
]


# ---- hostile text: every part carries some of it ----


@dataclass
class Listener:
    """A TCP server on 127.0.0.1 that records every connection made to it."""

    sock: socket.socket = field(default_factory=socket.socket)
    hits: list = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> Listener:
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    @property
    def port(self) -> int:
        return self.sock.getsockname()[1]

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, peer = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(0.5)
                try:
                    data = conn.recv(1024)
                except OSError:
                    data = b""
                self.hits.append((peer, data))

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


def hostile_texts(port: int, *, controls: bool = True) -> dict[str, str]:
    """Markup, URLs, bidi and zero-width marks, emoji, combining and control characters."""
    url = f"http://127.0.0.1:{port}"
    script = "<script>alert(1)</script>"
    img = '<img src="file:///etc/passwd">'
    link = f'<link rel=stylesheet href="{url}/x.css">'
    css = "url(file:///etc/passwd)"
    bidi = "\u200f甲\u202e乙丙\u202c\u2067丁\u2069"  # RLM, RLO…PDF, RLI…PDI
    zw = "家\u200d人\u200b\u2060\ufeff"  # ZWJ, ZWSP, word joiner, BOM
    emoji = "👨\u200d👩\u200d👧🇨🇳👍🏽"
    combining = "e\u0301a\u0308Z\u0336\u0337\u0338\u0321\u031b\u0316"
    # No NUL here: PostgreSQL refuses it and save_draft does not drop it yet (see
    # test_save_draft_drops_control_characters); the other C0/C1 controls are stored fine.
    ctl = "\x01\x07\x08\x0b\x0c\x1b[31m\x7f\x85" if controls else ""
    digits = "0123456789" * 300
    latin = "abcdefghijklmnopqrstuvwxyz" * 115 + "abcdefghij"
    mix = f"{script}{img}{link}{css}{bidi}{zw}{emoji}{combining}{ctl}"
    return {
        "attachment_marker": f"附件{ctl}<b>1</b>",
        "doc_number": f"{script}〔2025〕{ctl}",
        "title": f"{script}关于{img}{bidi}{emoji}{ctl}的答复函",
        "salutation": f"{link}{zw}{combining}{ctl}委员：",
        "opening": f"{script}{mix}{latin[:400]}",
        "process_account": f"{mix}\n{script}{css}\n{digits}",
        "closing": f"{script}{ctl}",
        "signing_unit": f"{img}{bidi}{ctl}",
        "contact_person": f"{script}{ctl}",
        "contact_phone": f"{link[:36]}{ctl}",
        "leader_signoff": f"{script}{emoji}",
        "handler": f"{css}{zw}",
        "handler_phone": f"{img}{ctl}"[:50],
        "suggestion": f"建议一、{script}{mix}{digits[:200]}",
        "answer": f"一、{script}。{mix}\n{latin}\n（一）{img}{link}\n1.{bidi}{emoji}{combining}",
        "digits": digits,
        "latin": latin,
    }


# ---- helpers ----


def pdftotext(pdf: Path, *args: str) -> str:
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", *args, str(pdf), "-"],
        capture_output=True,
        check=True,
        timeout=60,
    )
    return done.stdout.decode("utf-8", errors="replace")  # a .notdef may map to junk


def flat(text: str) -> str:
    """The text with every blank and every page number removed, so lines join up."""
    return PAGE_NUMBER.sub("", re.sub(r"\s+", "", text))


def assert_in_order(text: str, parts: list[str]) -> None:
    pos = 0
    for part in parts:
        found = text.find(part, pos)
        assert found != -1, f"{part!r} not found after position {pos}: …{text[pos : pos + 80]}…"
        pos = found + len(part)


def pdffonts(pdf: Path) -> list[dict]:
    out = subprocess.run(
        ["pdffonts", str(pdf)], capture_output=True, check=True, text=True, timeout=60
    ).stdout
    fonts = []
    for line in out.splitlines()[2:]:
        tokens = line.split()
        fonts.append(
            {
                "name": tokens[0],
                "emb": tokens[-5],
                "sub": tokens[-4],
                "uni": tokens[-3],
            }
        )
    return fonts


def family(font_name: str) -> str:
    """TSPJMR+Noto-Serif-CJK-SC-Bold -> Noto Serif CJK SC."""
    base = font_name.split("+", 1)[-1]
    base = re.sub(r"-(Bold|Regular|Light|Medium)$", "", base)
    return base.replace("-", " ")


def page_number_chars(page) -> list[dict]:
    return [c for c in page.chars if c["top"] > BOTTOM]


def page_number_text(page) -> str:
    return "".join(c["text"] for c in sorted(page_number_chars(page), key=lambda c: c["x0"]))


WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
)


def poppler_words(pdf: Path) -> list[list[tuple[float, float, float, float, str]]]:
    """Each page's words with their boxes, as poppler sees them (pdftotext -bbox).

    pdfminer (under pdfplumber) cannot decode the embedded CMaps WeasyPrint writes once a
    .notdef glyph is drawn, so the checks that must hold for any text use poppler.
    """
    pages = pdftotext(pdf, "-bbox").split("<page ")[1:]
    return [
        [
            (float(a), float(b), float(c), float(d), html.unescape(t))
            for a, b, c, d, t in WORD.findall(page)
        ]
        for page in pages
    ]


def slack(text: str) -> float:
    """1 pt; a combining mark (no advance) may be shifted a little over its base character."""
    return 4 if text and all(unicodedata.combining(ch) for ch in text) else 1


def assert_inside_text_block(pdf: Path) -> None:
    """Every word sits in the text block; only the page number sits below it."""
    for number, words in enumerate(poppler_words(pdf), start=1):
        assert words, f"page {number} is empty"
        body = [w for w in words if w[1] < BOTTOM]
        outside = [
            w
            for w in body
            if w[0] < LEFT - slack(w[4]) or w[2] > RIGHT + slack(w[4]) or w[1] < TOP - 2
        ]
        assert not outside, f"page {number}: words outside the text block: {outside[:5]}"
        assert max(w[3] for w in body) <= BOTTOM + 2, f"page {number}: text below the block"
        below = " ".join(
            w[4] for w in sorted((w for w in words if w[1] >= BOTTOM), key=lambda w: w[0])
        )
        if number == 1:
            assert below == "", f"page 1 has a page number or text below the block: {below!r}"
        else:
            assert PAGE_NUMBER.fullmatch(below), f"page {number}: {below!r} below the block"
            assert int(PAGE_NUMBER.fullmatch(below).group(1)) == number


# ---- the letters, set up through the services and rendered once for the module ----


def _clerk(unit):
    return make_user(Role.CLERK, unit)


def _log_contact(clerk, reply) -> None:
    """The bureau's rules want a contact with the proposer logged before review."""
    from tracker.contacts.services import record_contact

    values = {
        "occurred_at": datetime(2025, 8, 20, 15, 0),
        "way": "meeting",
        "stage": "during",
        "our_people": "分管领导",
        "their_people": "委员本人",
        "summary": "座谈听取意见，委员表示认可。",
        "attitude": "satisfied",
    }
    record_contact(clerk, reply.assignment, values, now=datetime(2025, 9, 1))


def _sign_off(unit, reply, parts: dict, items: list[tuple[str, str]], shape=None):
    clerk = _clerk(unit)
    _log_contact(clerk, reply)
    supervisor = make_user(Role.SUPERVISOR)
    save_draft(clerk, reply, LetterDraft(parts=parts, items=items, shape=shape))
    submit_reply(clerk, reply)
    return sign_reply(supervisor, reply, today=date(2026, 1, 1))


def _reply_for(unit, proposal):
    assignment = next(a for a in proposal.assignments if a.unit_id == unit.id)
    put_in_status(assignment, AssignmentStatus.HANDLING)
    return start_reply(make_user(Role.CLERK, unit), assignment)


def _parts(reply, **changes) -> dict:
    parts = dict(letter_content(reply)["parts"])
    parts.update(
        process_account=ACCOUNT,
        category="A",
        letter_date=LETTER_DATE,
        contact_person=CONTACT_PERSON,
        contact_phone=CONTACT_PHONE,
    )
    parts.update(changes)
    return parts


class _NotdefLog(logging.Handler):
    """Collects WeasyPrint's warnings about characters no font has (drawn as .notdef boxes)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if ".notdef" in message:
            self.messages.append(message)


@contextmanager
def notdef_warnings():
    handler = _NotdefLog()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)


@dataclass
class Letter:
    pdf: bytes
    path: Path  # a copy for the command-line tools
    content: dict  # letter_content() as rendered
    notdef: list[str]  # WeasyPrint's warnings about characters drawn as .notdef boxes
    refused: list[str]  # URLs the engine's fetcher was asked for (and refused) while rendering
    stored: Path | None = None  # the archived file, for a signed letter
    pdf_sha256: str | None = None

    @property
    def title(self) -> str:
        return self.content["parts"]["title"]


@pytest.fixture(scope="module")
def listener():
    server = Listener().start()
    yield server
    server.close()


@pytest.fixture(scope="module")
def letters(_app, tmp_path_factory, listener) -> dict[str, Letter]:
    """Every letter the module checks, rendered once; the database is left empty."""
    out = tmp_path_factory.mktemp("letters")
    fonts = out / "fonts"  # empty: no licensed fonts, so the free Debian faces print
    fonts.mkdir()
    archive = out / "archive"
    letters: dict[str, Letter] = {}

    with pytest.MonkeyPatch.context() as mp, _app.app_context(), notdef_warnings() as notdef:
        mp.setitem(_app.config, "ARCHIVE_DIR", str(archive))
        mp.setitem(_app.config, "FONTS_DIR", str(fonts))
        fetcher = engine(fonts).fetcher
        _empty_tables()

        def keep(name: str, reply, since: int | None = None) -> Letter:
            """Render a draft (or take a signed letter's archived PDF) and keep what the checks
            need; `since` counts the fetcher's refusals from before a sign-off rendered it."""
            seen = len(fetcher.refused) if since is None else since
            stored = archive / reply.pdf_path if reply.pdf_path else None
            pdf = stored.read_bytes() if stored else render_letter_pdf(reply)
            path = out / f"{name}.pdf"
            path.write_bytes(pdf)
            letters[name] = Letter(
                pdf,
                path,
                letter_content(reply),
                list(notdef),
                fetcher.refused[seen:],
                stored,
                reply.pdf_sha256,
            )
            notdef.clear()
            return letters[name]

        try:
            session = make_session("七届三次会议", council="市政协")
            housing = make_unit("市住房和建设局")

            def new_reply(number: str, title: str, proposers: list[str], suggestions: list[str]):
                proposal = make_proposal(
                    session,
                    units=[(housing, AssignmentRole.SOLE)],
                    number=number,
                    title=title,
                    proposers=proposers,
                    suggestions=suggestions,
                )
                return _reply_for(housing, proposal)

            # 1. a typical table letter, signed off: its archival PDF is what the checks read
            reply = new_reply("20250118", TITLE, ["林晓"], SUGGESTIONS)
            seen = len(fetcher.refused)
            _sign_off(housing, reply, _parts(reply), list(zip(SUGGESTIONS, ANSWERS, strict=True)))
            keep("table", reply, since=seen)

            # 2. one suggestion with an answer several pages long (a draft's PDF)
            suggestion = "建议完善城市更新项目的公共配套。"
            reply = new_reply(
                "20250119", "关于统筹推进城市更新公共配套建设的提案", ["郑远"], [suggestion]
            )
            items = [(suggestion, "\n".join(LONG_PARAGRAPHS))]
            save_draft(_clerk(housing), reply, LetterDraft(parts=_parts(reply), items=items))
            keep("long", reply)

            # 3. hostile text in every part: signed off (so it also goes into the metadata), and
            #    once more without control characters, as a draft
            for name, controls in (("hostile", True), ("hostile_clean", False)):
                hostile = hostile_texts(listener.port, controls=controls)
                reply = new_reply(
                    f"2025012{int(controls)}", "关于网络安全的提案", ["韩冰"], ["建议一"]
                )
                parts = _parts(reply, **{k: v for k, v in hostile.items() if k in PART_FIELDS})
                items = [(hostile["suggestion"], hostile["answer"]), ("建议二", "已采纳。")]
                seen = len(fetcher.refused)
                if controls:
                    _sign_off(housing, reply, parts, items)
                else:
                    save_draft(_clerk(housing), reply, LetterDraft(parts=parts, items=items))
                keep(name, reply, since=seen).content["hostile"] = hostile

            # 4. a short table letter: one row, one line each (a draft)
            suggestion = "建议在学校周边增设过街天桥。"
            reply = new_reply("20250140", "关于改善学校周边交通安全的提案", ["林晓"], [suggestion])
            items = [(suggestion, "已列入明年建设计划。")]
            save_draft(_clerk(housing), reply, LetterDraft(parts=_parts(reply), items=items))
            keep("short", reply)

            # 5. the prose shape (a draft)
            reply = new_reply(
                "20250131",
                "关于规范住宅小区物业管理的提案",
                ["陈立", "吴桐"],
                ["完善业主委员会制度", "加强物业服务监管"],
            )
            items = [
                ("完善业主委员会制度", "我局已印发业主大会和业主委员会指导规则，明确选举程序。"),
                ("加强物业服务监管", "一、开展信用评价。每年公布物业服务企业信用评价结果。"),
            ]
            draft = LetterDraft(parts=_parts(reply), items=items, shape=LetterShape.PROSE)
            save_draft(_clerk(housing), reply, draft)
            keep("prose", reply)

            # 6. a co-handling opinion, addressed to the lead unit
            civil = make_unit("市民政局")
            suggestion = "建议利用社区闲置用房建设养老服务设施。"
            proposal = make_proposal(
                session,
                units=[(civil, AssignmentRole.LEAD), (housing, AssignmentRole.CO)],
                number="151",
                title="关于发展社区嵌入式养老服务的提案",
                proposers=["孙宁"],
                suggestions=[suggestion],
            )
            reply = _reply_for(housing, proposal)
            answer = (
                "我局将配合市民政局梳理可用的社区闲置用房，在老旧小区改造中同步配建养老服务设施。"
            )
            draft = LetterDraft(parts=_parts(reply, category=None), items=[(suggestion, answer)])
            save_draft(_clerk(housing), reply, draft)
            keep("co_opinion", reply)
        finally:
            db.session.rollback()
            db.session.remove()
    return letters


# ---- 1. the ten parts, in order ----


def test_table_letter_holds_the_ten_parts_in_order(letters):
    letter = letters["table"]
    text = flat(pdftotext(letter.path, "-raw"))
    title = "市住房和建设局关于市政协七届三次会议第20250118号提案的答复函"
    assert letter.title == title
    header = "意见建议办理答复"
    first = text.index(header) + len(header)
    text = text[:first] + text[first:].replace(header, "")  # the header repeats on every page
    process = "一、办理过程及其他需要说明的情况"
    assert_in_order(
        text,
        [
            "附件1",
            title,
            "林晓委员：",
            f"《{TITLE}》收悉，现就提案办理有关情况答复如下：",
            header,
            process,
            "收到提案后，我局主要负责同志专门作出批示",
            "委员对办理工作表示满意。",
            "本答复内容可公开。",
            "专此答复。",
            "市住房和建设局",
            "2025年9月8日",
            "二、办理实效评估类别",
            "A类",
            DEFINITIONS,
            f"联系人：{CONTACT_PERSON}",
            f"联系电话：{CONTACT_PHONE}",
        ],
    )
    # the table holds the rows in order: the suggestions, and the answers beside them
    table = text[text.index(header) : text.index(process)]
    # a suggestion may now split at a page break (its answer starts beside it): check the starts
    assert_in_order(table, [s[:8] for s in SUGGESTIONS])
    assert_in_order(table, [re.sub(r"\s+", "", b.text) for a in ANSWERS for b in paragraphs(a)])
    assert "2025年09月08日" not in text


@pytest.mark.parametrize("name", ["table", "long", "short", "prose", "co_opinion"])
def test_fonts_are_embedded_subset_and_the_expected_families(letters, name):
    letter = letters[name]
    fonts = pdffonts(letter.path)
    assert fonts
    for font in fonts:
        assert (font["emb"], font["sub"], font["uni"]) == ("yes", "yes", "yes"), font
        assert re.match(r"^[A-Z]{6}\+", font["name"]), f"not a subset: {font['name']}"
    families = {family(f["name"]) for f in fonts}
    if name == "table":  # body and title in Song, headings in Hei, （一） leads in Kai
        assert families == FAMILIES
    else:
        assert families <= FAMILIES
    assert letter.notdef == [], "a character no font has was drawn as a box"


def test_table_letter_is_a4_with_the_text_in_the_gbt9704_block(letters):
    letter = letters["table"]
    info = subprocess.run(
        ["pdfinfo", str(letter.path)], capture_output=True, text=True, check=True
    ).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    assert pages >= 3, "the typical letter should run to three pages"
    with pdfplumber.open(io.BytesIO(letter.pdf)) as pdf:
        for page in pdf.pages:
            assert abs(page.width - 595) <= 1 and abs(page.height - 842) <= 1
        first = pdf.pages[0]
        chars = first.chars
        assert min(c["x0"] for c in chars) >= LEFT - 1
        assert max(c["x1"] for c in chars) <= RIGHT + 1
        assert min(c["top"] for c in chars) >= TOP - 2
        assert max(c["bottom"] for c in chars) <= BOTTOM + 2
        # the text reaches the margins: the block is used, not merely inside them
        assert min(c["x0"] for c in chars) <= LEFT + 1
        assert min(c["top"] for c in chars) <= TOP + 14  # within half a line pitch
        sizes = Counter(round(c["size"]) for c in chars)
        assert sizes.most_common(1)[0][0] == 16, sizes
        title = [c for c in chars if "Bold" in c["fontname"]]
        assert "".join(c["text"] for c in title) == letter.title
        assert all(abs(c["size"] - 22) < 0.5 for c in title)
        # the 附件 marker and the table headings are in Hei; 一、 headings' leads too
        hei = "".join(c["text"] for c in chars if "Sans" in c["fontname"])
        assert hei.startswith("附件1") and "意见建议" in hei and "办理答复" in hei
        assert "一、审批流程已经优化。" in hei
        # the attachment marker is flush left on the first line
        marker = [c for c in chars if c["text"] == "附"][0]
        assert abs(marker["x0"] - LEFT) <= 1
        # the salutation is flush left, the opening indented two characters
        line = [c for c in chars if c["text"] == "《"][0]
        assert abs(line["x0"] - (LEFT + 32)) <= 2, line["x0"]
    assert_inside_text_block(letter.path)


def test_page_numbers_alternate_sides_and_skip_page_one(letters):
    with pdfplumber.open(io.BytesIO(letters["table"].pdf)) as pdf:
        assert page_number_chars(pdf.pages[0]) == []
        for index in (1, 2):
            page = pdf.pages[index]
            chars = page_number_chars(page)
            assert PAGE_NUMBER.fullmatch(page_number_text(page)).group(1) == str(index + 1)
            assert all(abs(c["size"] - 14) < 0.5 for c in chars)
            assert all("Serif" in c["fontname"] for c in chars)
            x0, x1 = min(c["x0"] for c in chars), max(c["x1"] for c in chars)
            # 7 mm below the text block, inside the page
            assert BOTTOM + 5 * MM <= min(c["top"] for c in chars) <= BOTTOM + 10 * MM
            if index + 1 == 2:  # even page: at the left, one character in
                assert LEFT <= x0 <= LEFT + 14 * 2, x0
            else:  # odd page: at the right, one character in
                assert RIGHT - 14 * 2 <= x1 <= RIGHT, x1
    dashes = pdftotext(letters["table"].path, "-layout")
    assert re.search(r"—\s*2\s*—", dashes) and re.search(r"—\s*3\s*—", dashes)


def stream_text(page) -> str:
    """The page's characters in drawing order: each table cell's text stays together."""
    return "".join(c["text"] for c in page.chars)


def page_of(pdf, needle: str) -> int:
    return next(n for n, page in enumerate(pdf.pages, 1) if needle in stream_text(page))


def test_each_suggestion_starts_beside_its_answer(letters):
    with pdfplumber.open(io.BytesIO(letters["table"].pdf)) as pdf:
        for suggestion, answer in zip(SUGGESTIONS, ANSWERS, strict=True):
            assert page_of(pdf, suggestion[:4]) == page_of(pdf, answer[:6]), suggestion


def test_category_section_stays_on_one_page(letters):
    with pdfplumber.open(io.BytesIO(letters["table"].pdf)) as pdf:
        assert page_of(pdf, "二、办理实效评估类别") == page_of(pdf, "D类：留作参考。）")


@pytest.mark.parametrize(
    "name",
    [
        "table",
        "long",
        "prose",
        "co_opinion",
        "short",
    ],
)
def test_signature_and_date_stay_together_after_the_body(letters, name):
    letter = letters[name]
    signature = "市住房和建设局2025年9月8日"
    with pdfplumber.open(io.BytesIO(letter.pdf)) as pdf:
        pages = [stream_text(page) for page in pdf.pages]
    on = [n for n, text in enumerate(pages, 1) if signature in text]
    assert on, "the signing unit and the date are not together on one page"
    closing = letter.content["parts"]["closing"]
    before = pages[on[0] - 1].split(signature)[0]
    assert closing in before, "the signature page has no body text before the signature"


def test_long_answer_breaks_across_pages_repeating_the_table_header(letters):
    letter = letters["long"]
    with pdfplumber.open(io.BytesIO(letter.pdf)) as pdf:
        spanned = []
        for number, page in enumerate(pdf.pages, start=1):
            text = page.extract_text()
            if any(f"第{n}段" in text for n in range(1, 31)):
                spanned.append(number)
        assert spanned == list(range(1, len(spanned) + 1))
        assert len(spanned) >= 3, f"the long answer spans only pages {spanned}"
        for number in spanned:
            page = pdf.pages[number - 1]
            words = page.extract_words()
            heads = {w["text"]: w for w in words if w["text"] in ("意见建议", "办理答复")}
            assert set(heads) == {"意见建议", "办理答复"}, f"no table header on page {number}"
            assert abs(heads["意见建议"]["top"] - heads["办理答复"]["top"]) < 1
            if number > 1:  # the header heads the continued table
                assert heads["意见建议"]["top"] <= TOP + 16, heads["意见建议"]["top"]
                body = [w for w in words if w["top"] <= BOTTOM]
                assert min(w["top"] for w in body) >= heads["意见建议"]["top"] - 1
    text = flat(pdftotext(letter.path, "-raw")).replace("意见建议办理答复", "")
    for paragraph in LONG_PARAGRAPHS:  # no paragraph lost or cut at a page break
        assert paragraph in text
    assert_inside_text_block(letter.path)


# ---- 2. hostile text ----


@pytest.mark.parametrize("name", ["hostile", "hostile_clean"])
def test_hostile_text_prints_as_text_and_fetches_nothing(letters, listener, name):
    letter = letters[name]
    hostile = letter.content["hostile"]
    raw = pdftotext(letter.path, "-raw")
    assert "<script>alert(1)</script>" in raw
    assert '<img src="file:///etc/passwd">' in raw
    assert "url(file:///etc/passwd)" in raw
    assert f"127.0.0.1:{listener.port}" in raw
    assert "<b>1</b>" in raw
    text = flat(raw).replace("意见建议办理答复", "")
    assert hostile["digits"] in text
    # the suggestion's digits continue beside the answer on the next page: leave them out
    assert hostile["latin"] in re.sub(r"\d", "", text)
    assert "root:x:0:0" not in raw
    # nothing was fetched: the listener saw nothing, and the fetcher was never even asked
    assert listener.hits == []
    assert letter.refused == [], f"hostile text reached the fetcher: {letter.refused}"
    with pikepdf.open(io.BytesIO(letter.pdf)) as pdf:
        assert set(pdf.attachments) <= {"letter.json"}
        for page in pdf.pages:
            assert not page.get_images()


@pytest.mark.parametrize(
    "name",
    [
        "hostile_clean",
        "hostile",
    ],
)
def test_hostile_text_never_overflows_the_text_block(letters, name):
    assert_inside_text_block(letters[name].path)


@pytest.mark.parametrize("name", ["table", "long", "short", "prose", "co_opinion"])
def test_letters_ask_the_fetcher_for_nothing(letters, name):
    assert letters[name].refused == []


def test_hostile_archival_metadata_is_well_formed_xml(letters):
    with pikepdf.open(io.BytesIO(letters["hostile"].pdf)) as pdf:
        ET.fromstring(pdf.Root.Metadata.read_bytes())


@pytest.mark.parametrize("name", ["hostile", "hostile_clean"])
def test_only_emoji_lack_a_glyph_in_hostile_letters(letters, name):
    """Control characters never reach the page; emoji still print as .notdef boxes (no emoji
    font is installed, and PDF/A forbids .notdef): a known limitation, kept from spreading."""
    codes = {int(c, 16) for m in letters[name].notdef for c in re.findall(r"U\+([0-9A-F]+)", m)}
    assert codes, "the hostile letter should exercise characters no font has"
    assert all(code >= 0x1F000 for code in codes), [hex(c) for c in sorted(codes)]


def test_save_draft_drops_control_characters(app, ctx):
    unit = make_unit("市水务局")
    proposal = make_proposal(units=[(unit, AssignmentRole.SOLE)], suggestions=["建议一"])
    reply = _reply_for(unit, proposal)
    dirty = "\x00\x01\x07\x0b\x1b[0m\x7f\x85"
    parts = _parts(
        reply,
        title=f"关于{dirty}的答复函",
        salutation=f"韩冰{dirty}委员：",
        opening=f"收悉{dirty}。",
        signing_unit=f"市水务局{dirty}",
        contact_person=f"周{dirty}敏",
        process_account=f"已沟通{dirty}。",
    )
    save_draft(
        make_user(Role.CLERK, unit),
        reply,
        LetterDraft(parts=parts, items=[(f"建议{dirty}一", f"答复{dirty}。")]),
    )
    db.session.flush()
    content = letter_content(reply)
    texts = [v for v in content["parts"].values() if isinstance(v, str)]
    texts += [t for item in content["items"] for t in item.values()]
    for text in texts:
        bad = [ch for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\n\t"]
        assert not bad, f"{text!r} keeps control characters"


def test_hostile_title_is_the_archival_title_and_the_data_round_trips(letters):
    letter = letters["hostile"]
    with pikepdf.open(io.BytesIO(letter.pdf)) as pdf:
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "3"
        assert "<script>" in meta["dc:title"]
        data = json.loads(pdf.attachments["letter.json"].get_file().read_bytes())
    assert data["items"] == letter.content["items"]
    assert data["parts"] == letter.content["parts"]


def test_render_pdf_refuses_files_and_network_in_raw_html(app, listener):
    url = f"http://127.0.0.1:{listener.port}"
    passwd = "file:///etc/passwd"
    escape = f"{STATIC_DIR.as_uri()}/letters/../../../config.py"
    pixel = (
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
        "YPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
    )
    html = f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
    <link rel="stylesheet" href="{url}/link.css">
    <link rel="attachment" href="{passwd}">
    <style>
      @import url("{url}/import.css");
      @font-face {{ font-family: Evil; src: url("{url}/font.ttf"); }}
      body {{ background: url("{passwd}"); }}
      p.evil {{ font-family: Evil, "Noto Serif CJK SC"; }}
    </style></head><body>
    <p class="evil">正文</p>
    <img src="{passwd}"><img src="{url}/img.png"><img src="{escape}">
    <img src="{pixel}">
    <object data="{url}/object"></object>
    </body></html>"""
    eng = engine(Path(app.config["FONTS_DIR"]))
    before = len(eng.fetcher.refused)
    pdf = render_pdf(html, fonts_dir=Path(app.config["FONTS_DIR"]))
    refused = eng.fetcher.refused[before:]
    assert listener.hits == []
    assert passwd in refused
    assert any(r.startswith(url) for r in refused)
    assert {f"{url}/link.css", f"{url}/img.png", f"{url}/font.ttf"} <= set(refused)
    assert escape in refused
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        assert len(doc.attachments) == 0
        images = [img for page in doc.pages for img in page.get_images().values()]
        assert len(images) == 1, "only the data: image is allowed"
        for obj in doc.objects:
            if isinstance(obj, pikepdf.Stream):
                assert b"root:x:0:0" not in obj.read_bytes()


# ---- 3. the archival PDF ----


def test_archival_pdf_is_pdfa3u_with_its_data_attached(letters):
    letter = letters["table"]
    stored = letter.stored.read_bytes()
    assert stored == letter.pdf
    assert sha256(stored) == letter.pdf_sha256
    with pikepdf.open(io.BytesIO(stored)) as pdf:
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "3"
        assert meta["pdfaid:conformance"] == "U"
        assert meta["dc:title"] == letter.title
        intents = pdf.Root.OutputIntents
        assert len(intents) >= 1
        assert any(str(i.S) == "/GTS_PDFA1" and "/DestOutputProfile" in i for i in intents)
        assert list(pdf.attachments) == ["letter.json"]
        spec = pdf.attachments["letter.json"]
        assert str(spec.obj.AFRelationship) == "/Source"
        assert str(spec.obj.EF.F.Subtype) == "/application/json"
        # PDF/A-3 associates every embedded file with the document through the catalog's /AF
        assert {f.objgen for f in pdf.Root.AF} == {spec.obj.objgen}
        assert ET.fromstring(pdf.Root.Metadata.read_bytes()) is not None  # well-formed XMP
        data = json.loads(spec.get_file().read_bytes())
    assert data == letter.content
    assert data["parts"]["title"] == letter.title
    assert data["parts"]["letter_date"] == "2025-09-08"
    assert [i["suggestion"] for i in data["items"]] == SUGGESTIONS
    check = subprocess.run(["qpdf", "--check", str(letter.path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_archival_catalog_lists_the_attachment_once(letters):
    with pikepdf.open(io.BytesIO(letters["table"].pdf)) as pdf:
        assert len(pdf.Root.AF) == 1


def test_archived_pdf_is_checked_against_its_checksum(app, ctx, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "ARCHIVE_DIR", str(tmp_path))
    unit = make_unit("市交通运输局")
    proposal = make_proposal(
        units=[(unit, AssignmentRole.SOLE)], suggestions=["建议增开夜间公交线路。"]
    )
    reply = _reply_for(unit, proposal)
    _sign_off(unit, reply, _parts(reply), [("建议增开夜间公交线路。", "今年已新开夜间线路六条。")])
    stored = tmp_path / reply.pdf_path
    assert archived_pdf(reply) == stored.read_bytes()
    assert (
        sha256(stored.read_bytes()) == reply.pdf_sha256 and reply.pdf_size == stored.stat().st_size
    )
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0x01
    stored.write_bytes(bytes(data))
    with pytest.raises(ArchiveError):
        archived_pdf(reply)
    stored.unlink()
    with pytest.raises(ArchiveError):
        archived_pdf(reply)


# ---- licensed fonts from the fonts folder ----

WENKAI_MONO = Path("/usr/share/fonts/truetype/lxgw-wenkai/LXGWWenKaiMono-Regular.ttf")


def _render_with_fonts(fonts_dir: Path, tmp_path: Path) -> tuple[list[dict], list[str]]:
    fetcher = engine(fonts_dir).fetcher
    seen = len(fetcher.refused)
    html = '<html lang="zh-CN"><body><p>正文用仿宋。</p></body></html>'
    pdf = tmp_path / "fonts.pdf"
    pdf.write_bytes(render_pdf(html, fonts_dir=fonts_dir))
    return pdffonts(pdf), fetcher.refused[seen:]


@pytest.mark.skipif(not WENKAI_MONO.is_file(), reason="fonts-lxgw-wenkai is not installed")
def test_a_licensed_font_copied_into_the_fonts_folder_prints_the_body(tmp_path):
    fonts_dir = tmp_path / "fonts"
    fonts_dir.mkdir()
    shutil.copy(WENKAI_MONO, fonts_dir / "fangsong.ttf")  # stands in for 仿宋_GB2312
    fonts, refused = _render_with_fonts(fonts_dir, tmp_path)
    assert refused == []
    assert [family(f["name"]) for f in fonts] == ["Tracker FangSong"]
    assert (fonts[0]["emb"], fonts[0]["sub"]) == ("yes", "yes")


@pytest.mark.skipif(not WENKAI_MONO.is_file(), reason="fonts-lxgw-wenkai is not installed")
def test_a_licensed_font_symlinked_into_the_fonts_folder_prints_the_body(tmp_path):
    fonts_dir = tmp_path / "fonts"
    fonts_dir.mkdir()
    (fonts_dir / "fangsong.ttf").symlink_to(WENKAI_MONO)
    fonts, refused = _render_with_fonts(fonts_dir, tmp_path)
    assert refused == []
    assert [family(f["name"]) for f in fonts] == ["Tracker FangSong"]


# ---- 4. the other shapes ----


def test_prose_shape_renders(letters):
    letter = letters["prose"]
    text = flat(pdftotext(letter.path, "-raw"))
    assert_in_order(
        text,
        [
            "A类",
            "同意公开",
            "附件1",
            "市住房和建设局关于市政协七届三次会议第20250131号提案的答复函",
            "陈立委员、吴桐委员：",
            "《关于规范住宅小区物业管理的提案》收悉",
            "一、关于“完善业主委员会制度”",
            "我局已印发业主大会和业主委员会指导规则",
            "二、关于“加强物业服务监管”",
            "一、开展信用评价。",
            "收到提案后",
            "本答复内容可公开。",
            "专此答复。",
            "市住房和建设局",
            "2025年9月8日",
            f"联系人：{CONTACT_PERSON}",
        ],
    )
    assert "意见建议" not in text
    assert_inside_text_block(letter.path)


def test_co_opinion_shape_renders(letters):
    letter = letters["co_opinion"]
    title = "市住房和建设局关于市政协七届三次会议第151号提案协办件的答复"
    assert letter.title == title
    text = flat(pdftotext(letter.path, "-raw"))
    assert_in_order(
        text,
        [
            title,
            "市民政局：",
            "《关于发展社区嵌入式养老服务的提案》收悉",
            "一、关于“建议利用社区闲置用房建设养老服务设施”",
            "我局将配合市民政局梳理可用的社区闲置用房",
            "此复。",
            "市住房和建设局",
            "2025年9月8日",
            f"联系人：{CONTACT_PERSON}",
        ],
    )
    assert not text.startswith("附件")
    assert "办理实效评估类别" not in text and "意见建议" not in text
    with pdfplumber.open(io.BytesIO(letter.pdf)) as pdf:
        salutation = [c for c in pdf.pages[0].chars if c["text"] == "市" and c["size"] < 20]
        assert abs(salutation[0]["x0"] - LEFT) <= 1, "the salutation is flush left"
    assert_inside_text_block(letter.path)


# ---- 5. the text parser ----

PARAGRAPH_CASES = {
    "empty": ("", []),
    "none": (None, []),
    "h1 lead up to 。": (
        "一、总体情况。我局高度重视。",
        [Block("h1", "一、总体情况。", "我局高度重视。")],
    ),
    "h1 short, no 。": ("十二、第十二点", [Block("h1", "十二、第十二点", "")]),
    "h2 full-width brackets": (
        "（一）财政补贴。按标准补贴。",
        [Block("h2", "（一）财政补贴。", "按标准补贴。")],
    ),
    "h2 half-width brackets": ("(二)半角括号", [Block("h2", "(二)半角括号", "")]),
    "h3 1.": ("1.试点先行。在两区试点。", [Block("h3", "1.试点先行。", "在两区试点。")]),
    "h3 full-width point": ("2．全角点号", [Block("h3", "2．全角点号", "")]),
    "decimal is no heading": ("1.5亿元用于补贴。", [Block("p", "", "1.5亿元用于补贴。")]),
    "year is no heading": (
        "2025年9月8日召开座谈会。",
        [Block("p", "", "2025年9月8日召开座谈会。")],
    ),
    "plain paragraph": ("普通段落，没有编号。", [Block("p", "", "普通段落，没有编号。")]),
    "full-width indent stripped": (
        "　　全角空格缩进的段落。　",
        [Block("p", "", "全角空格缩进的段落。")],
    ),
    "blanks stripped": (" \t\u00a0\ufeff前后空白\t ", [Block("p", "", "前后空白")]),
    "CRLF and CR": (
        "第一段\r\n第二段\r第三段",
        [Block("p", "", t) for t in ("第一段", "第二段", "第三段")],
    ),
    "blank lines dropped": (
        "第一段\n\n\n　　\n\t\n第二段\n",
        [Block("p", "", "第一段"), Block("p", "", "第二段")],
    ),
    "control characters removed": (
        "含\x00控\x07制\x1b字\x7f符\x85。",
        [Block("p", "", "含控制字符。")],
    ),
    "inner tab kept": ("行内\t制表符保留", [Block("p", "", "行内\t制表符保留")]),
    "line separator splits": ("段一\u2028段二", [Block("p", "", "段一"), Block("p", "", "段二")]),
    # a numbered line too long for a heading is a paragraph with the number as its lead
    "long h1 without 。": ("一、" + "很长" * 40, [Block("h1", "一、", "很长" * 40)]),
    "h2 with 。 too far": (
        "（三）" + "长" * 70 + "。后文",
        [Block("h2", "（三）", "长" * 70 + "。后文")],
    ),
    "markup stays text": ("<b>标记</b>照原样", [Block("p", "", "<b>标记</b>照原样")]),
}


@pytest.mark.parametrize(("text", "expected"), PARAGRAPH_CASES.values(), ids=PARAGRAPH_CASES.keys())
def test_paragraphs(text, expected):
    assert paragraphs(text) == expected


def missing_libraries() -> list[str]:
    """The start-up check of system libraries (it moved from render.py to system.py)."""
    check = getattr(render_module, "missing_libraries", None)
    if check is None:
        from tracker.documents.system import missing_libraries as check
    return check()


def test_rendering_libraries_are_present():
    assert missing_libraries() == [], "install libharfbuzz-subset0 (see ../shared/PDF-NOTES.md)"
