"""Letters for the demo cases: every assignment past drafting gets the letter(s) its state implies.

The demo's workflow (tracker.demo.seed) moves assignments with `perform_action`, which knows
nothing of letters. `seed_letters` then writes each such assignment's letters directly in the
matching state, without moving the assignment again:

- drafted: a draft; in review: submitted, one pending revision; amends: returned, with the
  reviewer's comment the workflow recorded; signed off, replied, awaiting feedback, closed:
  signed by the supervisor, with its letter date and (within the PDF limit) its archival PDF,
  made the way `sign_reply` makes it. A case sent back for amends before sign-off gets a
  returned revision first; a re-handled case has its first round's signed letter, and its
  second round's letter (if any) points back to it.
- co-handling units write co-handling opinions; about one reply in five uses the prose shape,
  so signed letters of every shape exist; categories are weighted like Shenzhen's (mostly A);
  most replies may be published, a few in part or not at all (with the reason).

PDFs take about 0.3 s each, so only the first `pdf_limit` signed letters (default 80, or the
app's DEMO_PDF_LIMIT setting), current session first, get an archival copy. The others are
signed without one: the model allows it, the letter page shows everything but the PDF, and
`flask replies pdf` says so (use `flask replies docx` for their text). The default demo
(60 proposals) stays under the limit, so every one of its signed letters has its PDF.

Deterministic for a given seed and day, like the rest of the demo. PDFs written before a
rollback stay on disk (the archive never deletes).
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_request_context
from sqlalchemy.orm import selectinload

from tracker.auth.models import Role, User
from tracker.core.audit import AuditEvent, record
from tracker.core.settings import get_setting
from tracker.demo.seed import GIVEN, SURNAMES, Deck
from tracker.directory.models import CouncilSession, ProposerKind
from tracker.extensions import db
from tracker.proposals.models import Assignment, AssignmentRole, CaseType, Proposal
from tracker.proposals.workflow import AssignmentStatus
from tracker.replies.letter import cn_date, letter_content
from tracker.replies.models import (
    Disclosure,
    LetterKind,
    LetterShape,
    Reply,
    ReplyItem,
    ReplyRevision,
    ReplyStatus,
    ReviewOutcome,
)
from tracker.replies.services import default_parts

S = AssignmentStatus
DEFAULT_PDF_LIMIT = 80
CHUNK = 200  # assignments loaded at a time

# The letter of an assignment's current round, by the assignment's state.
LETTER_STATUS: dict[S, ReplyStatus] = {
    S.DRAFTED: ReplyStatus.DRAFT,
    S.IN_REVIEW: ReplyStatus.IN_REVIEW,
    S.AMENDS: ReplyStatus.RETURNED,
    S.SIGNED_OFF: ReplyStatus.SIGNED,
    S.REPLIED: ReplyStatus.SIGNED,
    S.AWAITING_FEEDBACK: ReplyStatus.SIGNED,
    S.CLOSED: ReplyStatus.SIGNED,
}
# Shenzhen 2021: A 461, B 119, C 32, D 4 of 616.
CATEGORY_WEIGHTS = (75, 19, 5, 1)

PARTIAL_REASONS = (
    "答复中涉及尚在论证的项目选址和资金安排，公开时删除相关内容，仅公开答复摘要。",
    "答复附有涉及个人信息的统计明细，公开时予以删除。",
)
NOT_PUBLIC_REASONS = (
    "答复涉及尚未公布的规划方案和内部工作安排，属于过程性信息，依照《中华人民共和国政府信息公开条例》第十六条不予公开。",
    "答复内容涉及正在办理的执法案件，公开后可能影响调查处理，暂不公开。",
)

# ---- the words -------------------------------------------------------------------------------

DONE = (
    "{year}年以来，{self}将{core}列为年度重点工作，制定了专项工作方案，明确了任务分工和完成时限。目前，{focus}相关工作已在全市全面铺开，各区均已明确专人负责。",
    "围绕{focus}，{self}会同{partner}等单位开展了专题调研，走访了{n}个街道和{m}家相关企业、社区，梳理出问题清单{k}项，目前已整改完成{k2}项，其余事项正按计划推进。",
    "截至{past_year}年{past_month}月底，全市已累计完成相关项目{n}个，惠及群众约{m}万人次。第三方评估显示，群众对相关工作的满意度较上年提升{k}个百分点。",
    "{self}已将委员建议吸纳进《深圳市{core}工作方案》，并于{past_year}年{past_month}月印发实施，从制度层面对{focus}作出明确规定，细化了各区、各部门的职责分工。",
    "为推动建议落地见效，{self}建立了“周调度、月通报”工作机制，对进度滞后的区和单位及时督促，并将完成情况纳入年度绩效考核。",
    "{self}积极争取市财政支持，{year}年安排专项资金{money}亿元用于{focus}，并指导各区加大配套投入，形成市区联动的保障格局。",
)
PLANNED = (
    "委员提出的建议很有针对性，{self}高度认同。目前，{focus}已列入{next_year}年度工作计划，{self}正会同{partner}研究制定具体实施方案，预计于{next_year}年{month}月前完成。",
    "{self}已在{districts}个区开展试点，初步积累了一定经验。下一步，将在总结试点经验的基础上，于{next_year}年底前在全市范围推广，并适时将成熟做法上升为制度规范。",
    "考虑到项目涉及资金安排和用地保障，{self}已向市发展改革部门申报{next_year}年度政府投资项目计划，待批复后抓紧组织实施，并及时向委员通报进展。",
)
LIMITED = (
    "委员的建议具有前瞻性。经认真研究，{focus}涉及上位法律法规和国家有关政策的调整，目前我市尚不具备全面实施的条件。",
    "{self}将持续跟踪国家和省有关政策动向，加强与上级主管部门的沟通汇报，待条件成熟时再研究推进，并及时向委员通报有关情况。",
)
REFERENCE = (
    "委员的建议对我们做好相关工作具有重要参考价值。{self}将认真吸收委员的意见，在今后研究制定相关政策时予以统筹考虑。",
)
NEXT_STEPS = (
    "下一步，{self}将继续加强与各区、各部门的协同配合，持续跟踪建议落实情况，不断提升工作实效。",
    "下一步，{self}将认真吸收委员的意见建议，进一步完善工作机制，加大宣传力度，推动各项措施落地见效。",
    "下一步，{self}将对标先进城市的经验做法，在{core}方面查找差距、补齐短板，不断提升工作水平。",
)
SECTIONS = (
    (
        "健全工作机制",
        "成立了由分管领导任组长的工作专班，建立部门联席会议制度，定期研究解决{focus}中的重点难点问题。",
    ),
    (
        "强化统筹协调",
        "加强与{partner}等单位的沟通协作，打通数据共享和业务协同的堵点，形成工作合力。",
    ),
    (
        "加大资金保障",
        "{year}年市区两级财政共安排资金{money}亿元，重点支持{focus}相关项目建设和运营。",
    ),
    (
        "加强宣传引导",
        "通过政府网站、“i深圳”客户端和社区宣传栏等渠道，开展政策解读{n}场次，提高政策知晓率。",
    ),
    (
        "严格督促检查",
        "将相关任务纳入年度重点督办事项，采取“四不两直”方式开展实地检查{n}次，发现问题即知即改。",
    ),
)
CO_ANSWERS = (
    "{self}职责范围内，{focus}相关工作已纳入我{short}年度计划。{self}将积极配合主办单位做好相关工作，按要求提供政策和数据支持。",
    "该项建议主要涉及主办单位职责。{self}将结合自身职能，在{focus}方面积极配合，及时向主办单位反馈工作进展。",
    "{year}年以来，{self}在职责范围内推动{focus}，累计完成相关工作{n}项。下一步，{self}将继续与主办单位加强协作，共同推动建议落实。",
)
SHORTS = (("委员会", "委"), ("办公室", "办"), ("中心", "中心"), ("支队", "支队"), ("公司", "公司"))


def _self_name(unit_name: str) -> str:
    """How a unit calls itself in a letter: 我局, 我委, 我办 …"""
    if unit_name.endswith("局"):
        return "我局"
    if unit_name.endswith(("联合会", "总工会", "协会")):
        return "我会"
    for suffix, short in SHORTS:
        if unit_name.endswith(suffix):
            return f"我{short}"
    return "我单位"


def _focus(suggestion: str) -> str:
    """The gist of a suggestion as the letter quotes it: 建议由…牵头，X，Y。 -> X."""
    text = re.sub(r"^建议(由.{1,20}?牵头，|市有关部门|各区和市有关部门)?", "", suggestion.strip())
    text = re.split(r"[，。；,;]", text, maxsplit=1)[0].strip()
    return text[:40] or "该项建议"


def _core(title: str) -> str:
    """关于X的提案 -> X."""
    core = title.removeprefix("关于")
    for tail in ("的提案", "的建议"):
        core = core.removesuffix(tail)
    return core[:30] or title


# ---- the builder -----------------------------------------------------------------------------


class LetterBuilder:
    def __init__(self, rng: random.Random, today: date, pdf_limit: int) -> None:
        self.rng, self.today, self.pdf_limit = rng, today, pdf_limit
        self.pdfs = 0
        self.created = 0
        self.shape_deck = Deck(rng, [LetterShape.PROSE] + [LetterShape.TABLE] * 4)
        self.disclosure_deck = Deck(
            rng, [Disclosure.PARTIAL, Disclosure.NOT_PUBLIC] + [Disclosure.PUBLIC] * 22
        )
        codes = [c["code"] for c in get_setting("result_categories")]
        weights = list(CATEGORY_WEIGHTS[: len(codes)]) + [1] * max(0, len(codes) - 4)
        self.categories = (codes, weights)
        self.contacts: dict[int, tuple[str, str, str]] = {}
        self.used: set = set()  # paragraphs the current letter already has
        self.doc_numbers: dict[tuple[int, int], int] = defaultdict(lambda: 10)
        self.supervisor: User | None = None
        self.clerks: dict[int, User] = {}
        self.reload_users()

    def reload_users(self) -> None:
        users = db.session.scalars(sa.select(User)).unique().all()
        self.supervisor = next((u for u in users if u.username == "supervisor"), None)
        if self.supervisor is None:
            self.supervisor = next((u for u in users if u.role is Role.SUPERVISOR), None)
        self.clerks = {}
        for user in sorted(users, key=lambda u: u.id):
            if user.role is Role.CLERK and user.unit_id and user.unit_id not in self.clerks:
                self.clerks[user.unit_id] = user

    # ---- people and numbers ----

    def _name(self) -> str:
        rng = self.rng
        return rng.choice(SURNAMES) + "".join(
            rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2)))
        )

    def contact(self, assignment: Assignment) -> tuple[str, str, str]:
        """(contact person, phone, signing-off leader) of a unit: the same on all its letters."""
        unit_id = assignment.unit_id
        if unit_id not in self.contacts:
            clerk = self.clerks.get(unit_id)
            person = clerk.display_name.split("（")[0].strip() if clerk else self._name()
            phone = (clerk.phone if clerk else None) or (
                f"0755-{self.rng.choice('28')}{self.rng.randint(1000000, 9999999)}"
            )
            self.contacts[unit_id] = (person or self._name(), phone, self._name())
        return self.contacts[unit_id]

    def _doc_number(self, assignment: Assignment, year: int) -> str:
        unit = assignment.unit
        abbr = (unit.short_name or unit.name).removeprefix("市").removeprefix("深圳")[:1]
        key = (assignment.unit_id, year)
        self.doc_numbers[key] += self.rng.randint(1, 9)
        return f"深{abbr}函〔{year}〕{self.doc_numbers[key]}号"

    # ---- text ----

    def _fill(self, template: str, assignment: Assignment, focus: str, ref: date) -> str:
        rng = self.rng
        proposal = assignment.proposal
        partners = [a.unit.short_name or a.unit.name for a in proposal.assignments]
        partners = [
            p for p in partners if p != (assignment.unit.short_name or assignment.unit.name)
        ]
        partner = rng.choice(partners) if partners else "各区政府"
        self_name = _self_name(assignment.unit.name)
        past = ref.replace(day=1) - timedelta(days=rng.randint(1, 80))  # a month-end gone by
        return template.format(
            self=self_name,
            short=self_name.removeprefix("我"),
            focus=focus,
            core=_core(proposal.title),
            partner=partner,
            year=ref.year,
            next_year=ref.year + 1,
            month=rng.randint(3, 11),
            past_year=past.year,
            past_month=past.month,
            money=rng.choice(("0.6", "1.2", "1.8", "2.5", "3.6", "4.2")),
            districts=rng.randint(2, 6),
            n=rng.randint(3, 40),
            m=rng.randint(12, 300),
            k=rng.randint(2, 12),
            k2=rng.randint(1, 2),
        )

    def _take(self, pool: tuple, count: int = 1) -> list:
        """`count` entries of `pool`, preferring ones this letter has not used yet."""
        fresh = [t for t in pool if t not in self.used]
        picked = self.rng.sample(fresh if len(fresh) >= count else list(pool), count)
        self.used.update(picked)
        return picked

    def answer(
        self, assignment: Assignment, suggestion: str, category: str | None, ref: date
    ) -> str:
        """A few paragraphs answering one suggestion; some with 一、 and （一） headings."""
        rng = self.rng
        focus = _focus(suggestion)

        def fill(template: str) -> str:
            return self._fill(template, assignment, focus, ref)

        if assignment.role is AssignmentRole.CO:
            return fill(self._take(CO_ANSWERS)[0])
        codes = self.categories[0]
        position = codes.index(category) if category in codes else 0
        if position == 0 and rng.random() < 0.4:
            sections = self._take(SECTIONS, rng.choice((2, 3)))
            lines = ["一、工作开展情况"]
            for n, (heading, body) in enumerate(sections, start=1):
                lines.append(f"（{'一二三四五'[n - 1]}）{heading}。{fill(body)}")
            lines += ["二、下一步工作", fill(self._take(NEXT_STEPS)[0])]
            return "\n".join(lines)
        if position == 0:
            paras = [fill(t) for t in self._take(DONE, rng.choice((2, 3)))]
        elif position == 1:
            paras = [fill(t) for t in self._take(DONE) + self._take(PLANNED, 2)]
        elif position == 2:
            paras = [fill(t) for t in LIMITED]
        else:
            paras = [fill(t) for t in REFERENCE]
        if position < 2 and rng.random() < 0.6:
            paras.append(fill(self._take(NEXT_STEPS)[0]))
        return "\n".join(paras)

    def _who(self, proposal: Proposal) -> tuple[str, str]:
        """(whom the unit contacted, how they are referred to afterwards)."""
        first = proposal.first_proposer
        if first is None:
            return "提案人", "提案人"
        if first.kind is ProposerKind.BODY:
            return f"{first.name}相关负责同志", "对方"
        word = "代表" if proposal.case_type is CaseType.SUGGESTION else "委员"
        if len(proposal.proposers) > 1:
            return f"{first.name}{word}等提案人", f"{word}们"
        return f"{first.name}{word}", word

    def process_account(self, assignment: Assignment, round_: int, start: date, end: date) -> str:
        rng = self.rng
        proposal = assignment.proposal
        self_name = _self_name(assignment.unit.name)
        case = proposal.case_type.short
        asked = "代表所提建议" if proposal.case_type is CaseType.SUGGESTION else "提案所提建议"
        end = max(start, end)
        first = min(end, start + timedelta(days=rng.randint(3, 15)))
        second = first + timedelta(days=rng.randint(0, max(0, (end - first).days)))
        if assignment.role is AssignmentRole.CO:
            lead = next((a for a in proposal.assignments if a.role is AssignmentRole.LEAD), None)
            lead_name = lead.unit.name if lead else "主办单位"
            return (
                f"{self_name}收到协办件后高度重视，认真研究{asked}中涉及{self_name}职责的事项。"
                f"{cn_date(first)}，{self_name}承办人通过电话与主办单位{lead_name}进行了沟通，"
                f"就协办意见的重点内容达成一致。"
            )
        who, later = self._who(proposal)
        lines = []
        if round_ > 1:
            lines.append(
                f"{who}对{self_name}首次答复提出了意见。{self_name}高度重视，重新组织研究办理。"
                f"{cn_date(first)}，{self_name}主要负责同志带队登门拜访{who}，当面听取意见建议，"
                f"并就进一步的办理措施进行了深入交流。"
            )
        else:
            lines.append(
                f"收到{case}后，{self_name}高度重视，由分管领导牵头、相关业务处室具体承办，"
                f"认真研究{asked}，并召开专题会议研究办理工作。"
            )
            way = rng.choice(
                (
                    f"通过电话与{who}进行了办前沟通，详细了解{case}背景和具体诉求",
                    f"登门拜访{who}，面对面听取意见建议",
                    f"邀请{who}到{self_name}座谈，介绍相关工作情况并听取意见",
                )
            )
            lines.append(f"{cn_date(first)}，{self_name}{way}。")
            if rng.random() < 0.5:
                lines.append(
                    f"办理过程中，{self_name}于{cn_date(second)}邀请{who}实地察看了有关项目，"
                    "并就下一步工作交换了意见。"
                )
        attitude = rng.choice(("并获得委员认可", "委员对办理工作表示满意", "委员表示理解和认可"))
        if later != "委员" and later != "委员们":
            attitude = rng.choice(("并获得认可", "对方表示理解和认可"))
        lines.append(
            f"答复前，{self_name}已就{case}办理答复与{later}进行了电话沟通汇报，{attitude}。"
        )
        return "\n".join(lines)

    # ---- letters ----

    def letters_for(self, assignment: Assignment, amends: dict[int, list[str]]) -> list[Reply]:
        """Create the assignment's letters, one per round that reached drafting."""
        letters: list[Reply] = []
        rounds = assignment.round
        rehandled_on = None
        if rounds > 1:
            rehandled_on = max(assignment.assigned_on, assignment.due_on - timedelta(days=91))
        for round_ in range(1, rounds + 1):
            if round_ < rounds:
                status = ReplyStatus.SIGNED
            elif assignment.status in LETTER_STATUS:
                status = LETTER_STATUS[assignment.status]
            else:
                break  # re-handling: this round's letter has not been started
            previous = letters[-1] if letters else None
            letters.append(
                self._letter(
                    assignment, round_, status, previous, amends.get(round_, []), rehandled_on
                )
            )
        return letters

    def _dates(
        self, assignment: Assignment, round_: int, rehandled_on: date | None
    ) -> tuple[date, date]:
        """The round's start and the last day its letter can carry."""
        today = self.today
        end = min(assignment.closed_on or today, today)
        if round_ == 1:
            start = assignment.assigned_on
            if rehandled_on is not None and assignment.round > 1:
                end = min(end, rehandled_on - timedelta(days=10))
        else:
            start = rehandled_on or assignment.assigned_on
        return start, max(start, end)

    def _pick(self, low: date, high: date) -> date:
        high = max(low, high)
        return low + timedelta(days=self.rng.randint(0, (high - low).days))

    def _at(self, day: date) -> datetime:
        """A working-hours moment of `day`, in UTC (Beijing 09:00-17:59)."""
        return datetime.combine(day, time(self.rng.randint(1, 9), self.rng.randint(0, 59)))

    def _letter(
        self,
        assignment: Assignment,
        round_: int,
        status: ReplyStatus,
        previous: Reply | None,
        amend_notes: list[str],
        rehandled_on: date | None,
    ) -> Reply:
        rng = self.rng
        proposal = assignment.proposal
        clerk = self.clerks.get(assignment.unit_id)
        co = assignment.role is AssignmentRole.CO
        start, end = self._dates(assignment, round_, rehandled_on)
        self.used = set()
        signed = status is ReplyStatus.SIGNED
        if signed:
            current = round_ == assignment.round and assignment.status is S.SIGNED_OFF
            low = max(start, end - timedelta(days=10)) if current else start + timedelta(days=20)
            high = end if current else min(end, start + timedelta(days=85))
            letter_date: date | None = self._pick(min(low, end), high)
        else:
            letter_date = None
        year = (letter_date or self.today).year

        parts = default_parts(assignment, clerk)
        person, phone, leader = self.contact(assignment)
        category = None
        if not co:
            codes, weights = self.categories
            category = rng.choices(codes, weights=weights)[0]
            if status is ReplyStatus.DRAFT and rng.random() < 0.3:
                category = None  # not chosen yet
        shape = LetterShape.CO_OPINION if co else self.shape_deck.draw()
        disclosure = Disclosure.PUBLIC if co else self.disclosure_deck.draw()
        reason = None
        if disclosure is Disclosure.PARTIAL:
            reason = rng.choice(PARTIAL_REASONS)
        elif disclosure is Disclosure.NOT_PUBLIC:
            reason = rng.choice(NOT_PUBLIC_REASONS)
        parts.update(
            process_account=self.process_account(assignment, round_, start, letter_date or end),
            disclosure=disclosure,
            disclosure_reason=reason,
            category=category,
            contact_person=person,
            contact_phone=phone,
            letter_date=letter_date,
        )
        if shape is LetterShape.PROSE:
            parts.update(
                doc_number=self._doc_number(assignment, year),
                leader_signoff=leader,
                handler=person,
                handler_phone=phone,
            )
        suggestions = [s.text for s in proposal.suggestions] or [""]
        reply = Reply(
            assignment=assignment,
            round=round_,
            previous=previous,
            kind=LetterKind.CO_OPINION if co else LetterKind.REPLY,
            shape=shape,
            status=status,
            created_by_id=getattr(clerk, "id", None),
            signed_by_id=getattr(self.supervisor, "id", None) if signed else None,
            signed_at=self._at(letter_date) if signed else None,
            **parts,
        )
        reply.items = [
            ReplyItem(
                position=n,
                suggestion=s,
                answer=self.answer(assignment, s, category, letter_date or end),
            )
            for n, s in enumerate(suggestions)
        ]
        db.session.add(reply)
        db.session.flush()
        self.created += 1
        record(
            clerk,
            "reply.started",
            reply,
            proposal_id=proposal.id,
            summary=reply.title,
            changes={"round": [None, round_]},
        )
        if status is not ReplyStatus.DRAFT:
            self._revisions(reply, clerk, status, amend_notes, start, letter_date)
        if signed:
            self._sign(reply)
        return reply

    def _revisions(
        self,
        reply: Reply,
        clerk: User | None,
        status: ReplyStatus,
        amend_notes: list[str],
        start: date,
        letter_date: date | None,
    ) -> None:
        """The submitted versions: returned ones (with the workflow's comments), then the last."""
        rng = self.rng
        final = letter_content(reply)
        last_day = letter_date or self.today
        if status is ReplyStatus.RETURNED and not amend_notes:
            amend_notes = ["答复未逐条回应委员的建议，请补充完善后再报。"]
        day = max(start, last_day - timedelta(days=rng.randint(8, 20) * max(1, len(amend_notes))))
        for note in amend_notes:
            revision = ReplyRevision(
                reply=reply,
                number=len(reply.revisions) + 1,
                content=_earlier_version(final, note, self.categories[0]),
                submitted_by_id=getattr(clerk, "id", None),
                submitted_at=self._at(day),
                outcome=ReviewOutcome.RETURNED,
                review_comment=note,
                reviewed_by_id=getattr(self.supervisor, "id", None),
                reviewed_at=self._at(min(last_day, day + timedelta(days=rng.randint(1, 3)))),
            )
            db.session.add(revision)
            db.session.flush()
            self._record_submitted(reply, clerk, revision)
            day = min(last_day, day + timedelta(days=rng.randint(4, 8)))
        if status is ReplyStatus.RETURNED:
            return
        submitted = max(day, last_day - timedelta(days=rng.randint(1, 6)))
        revision = ReplyRevision(
            reply=reply,
            number=len(reply.revisions) + 1,
            content=final,
            submitted_by_id=getattr(clerk, "id", None),
            submitted_at=self._at(min(submitted, self.today)),
        )
        db.session.add(revision)
        db.session.flush()
        self._record_submitted(reply, clerk, revision)

    def _record_submitted(self, reply: Reply, clerk: User | None, revision: ReplyRevision) -> None:
        record(
            clerk,
            "reply.submitted",
            reply,
            proposal_id=reply.assignment.proposal_id,
            changes={"revision": [None, revision.number]},
        )

    def _sign(self, reply: Reply) -> None:
        """As sign_reply does: freeze, date, archive the PDF (within the limit), audit."""
        from tracker.documents import storage
        from tracker.replies.services import render_letter_pdf

        supervisor = self.supervisor
        revision = reply.revisions[-1]
        revision.outcome = ReviewOutcome.SIGNED
        revision.reviewed_by_id = reply.signed_by_id
        revision.reviewed_at = reply.signed_at
        revision.content = letter_content(reply)
        if self.pdfs < self.pdf_limit:
            pdf = render_letter_pdf(reply, archival=True)
            reply.pdf_path, reply.pdf_sha256, reply.pdf_size = storage.store(
                Path(current_app.config["ARCHIVE_DIR"]), pdf
            )
            self.pdfs += 1
        db.session.flush()
        record(
            supervisor,
            "reply.signed",
            reply,
            proposal_id=reply.assignment.proposal_id,
            changes={"pdf_sha256": [None, reply.pdf_sha256], "category": [None, reply.category]},
        )


def _earlier_version(final: dict[str, Any], note: str, codes: list[str]) -> dict[str, Any]:
    """The version a reviewer sent back: shorter answers, a thinner account, maybe another
    category (when the comment was about the category)."""
    content = {
        **final,
        "parts": dict(final["parts"]),
        "items": [dict(i) for i in final["items"]],
    }
    first = content["items"][0]
    first["answer"] = first["answer"].split("\n", 1)[0]
    account = content["parts"]["process_account"]
    content["parts"]["process_account"] = account.split("\n", 1)[0]
    category = content["parts"].get("category")
    if "类别" in note and category in codes and len(codes) > 1:
        content["parts"]["category"] = codes[(codes.index(category) + 1) % len(codes)]
    content["parts"]["letter_date"] = None
    return content


def _amend_notes(assignment_ids: list[int]) -> dict[int, dict[int, list[str]]]:
    """The workflow's return-for-amends comments, per assignment and handling round."""
    rows = db.session.execute(
        sa.select(AuditEvent.object_id, AuditEvent.action, AuditEvent.summary)
        .where(
            AuditEvent.object_type == Assignment.__tablename__,
            AuditEvent.object_id.in_(assignment_ids),
            AuditEvent.action.in_(("assignment.return_for_amends", "assignment.rehandle")),
        )
        .order_by(AuditEvent.seq)
    )
    notes: dict[int, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    rounds: dict[int, int] = defaultdict(lambda: 1)
    for object_id, action, summary in rows:
        if action == "assignment.rehandle":
            rounds[object_id] += 1
        else:
            notes[object_id][rounds[object_id]].append(summary or "请修改后再报。")
    return notes


def seed_letters(
    progress: Callable[[int, int], None] | None = None,
    *,
    seed: int = 2025,
    pdf_limit: int | None = None,
    today: date | None = None,
    commit_every: int | None = None,
) -> int:
    """Create the letters of every assignment past drafting that has none; return how many.

    Needs an app context; pushes a test request context for the templates if there is none.
    `commit_every` commits (and empties the session) after that many assignments, for big
    runs; otherwise the caller commits.
    """
    if not has_request_context():
        with current_app.test_request_context():
            return seed_letters(
                progress, seed=seed, pdf_limit=pdf_limit, today=today, commit_every=commit_every
            )
    if pdf_limit is None:
        pdf_limit = int(current_app.config.get("DEMO_PDF_LIMIT", DEFAULT_PDF_LIMIT))
    builder = LetterBuilder(random.Random(seed * 7919 + 3), today or date.today(), pdf_limit)
    has_letter = sa.exists().where(Reply.assignment_id == Assignment.id)
    ids = db.session.scalars(
        sa.select(Assignment.id)
        .join(Proposal, Assignment.proposal_id == Proposal.id)
        .join(CouncilSession, Proposal.session_id == CouncilSession.id)
        .where(
            sa.or_(Assignment.status.in_(list(LETTER_STATUS)), Assignment.round > 1),
            ~has_letter,
        )
        .order_by(CouncilSession.year.desc(), Proposal.id, Assignment.id)
    ).all()
    step = commit_every or CHUNK
    done = 0
    for offset in range(0, len(ids), step):
        chunk = ids[offset : offset + step]
        notes = _amend_notes(chunk)
        loaded = db.session.scalars(
            sa.select(Assignment)
            .where(Assignment.id.in_(chunk))
            .options(
                selectinload(Assignment.proposal).selectinload(Proposal.suggestions),
                selectinload(Assignment.proposal).selectinload(Proposal.proposer_links),
                selectinload(Assignment.proposal).selectinload(Proposal.assignments),
            )
        ).all()
        by_id = {a.id: a for a in loaded}
        for assignment_id in chunk:
            builder.letters_for(by_id[assignment_id], notes.get(assignment_id, {}))
            done += 1
            if progress is not None:
                progress(done, len(ids))
        db.session.flush()
        if commit_every and offset + step < len(ids):
            db.session.commit()
            db.session.expunge_all()
            builder.reload_users()
    return builder.created
