"""How fast, and in how much memory, one process prints reply letters.

Not part of the test run. From the repository root:

    .venv/bin/python bench/pdf_bench.py [--renders 200] [--warm 15]

In one fresh process: sets the app up on a throwaway SQLite database in a temporary folder,
drafts a typical three-page table letter and a one-page letter through the services, and renders
their template HTML with the engine every worker uses (tracker.documents.render.render_pdf),
next to the floor: one line of Chinese through the same engine. Reports the first render in this
process, the median of warm renders, the ratio of the typical letter to the one-line floor
(goal <= 8x), and resident memory over many renders of the typical letter (goal: flat, < 350 MB).
Prints a table and writes bench/results/pdf.json (git-ignored).
"""

from __future__ import annotations

import time

T0 = time.perf_counter()  # as near the process start as Python gets

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from datetime import date, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results" / "pdf.json"

TITLE = "关于推进社区公共充电设施建设的提案"
SUGGESTIONS = [
    "建议一、统筹规划社区充电设施布局。",
    "建议二、破解老旧小区安装充电桩难题。",
    "建议三、加强充电设施安全监管和运营服务。",
]
ANSWERS = [
    "一、编制专项规划。我局会同市发展改革委编制了全市充电基础设施专项规划，"
    "明确到2027年新增社区公共充电桩两万个，优先在住宅区和城中村周边布点。\n"
    "二、纳入城市更新。新建住宅项目停车位全部预留充电条件，城市更新项目同步配建公共充电设施。",
    "我局高度重视老旧小区充电难问题。\n"
    "（一）简化报装流程。会同供电部门推行居民充电桩报装“一证办理”，接电时限压缩到七个工作日。\n"
    "（二）推动统建统营。在具备条件的老旧小区由专业企业统一建设、统一运营，"
    "今年已在六个区完成四十个小区试点。\n"
    "1.建立台账。逐个小区摸排停车位、电力容量和居民需求。",
    "一、落实安全责任。明确运营企业为安全生产第一责任人，定期开展设备巡检，发现隐患立即整改。\n"
    "二、提升服务质量。推动充电设施接入统一监管平台，对长期故障的僵尸桩进行通报清理。",
]
ACCOUNT = (
    "收到提案后，我局召开专题会议研究办理工作，并会同供电部门赴两个试点小区实地调研。"
    "办理过程中邀请委员参加座谈会，听取意见建议。\n"
    "已就提案办理答复与委员进行了电话沟通汇报，委员对办理工作表示满意。"
)
ONE_LINE_HTML = (
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>一行</title></head>'
    "<body><p>专此答复。</p></body></html>"
)


def rss_mb() -> float:
    """Current resident memory, from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def since_process_start() -> float | None:
    """Seconds since the kernel started this process (covers interpreter start-up too)."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        start_ticks = int(fields[19])  # field 22, starttime
        boot = next(
            int(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime")
        )
        return time.time() - (boot + start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, StopIteration):
        return None


def pages(pdf: bytes) -> int:
    out = subprocess.run(
        ["pdfinfo", "-"], input=pdf, capture_output=True, text=False, check=False
    ).stdout.decode()
    for line in out.splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    return -1


def missing() -> list[str]:
    """The start-up check of system libraries, wherever the app keeps it."""
    try:
        from tracker.documents.system import missing_libraries
    except ImportError:
        from tracker.documents.render import missing_libraries
    return missing_libraries()


def draft_letters() -> dict[str, str]:
    """Draft a typical letter and a one-page letter through the services; return their HTML."""
    from tracker.directory.models import CouncilSession, Unit
    from tracker.extensions import db
    from tracker.proposals.models import AssignmentRole
    from tracker.proposals.services import ProposalData, assign_unit, save_proposal
    from tracker.proposals.workflow import AssignmentStatus
    from tracker.replies.services import LetterDraft, render_letter_html, save_draft, start_reply

    db.create_all()
    session = CouncilSession(council="市政协", term=7, meeting=3, year=2025, name="七届三次会议")
    unit = Unit(name="市住房和建设局")
    db.session.add_all([session, unit])
    db.session.flush()

    def letter(number: str, title: str, suggestions: list[str], answers: list[str]) -> str:
        data = ProposalData(
            session_id=session.id,
            number=number,
            title=title,
            proposers=["林晓"],
            suggestions=suggestions,
        )
        proposal = save_proposal(None, None, data)
        assignment = assign_unit(
            None, proposal, unit, AssignmentRole.SOLE, date(2025, 3, 10), today=date(2025, 3, 10)
        )
        assignment.status = AssignmentStatus.HANDLING
        db.session.flush()
        reply = start_reply(None, assignment)
        parts = {
            **{name: getattr(reply, name) for name in ("attachment_marker", "doc_number")},
            **{name: getattr(reply, name) for name in ("title", "salutation", "opening")},
            "process_account": ACCOUNT,
            "disclosure": "public",
            "closing": reply.closing,
            "signing_unit": reply.signing_unit,
            "letter_date": date(2025, 9, 8),
            "category": "A",
            "contact_person": "周敏",
            "contact_phone": "0755-83216540",
        }
        items = list(zip(suggestions, answers, strict=True))
        save_draft(None, reply, LetterDraft(parts=parts, items=items))
        return render_letter_html(reply)

    typical = letter("20250301", TITLE, SUGGESTIONS, ANSWERS)
    short = letter(
        "20250302", "关于增设公交站台遮阳棚的提案", ["建议增设遮阳棚。"], ["已列入今年计划。"]
    )
    db.session.rollback()
    return {"typical": typical, "short": short}


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--renders", type=int, default=200, help="renders for the memory run")
    parser.add_argument("--warm", type=int, default=15, help="warm renders per median (>= 10)")
    parser.add_argument("--every", type=int, default=20, help="sample RSS every N renders")
    args = parser.parse_args()
    args.warm = max(args.warm, 10)

    load_before = os.getloadavg()
    import_app_s, libs = timed(missing)  # imports the tracker package (Flask, SQLAlchemy…)
    if libs:
        print(
            f"WARNING: missing {' '.join(libs)}: WeasyPrint falls back to pure-Python font "
            "subsetting and letters take seconds (apt-get install libharfbuzz-subset0).",
            file=sys.stderr,
        )

    import_s, _ = timed(lambda: __import__("tracker.documents.render"))
    from config import TestingConfig
    from tracker import create_app
    from tracker.documents.render import render_pdf

    with tempfile.TemporaryDirectory(prefix="pdf-bench-") as tmp:
        tmp_path = Path(tmp)
        fonts_dir = tmp_path / "fonts"  # empty: the free Debian faces, as the tests use
        fonts_dir.mkdir()
        create_s, app = timed(
            lambda: create_app(
                TestingConfig,
                SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'bench.sqlite3'}",
                ARCHIVE_DIR=str(tmp_path / "archive"),
                FONTS_DIR=str(fonts_dir),
            )
        )
        with app.app_context():
            setup_s, html = timed(draft_letters)

        def render(which: str) -> bytes:
            source = ONE_LINE_HTML if which == "one_line" else html[which]
            return render_pdf(source, fonts_dir=fonts_dir)

        # the first render in this process: builds the engine (fonts, stylesheet) on the way
        first_s, typical_pdf = timed(lambda: render("typical"))
        first_since_start = since_process_start()
        first_since_script = time.perf_counter() - T0
        peak_after_first = peak_rss_mb()
        first_one_line_s, one_line_pdf = timed(lambda: render("one_line"))
        short_pdf = render("short")

        def median_ms(which: str) -> tuple[float, list[float]]:
            samples = [timed(lambda: render(which))[0] * 1000 for _ in range(args.warm)]
            return statistics.median(samples), samples

        medians = {which: median_ms(which) for which in ("typical", "short", "one_line")}
        ratio = medians["typical"][0] / medians["one_line"][0]

        # memory: many renders of the typical letter in this one process
        samples = [(0, round(rss_mb(), 1))]
        loop_start = time.perf_counter()
        for n in range(1, args.renders + 1):
            render("typical")
            if n % args.every == 0:
                samples.append((n, round(rss_mb(), 1)))
        loop_s = time.perf_counter() - loop_start
        peak = peak_rss_mb()
        after_first_sample = [rss for n, rss in samples if n >= args.every]
        growth = after_first_sample[-1] - after_first_sample[0] if after_first_sample else 0.0

    result = {
        "date": datetime.now().isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "load_average_1_5_15": {
            "before": [round(x, 2) for x in load_before],
            "after": [round(x, 2) for x in os.getloadavg()],
        },
        "weasyprint": __import__("weasyprint").__version__,
        "missing_libraries": libs,
        "letters": {
            "typical": {"pages": pages(typical_pdf), "bytes": len(typical_pdf)},
            "short": {"pages": pages(short_pdf), "bytes": len(short_pdf)},
            "one_line": {"pages": pages(one_line_pdf), "bytes": len(one_line_pdf)},
        },
        "import_tracker_s": round(import_app_s, 3),
        "import_render_module_s": round(import_s, 3),
        "create_app_s": round(create_s, 3),
        "app_and_drafts_s": round(setup_s, 3),
        "first_render_s": round(first_s, 3),
        "first_render_done_since_process_start_s": (
            round(first_since_start, 2) if first_since_start is not None else None
        ),
        "first_render_done_since_script_start_s": round(first_since_script, 3),
        "first_one_line_after_engine_s": round(first_one_line_s, 3),
        "warm_median_ms": {k: round(v[0], 1) for k, v in medians.items()},
        "warm_samples_ms": {k: [round(x, 1) for x in v[1]] for k, v in medians.items()},
        "ratio_typical_to_one_line": round(ratio, 2),
        "memory": {
            "renders": args.renders,
            "seconds": round(loop_s, 1),
            "per_render_ms": round(loop_s / args.renders * 1000, 1),
            "rss_mb_every": args.every,
            "rss_mb_samples": samples,
            "rss_growth_mb_after_first_sample": round(growth, 1),
            "peak_rss_mb": round(peak, 1),
            "peak_rss_mb_after_first_render": round(peak_after_first, 1),
        },
        "goals": {
            "ratio_at_most_8x": ratio <= 8,
            "peak_rss_under_350_mb": peak < 350,
            "rss_flat_within_10_mb": abs(growth) <= 10,
        },
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print_table(result)
    print(f"\nJSON: {RESULTS.relative_to(ROOT)}")
    return 0


def print_table(r: dict) -> None:
    letters, med, mem, goals = r["letters"], r["warm_median_ms"], r["memory"], r["goals"]

    def ok(flag: bool) -> str:
        return "ok" if flag else "MISSED"

    rows = [
        (
            "typical letter",
            f"{letters['typical']['pages']} pages, {letters['typical']['bytes'] // 1024} KB",
        ),
        (
            "short letter (one row)",
            f"{letters['short']['pages']} page, {letters['short']['bytes'] // 1024} KB",
        ),
        ("one line (floor)", f"{letters['one_line']['bytes'] // 1024} KB"),
        ("import tracker (Flask, SQLAlchemy, …)", f"{r['import_tracker_s'] * 1000:.0f} ms"),
        (
            "import tracker.documents.render (WeasyPrint)",
            f"{r['import_render_module_s'] * 1000:.0f} ms",
        ),
        ("create_app (imports views, forms…)", f"{r['create_app_s'] * 1000:.0f} ms"),
        ("database and drafts (services, templates)", f"{r['app_and_drafts_s'] * 1000:.0f} ms"),
        ("first render in this process (typical)", f"{r['first_render_s'] * 1000:.0f} ms"),
        (
            "  done, since process start",
            f"{r['first_render_done_since_process_start_s']} s "
            f"(since script start {r['first_render_done_since_script_start_s']:.2f} s)",
        ),
        ("warm median, typical letter", f"{med['typical']:.0f} ms"),
        ("warm median, short letter", f"{med['short']:.0f} ms"),
        ("warm median, one line", f"{med['one_line']:.0f} ms"),
        (
            "ratio typical / one line (goal <= 8x)",
            f"{r['ratio_typical_to_one_line']:.1f}x  {ok(goals['ratio_at_most_8x'])}",
        ),
        (
            f"{mem['renders']} renders of the typical letter",
            f"{mem['seconds']} s ({mem['per_render_ms']} ms each)",
        ),
        (
            "peak RSS, ru_maxrss (goal < 350 MB)",
            f"{mem['peak_rss_mb']:.0f} MB  {ok(goals['peak_rss_under_350_mb'])}",
        ),
        (
            "  of which reached by the end of the first render",
            f"{mem['peak_rss_mb_after_first_render']:.0f} MB",
        ),
        (
            f"RSS every {mem['rss_mb_every']} renders (MB)",
            " ".join(f"{rss:.0f}" for _, rss in mem["rss_mb_samples"]),
        ),
        (
            "RSS growth after the first sample (goal flat)",
            f"{mem['rss_growth_mb_after_first_sample']:+.1f} MB  {ok(goals['rss_flat_within_10_mb'])}",
        ),
    ]
    width = max(len(k) for k, _ in rows)
    print(
        f"PDF benchmark {r['date']} (WeasyPrint {r['weasyprint']}, Python {r['machine']['python']}, {r['machine']['cpus']} CPUs)"
    )
    if r["missing_libraries"]:
        print(f"WARNING: missing {' '.join(r['missing_libraries'])}")
    load = r["load_average_1_5_15"]
    print(f"load average before {load['before'][0]}, after {load['after'][0]} (1 min)")
    if max(load["before"][0], load["after"][0]) > (r["machine"]["cpus"] or 1) / 2:
        print("NOTE: the machine was busy; times are inflated (memory figures are not)")
    print("-" * (width + 40))
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    sys.exit(main())
