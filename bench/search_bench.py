"""How fast the case list answers searches, on SQLite and PostgreSQL, as the data grows.

Not part of the test run. From the repository root:

    .venv/bin/python bench/search_bench.py [--sizes 1000,100000] [--requests 20]

In one process, for each database (a throwaway SQLite file in a temporary folder; a throwaway
PostgreSQL database created on --pg-url and dropped afterwards, skipped with a message when the
server cannot be reached) and each size: bulk-loads that many proposals with core inserts in
batches of 5,000 (suggestions, proposers, assignments over 80 units, reply items and contact
notes; 碳普惠 planted in 1 title, 1 answer and 1 contact note per 1,000 proposals), rebuilds the
search index with tracker.search.index.rebuild() (timed), runs ANALYZE on PostgreSQL, then
signs in as a supervisor with the Flask test client and times, round-robin after a warm-up,
GET /healthz (the floor), the unfiltered case list and four searches. Reports p50 and p95, each
page's p95 as a multiple of the /healthz p95 of the same database and size, and the SQL
statements each page runs (before_cursor_execute on the engine; on SQLite that includes the
app's own BEGIN), and the median CPU time of this process per request (Flask, templates and
SQLite; not the PostgreSQL server's) to tell work from waiting on a shared machine.
Goals: every search page's p95 at most 10x the /healthz p95 at the largest size, and at most
1.5x its own p95 at the smallest size. Prints a table and writes bench/results/search.json
(git-ignored).
"""

from __future__ import annotations

import time

T0 = time.perf_counter()

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from datetime import date, datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import quote  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results" / "search.json"

import sqlalchemy as sa  # noqa: E402

BATCH = 5_000  # proposals per core-insert transaction
PASSWORD = "bench-password-9"  # the supervisor's, on a throwaway database
RARE = "碳普惠"  # planted: 1 title, 1 answer and 1 contact note per 1,000 proposals
PAGES = [  # (key, label, path)
    ("healthz", "GET /healthz (floor)", "/healthz"),
    ("list", "GET /proposals", "/proposals"),
    ("rare", f"q={RARE} (rare)", "/proposals?q=" + quote(RARE)),
    ("common", "q=养老服务 (common)", "/proposals?q=" + quote("养老服务")),
    ("none", "q=不存在的词语 (no match)", "/proposals?q=" + quote("不存在的词语")),
    ("short", "q=养老 (2 characters)", "/proposals?q=" + quote("养老")),
]
SEARCHES = ["rare", "common", "none", "short"]
QUERY_OF = {"rare": RARE, "common": "养老服务", "none": "不存在的词语", "short": "养老"}
GOAL_VS_FLOOR = 10.0
GOAL_GROWTH = 1.5

# ---------- the data: policy vocabulary, none of it able to form 碳普惠 or 不存在的词语 ----------


def _words(text: str) -> list[str]:
    return text.split()


VERBS = _words(
    "推进 加强 完善 优化 加快 促进 提升 深化 健全 规范 强化 落实 支持 鼓励 推动 探索 "
    "统筹 扩大 改善 保障"
)
TOPICS = _words(
    "养老服务 社区治理 垃圾分类 污水处理 公共交通 停车设施 学位供给 托育服务 儿童友好 "
    "青少年心理健康 基层医疗 中医药传承 食品安全 药品监管 应急管理 消防安全 营商环境 "
    "中小企业融资 人才引进 住房保障 城中村改造 老旧小区改造 加装电梯 充电设施 绿色低碳 "
    "生态修复 河湖治理 海洋经济 数字经济 人工智能 智慧城市 政务服务 数据开放 乡村振兴 "
    "农业现代化 文化遗产保护 公共文化服务 全民健身 体育场馆开放 旅游消费 夜间经济 "
    "物流枢纽 港口建设 机场建设 轨道交通 慢行系统 噪声治理 职业教育 高校建设 科技创新 "
    "知识产权保护 就业创业 灵活就业人员权益 残疾人服务 困境儿童保护 社会救助 医保支付 "
    "家庭医生签约 居家养老 无障碍环境 防汛抗旱 地质灾害防治 燃气安全 电动自行车管理"
)
SUFFIXES = _words("建设 工作 体系 机制 发展 管理 服务 能力 水平 保障")
OPENINGS = [
    "近年来，我市{t}取得明显成效，但仍存在{t2}覆盖不足、标准不一等问题。",
    "调研发现，{t}与群众期待相比还有差距，{t2}方面短板较为突出。",
    "随着城市发展，{t}需求快速增长，{t2}供给相对滞后。",
    "目前{t}工作涉及多个部门，{t2}协同推进机制尚未健全。",
]
SENTENCES = [
    "建议{v}{t}{s}，{v2}{t2}{s2}。",
    "由{u}牵头，{v}{t}{s}，明确时间表和责任人。",
    "{v}{t}与{t2}衔接，形成工作合力。",
    "加大财政投入，{v}{t}{s}，建立考核评价制度。",
]
ANSWERS = [
    "我局高度重视，已会同相关部门{v}{t}{s}，今年计划完成阶段性任务。",
    "下一步将{v}{t}{s}，并将{t2}纳入年度重点工作，定期通报进展。",
    "经研究，{t}已列入专项规划，{v}{t2}{s}，资金已落实。",
]
CONTACTS = [
    "电话联系委员，介绍{t}办理进展，委员建议{v}{t2}{s}。",
    "登门走访委员，就{t}听取意见，双方商定{v}{t2}{s}。",
    "召开座谈会，与委员交流{t}工作，委员表示理解。",
]
UNITS = _words(
    "发展和改革委员会 教育局 科技创新局 工业和信息化局 公安局 民政局 司法局 财政局 "
    "人力资源和社会保障局 规划和自然资源局 生态环境局 住房和建设局 交通运输局 水务局 商务局 "
    "文化广电旅游体育局 卫生健康委员会 应急管理局 审计局 国有资产监督管理委员会 "
    "市场监督管理局 统计局 医疗保障局 城市管理和综合执法局 退役军人事务局 "
    "政务服务数据管理局 地方金融管理局 信访局 气象局 税务局 口岸办公室 前海管理局 "
    "工务署 建筑工务局 机关事务管理局 粮食和物资储备局 人民防空办公室 公共资源交易中心 "
    "规划国土监察支队 交通警察支队 消防救援支队 海关 邮政管理局 通信管理局 供电局 "
    "水务集团 燃气集团 地铁集团 巴士集团 机场集团 港务集团 体育中心 图书馆 博物馆 "
    "疾病预防控制中心 急救中心 妇女联合会 残疾人联合会 总工会 共青团委员会 科学技术协会 "
    "红十字会 工商业联合会 侨务办公室 档案馆 地方志办公室"
)
DISTRICTS = _words("福田 罗湖 南山 宝安 龙岗 盐田 龙华 坪山 光明 大鹏 前海 河套 深汕 东部 西部")
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦许何吕施张孔曹严华金魏陶姜谢邹喻柏窦章云苏潘葛范彭郎鲁韦马方俞任袁柳鲍史唐薛雷贺倪汤罗毕郝邬安常乐于傅齐康伍余顾孟黄穆萧尹姚邵汪祁毛米贝明臧计成戴宋庞熊纪舒屈项祝董梁杜阮蓝季贾江童颜郭梅盛林钟徐邱骆高夏蔡田樊胡凌霍虞万卢莫房解应宗丁宣邓洪包左石崔龚程邢裴陆荣翁荀甄"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉玲梅建国红晓文志宏海波斌宇浩凯健俊帆晨欣悦琳雪婷颖瑶佳怡子涵思远嘉豪"
BODIES = _words(
    "民革市委会 民盟市委会 民建市委会 民进市委会 农工党市委会 致公党市委会 九三学社市委会 "
    "台盟市委会 市工商联 市总工会 共青团市委 市妇联 市科协 市侨联 市台联 "
    "市政协社会和法制委员会 市政协经济委员会 市政协教科卫体委员会 市政协人口资源环境委员会 "
    "市政协文化文史和学习委员会"
)
STATUSES = (  # (status, weight, replied)
    ("assigned", 10, False),
    ("received", 10, False),
    ("handling", 40, False),
    ("drafted", 5, False),
    ("in_review", 5, False),
    ("replied", 15, True),
    ("closed", 15, True),
)


class Words:
    """Seeded text of the app's kind: titles, full texts, suggestions, answers, contact notes."""

    def __init__(self, seed: int, units: list[str]) -> None:
        self.rng = random.Random(seed)
        self.units = units

    def _fill(self, template: str) -> str:
        c = self.rng.choice
        return template.format(
            v=c(VERBS), v2=c(VERBS), t=c(TOPICS), t2=c(TOPICS), s=c(SUFFIXES), s2=c(SUFFIXES),
            u=c(self.units),
        )  # fmt: skip

    def title(self, rare: bool) -> str:
        c = self.rng.choice
        middle = c(TOPICS) + (RARE if rare else "") + c(SUFFIXES)
        return f"关于{c(VERBS)}{middle}的提案"

    def full_text(self) -> str:
        parts = [self._fill(self.rng.choice(OPENINGS))]
        parts += [self._fill(self.rng.choice(SENTENCES)) for _ in range(4)]
        return "".join(parts)

    def suggestion(self, n: int) -> str:
        return f"建议{'一二三四'[n]}、" + self._fill(self.rng.choice(SENTENCES))

    def answer(self, rare: bool) -> str:
        text = self._fill(self.rng.choice(ANSWERS))
        return text + (f"同时将{RARE}平台建设纳入工作计划。" if rare else "")

    def contact(self, rare: bool) -> str:
        text = self._fill(self.rng.choice(CONTACTS))
        return text + (f"委员关注{RARE}机制推广。" if rare else "")


def unit_names() -> list[str]:
    names = [f"市{name}" for name in UNITS]
    names += [f"{d}区人民政府" for d in DISTRICTS]
    return names[:80]


def proposer_names(rng: random.Random, members: int) -> list[str]:
    names: dict[str, None] = {}
    while len(names) < members:
        given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
        names[rng.choice(SURNAMES) + given] = None
    return list(names)


def build(n: int, seed: int = 20251130) -> dict:
    """Load n proposals and everything searchable about them with core inserts."""
    from tracker.auth.models import Role, User
    from tracker.contacts.models import ContactLog
    from tracker.directory.models import CouncilSession, Proposer, Unit
    from tracker.extensions import db
    from tracker.proposals.models import Assignment, Proposal, ProposalProposer, Suggestion
    from tracker.replies.models import Reply, ReplyItem

    started = time.perf_counter()
    rng = random.Random(seed)
    units = unit_names()
    words = Words(seed + 1, units)
    now = datetime(2025, 11, 1, 9, 0)
    stamp = {"created_at": now, "updated_at": now}
    engine = db.engine
    t = {
        m.__name__: m.__table__
        for m in (CouncilSession, Unit, Proposer, Proposal, Suggestion, ProposalProposer)
        + (Assignment, Reply, ReplyItem, ContactLog, User)
    }

    years = (2023, 2024, 2025)
    members = proposer_names(rng, max(200, min(700, n // 10)))
    proposers = [("member", name) for name in members] + [("body", name) for name in BODIES]
    with engine.begin() as conn:
        conn.execute(
            sa.insert(t["CouncilSession"]),
            [
                {"id": k + 1, "council": "市政协", "term": 7, "meeting": k + 1, "year": year}
                | {"name": f"七届{'一二三'[k]}次会议", "is_current": year == 2025, **stamp}
                for k, year in enumerate(years)
            ],
        )
        conn.execute(
            sa.insert(t["Unit"]),
            [
                {"id": k + 1, "name": name, "is_active": True, **stamp}
                for k, name in enumerate(units)
            ],
        )
        conn.execute(
            sa.insert(t["Proposer"]),
            [
                {"id": k + 1, "kind": kind, "name": name, **stamp}
                for k, (kind, name) in enumerate(proposers)
            ],
        )

    counts = dict.fromkeys(
        ("proposals", "suggestions", "proposer_links", "assignments", "replies")
        + ("reply_items", "contact_logs"),
        0,
    )
    statuses = [s for s, w, _ in STATUSES for _ in range(w)]
    replied = {s for s, _, r in STATUSES if r}
    assignment_id = reply_id = 0
    for start in range(0, n, BATCH):
        rows: dict[str, list[dict]] = {name: [] for name in counts}
        for i in range(start, min(n, start + BATCH)):
            pid = i + 1
            year_index = i * len(years) // n
            year = years[year_index]
            rows["proposals"].append(
                {
                    "id": pid,
                    "session_id": year_index + 1,
                    "case_type": "proposal" if i % 5 else "suggestion",
                    "number": f"{year}{i:06d}",
                    "title": words.title(rare=i % 1000 == 0),
                    "kind": "plenary" if i % 4 else "regular",
                    "is_key": i % 50 == 0,
                    "full_text": words.full_text(),
                    "submitted_on": date(year, 1, 20),
                    "version_id": 1,
                    **stamp,
                }
            )
            suggestions = [words.suggestion(k) for k in range(2 + (i % 3 > 0) + (i % 7 == 0))]
            rows["suggestions"] += [
                {"proposal_id": pid, "position": k, "text": text}
                for k, text in enumerate(suggestions)
            ]
            authors = rng.sample(range(1, len(proposers) + 1), 1 if i % 5 else 3)
            rows["proposer_links"] += [
                {"proposal_id": pid, "proposer_id": proposer_id, "position": k}
                for k, proposer_id in enumerate(authors)
            ]
            handlers = rng.sample(range(1, len(units) + 1), 1 if i % 4 else 2 + (i % 20 == 0))
            assigned_on = date(year, 3, 1) + timedelta(days=i % 30)
            first_assignment = assignment_id + 1
            for k, unit_id in enumerate(handlers):
                assignment_id += 1
                status = rng.choice(statuses)
                due_on = assigned_on + timedelta(days=90 if k == 0 else 30)
                done = status in replied
                rows["assignments"].append(
                    {
                        "id": assignment_id,
                        "proposal_id": pid,
                        "unit_id": unit_id,
                        "role": ("sole" if len(handlers) == 1 else "lead") if k == 0 else "co",
                        "status": status,
                        "assigned_on": assigned_on,
                        "due_on": due_on,
                        "return_due_on": assigned_on + timedelta(days=10),
                        "received_on": assigned_on + timedelta(days=2),
                        "replied_on": due_on - timedelta(days=5) if done else None,
                        "replied_due_on": due_on if done else None,
                        "closed_on": due_on if status == "closed" else None,
                        "round": 1,
                        "version_id": 1,
                        **stamp,
                    }
                )
            if i % 10 == 0:  # a reply letter with one answer per suggestion
                reply_id += 1
                signed = i % 20 == 0
                rows["replies"].append(
                    {
                        "id": reply_id,
                        "assignment_id": first_assignment,
                        "round": 1,
                        "kind": "reply",
                        "shape": "table",
                        "status": "signed" if signed else "draft",
                        "title": "关于市政协提案的答复",
                        "salutation": "尊敬的委员：",
                        "disclosure": "public",
                        "signing_unit": units[handlers[0] - 1],
                        "signed_at": now if signed else None,
                        "version_id": 1,
                        **stamp,
                    }
                )
                rows["reply_items"] += [
                    {
                        "reply_id": reply_id,
                        "position": k,
                        "suggestion": text,
                        "answer": words.answer(rare=k == 0 and i % 1000 == 500),
                    }
                    for k, text in enumerate(suggestions)
                ]
            if i % 10 == 5:  # a contact note (one in ten of them withdrawn: not indexed)
                rows["contact_logs"].append(
                    {
                        "assignment_id": first_assignment,
                        "occurred_at": datetime(year, 5, 6, 15, 0),
                        "way": "phone",
                        "stage": "during",
                        "our_people": "李处长",
                        "their_people": "委员本人",
                        "summary": words.contact(rare=i % 1000 == 255),
                        "attitude": "understanding",
                        "withdrawn_at": now if i % 100 == 45 else None,
                        "withdrawn_reason": "录入重复" if i % 100 == 45 else None,
                        "version_id": 1,
                        **stamp,
                    }
                )
        with engine.begin() as conn:
            for name, table in (
                ("proposals", "Proposal"),
                ("suggestions", "Suggestion"),
                ("proposer_links", "ProposalProposer"),
                ("assignments", "Assignment"),
                ("replies", "Reply"),
                ("reply_items", "ReplyItem"),
                ("contact_logs", "ContactLog"),
            ):
                if rows[name]:
                    conn.execute(sa.insert(t[table]), rows[name])
                    counts[name] += len(rows[name])

    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # explicit ids: move the sequences past them
            for table in ("council_sessions", "units", "proposers", "proposals", "assignments"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            if reply_id:
                conn.exec_driver_sql(
                    "SELECT setval(pg_get_serial_sequence('replies', 'id'), (SELECT max(id) FROM replies))"
                )
    user = User(username="bench-supervisor", display_name="督办员", role=Role.SUPERVISOR)
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()
    counts["units"] = len(units)
    counts["proposers"] = len(proposers)
    return {"seconds": round(time.perf_counter() - started, 1), "rows": counts}


# ---------- measuring ----------


def p95(samples: list[float]) -> float:
    """Nearest-rank 95th percentile (the 19th of 20)."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def summarise(samples: list[float]) -> dict:
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(p95(samples), 2),
        "min_ms": round(min(samples), 2),
        "max_ms": round(max(samples), 2),
    }


def measure(app, requests: int, warm: int) -> dict:
    """Time every page through the app, signed in as a supervisor."""
    from tracker.extensions import db
    from tracker.search.queries import matching_proposal_ids

    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        engine = db.engine
        matches = {
            key: db.session.scalar(
                sa.select(sa.func.count()).select_from(
                    matching_proposal_ids(QUERY_OF[key]).subquery()
                )
            )
            for key in SEARCHES
        }
        db.session.remove()

    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        client = app.test_client()
        response = client.post(
            "/login", data={"username": "bench-supervisor", "password": PASSWORD}
        )
        if response.status_code != 302:
            raise RuntimeError(f"sign-in failed: {response.status_code}")

        cpu: dict[str, list[float]] = {key: [] for key, _, _ in PAGES}

        def get(path: str, key: str) -> tuple[float, int, bytes]:
            statements.clear()
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(path)
            elapsed = (time.perf_counter() - started) * 1000
            cpu[key].append((time.process_time() - started_cpu) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"GET {path}: {response.status_code}")
            return elapsed, len(statements), response.data

        checks = {}
        for key, _label, path in PAGES:  # warm-up: templates compiled, caches filled
            for _ in range(warm):
                _ms, _n, body = get(path, key)
            if key == "rare":
                checks["rare_marked"] = f"<mark>{RARE}</mark>".encode() in body
        gc.collect()
        cpu = {key: [] for key in cpu}
        samples: dict[str, list[float]] = {key: [] for key, _, _ in PAGES}
        queries: dict[str, list[int]] = {key: [] for key, _, _ in PAGES}
        sql: dict[str, list[str]] = {}
        for _round in range(requests):  # round-robin: drift hits every page alike
            for key, _label, path in PAGES:
                ms, n, _body = get(path, key)
                samples[key].append(ms)
                queries[key].append(n)
                sql.setdefault(key, [s.split("\n")[0][:120] for s in statements])
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)

    floor = p95(samples["healthz"])
    pages = {}
    for key, label, path in PAGES:
        pages[key] = {
            "label": label,
            "path": path,
            **summarise(samples[key]),
            "p95_vs_healthz_p95": round(p95(samples[key]) / floor, 1),
            # this process's CPU (Flask, templates, SQLite; not the PostgreSQL server's)
            "process_cpu_p50_ms": round(statistics.median(cpu[key]), 2),
            "sql_statements": statistics.median(queries[key]),
            "sql_statements_range": [min(queries[key]), max(queries[key])],
            "matching_proposals": matches.get(key),
            "samples_ms": [round(x, 2) for x in samples[key]],
            "first_line_of_each_sql": sql[key],
        }
    return {"requests_per_page": requests, "pages": pages, "checks": checks}


# ---------- databases ----------


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="search-bench-") as tmp:
        yield f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"


def postgresql_admin(url: str) -> sa.Engine | None:
    """An AUTOCOMMIT engine on the server, or None (with a message) when it cannot be reached."""
    from config import normalize_database_url

    admin = sa.create_engine(
        normalize_database_url(url),
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": 3},
    )
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        print(f"PostgreSQL at {url} unreachable ({reason}): skipped.", flush=True)
        admin.dispose()
        return None
    return admin


@contextmanager
def postgresql_database(admin: sa.Engine) -> Iterator[str]:
    name = f"tracker_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def run_one(url: str, n: int, requests: int, warm: int, log: Callable[[str], None]) -> dict:
    from config import TestingConfig
    from tracker import create_app
    from tracker.extensions import db
    from tracker.search.index import rebuild

    with tempfile.TemporaryDirectory(prefix="search-bench-archive-") as archive:
        app = create_app(
            TestingConfig, SQLALCHEMY_DATABASE_URI=url, ARCHIVE_DIR=archive, JOBS_DIR=archive
        )
        try:
            with app.app_context():
                db.create_all()
                loaded = build(n)
                log(f"loaded in {loaded['seconds']} s; reindexing")
                started = time.perf_counter()
                documents = rebuild()
                reindex_s = time.perf_counter() - started
                analyze_s = server = None
                if db.engine.dialect.name == "postgresql":
                    server = ".".join(map(str, db.engine.dialect.server_version_info))
                    started = time.perf_counter()
                    with db.engine.connect().execution_options(
                        isolation_level="AUTOCOMMIT"
                    ) as conn:
                        conn.exec_driver_sql("ANALYZE")
                    analyze_s = round(time.perf_counter() - started, 1)
                db.session.remove()
            log(f"reindexed {documents} documents in {reindex_s:.1f} s; measuring")
            measured = measure(app, requests, warm)
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    return {
        "proposals": n,
        "load": loaded,
        "reindex": {
            "seconds": round(reindex_s, 1),
            "documents": documents,
            "documents_per_second": round(documents / reindex_s) if reindex_s else None,
        },
        "analyze_seconds": analyze_s,
        "server_version": server,
        **measured,
    }


# ---------- goals, table, JSON ----------


def goals(runs: dict[str, dict[str, dict]], small: int, large: int) -> dict:
    out: dict[str, dict] = {}
    for database, by_size in runs.items():
        big = by_size.get(str(large))
        little = by_size.get(str(small))
        if big is None:
            continue
        entry: dict[str, dict] = {"vs_floor": {}, "growth": {}}
        for key in SEARCHES:
            ratio = big["pages"][key]["p95_vs_healthz_p95"]
            entry["vs_floor"][key] = {"ratio": ratio, "met": ratio <= GOAL_VS_FLOOR}
            if little is not None and large != small:
                growth = big["pages"][key]["p95_ms"] / little["pages"][key]["p95_ms"]
                entry["growth"][key] = {"ratio": round(growth, 1), "met": growth <= GOAL_GROWTH}
        out[database] = entry
    return out


def print_table(result: dict) -> None:
    sizes = result["sizes"]
    small, large = min(sizes), max(sizes)
    print()
    print(
        f"Search benchmark {result['date']} (Python {result['machine']['python']}, "
        f"SQLite {result['machine']['sqlite']}, {result['machine']['cpus']} CPUs, "
        f"{result['requests_per_page']} requests per page)"
    )
    load = result["load_average_1_5_15"]
    print(f"load average before {load['before'][0]}, after {load['after'][0]} (1 min)")
    if max(load["before"][0], load["after"][0]) > (result["machine"]["cpus"] or 1) / 2:
        print("NOTE: the machine was busy; times are inflated and the tails noisy")
    for database, by_size in result["runs"].items():
        for n in sizes:
            run = by_size.get(str(n))
            if run is None:
                continue
            print()
            print(
                f"{database}, {n:,} proposals: load {run['load']['seconds']} s, reindex "
                f"{run['reindex']['seconds']} s ({run['reindex']['documents']:,} documents)"
                + (f", ANALYZE {run['analyze_seconds']} s" if run["analyze_seconds"] else "")
            )
            print(
                f"  {'page':<26} {'p50 ms':>8} {'p95 ms':>8} {'p95/healthz':>12} "
                f"{'SQL':>4} {'matches':>8} {'CPU p50':>8}"
            )
            for page in run["pages"].values():
                matches = page["matching_proposals"]
                print(
                    f"  {page['label']:<26} {page['p50_ms']:>8.1f} {page['p95_ms']:>8.1f} "
                    f"{page['p95_vs_healthz_p95']:>11.1f}x {page['sql_statements']:>4g} "
                    f"{'' if matches is None else f'{matches:,}':>8} "
                    f"{page['process_cpu_p50_ms']:>8.1f}"
                )
            if not run["checks"].get("rare_marked"):
                print(f"  WARNING: the {RARE} page showed no <mark>{RARE}</mark>")
    print()
    print(f"Goals at {large:,} proposals (search pages):")
    for database, entry in result["goals"].items():
        for key in SEARCHES:
            floor = entry["vs_floor"][key]
            line = (
                f"  {database:<10} {QUERY_OF[key]:<7} p95 {floor['ratio']:>6.1f}x /healthz "
                f"(<= {GOAL_VS_FLOOR:g}x) {'ok' if floor['met'] else 'MISSED'}"
            )
            growth = entry["growth"].get(key)
            if growth:
                line += (
                    f";  {growth['ratio']:>5.1f}x its p95 at {small:,} (<= {GOAL_GROWTH:g}x) "
                    f"{'ok' if growth['met'] else 'MISSED'}"
                )
            print(line)
    print(f"\ntotal {result['total_seconds']:.0f} s; JSON: {RESULTS.relative_to(ROOT)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,100000", help="proposal counts, comma-separated")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page (>= 20)")
    parser.add_argument("--warm", type=int, default=2, help="untimed requests per page first")
    parser.add_argument(
        "--databases", default="sqlite,postgresql", help="sqlite, postgresql or both"
    )
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("TRACKER_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432"),
        help="a PostgreSQL server where a throwaway database may be created",
    )
    args = parser.parse_args()
    args.requests = max(args.requests, 20)
    sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - T0:6.0f} s] {message}", flush=True)

    load_before = os.getloadavg()
    runs: dict[str, dict[str, dict]] = {}
    skipped = {}
    for database in databases:
        admin = None
        if database == "postgresql":
            admin = postgresql_admin(args.pg_url)
            if admin is None:
                skipped[database] = f"{args.pg_url} unreachable"
                continue
        try:
            for n in sizes:
                log(f"{database}: building {n:,} proposals")
                with sqlite_database() if admin is None else postgresql_database(admin) as url:
                    runs.setdefault(database, {})[str(n)] = run_one(
                        url, n, args.requests, args.warm, log
                    )
                gc.collect()
        finally:
            if admin is not None:
                admin.dispose()

    import sqlite3

    result = {
        "date": datetime.now().isoformat(timespec="seconds"),
        "command": "python bench/search_bench.py " + " ".join(sys.argv[1:]),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "sqlite": sqlite3.sqlite_version,
            "sqlalchemy": sa.__version__,
        },
        "load_average_1_5_15": {
            "before": [round(x, 2) for x in load_before],
            "after": [round(x, 2) for x in os.getloadavg()],
        },
        "sizes": sizes,
        "requests_per_page": args.requests,
        "warm_up_requests_per_page": args.warm,
        "skipped": skipped,
        "runs": runs,
        "goals": goals(runs, min(sizes), max(sizes)),
        "goal_definitions": {
            "vs_floor": f"search page p95 <= {GOAL_VS_FLOOR:g}x /healthz p95, largest size",
            "growth": f"search page p95 at the largest size <= {GOAL_GROWTH:g}x at the smallest",
        },
        "total_seconds": round(time.perf_counter() - T0, 1),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print_table(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
