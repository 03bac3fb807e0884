"""How fast, and in how much memory, one process imports a large assignment list.

Not part of the test run. From the repository root:

    .venv/bin/python bench/import_bench.py [--rows 100000] [--format csv|xlsx]

In one fresh process: writes a list of N rows (83 units, ~700 members, lead + co-handling,
split and sole assignments, joint proposals, one in ten key) into a temporary folder, sets the
app up on a throwaway SQLite database there, previews the list (tracker.exchange.spreadsheet
.preview), then imports it through the job handler with a LocalContext, exactly as the CLI
does, and commits. Reports the time of each step, rows a second, and the process's peak
resident memory (goal: under 500 MB), with the resident memory seen at each progress call.
Prints a table and writes bench/results/import.json (git-ignored).
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import resource
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results" / "import.json"
GOAL_MB = 500
HEADERS = ["提案号", "案由", "提案人", "提案类型", "主办单位", "会办单位", "分办单位", "独办单位"]
HEADERS += ["交办日期", "是否重点", "建议"]
UNITS = [f"市第{n}局" for n in range(1, 84)]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def row(n: int) -> list:
    unit = UNITS[n % len(UNITS)]
    other = UNITS[(n + 1 + n % 41) % len(UNITS)]  # never the same unit
    lead = co = split = sole = ""
    shape = n % 10
    if shape < 5:
        lead, co = unit, other
    elif shape < 7:
        split = f"{unit}、{other}"
    else:
        sole = unit
    proposers = f"委员{n % 700}" if n % 3 else f"委员{n % 700}、委员{(n + 1) % 700 + 700}"
    return [
        f"2025{n:06d}",
        f"关于推进第{n}项民生实事、完善配套政策措施的提案",
        proposers,
        "",
        lead,
        co,
        split,
        sole,
        date(2025, 3, 1 + n % 28).isoformat(),
        "是" if n % 10 == 0 else "否",
        "建议一：加强统筹\n建议二：加大投入",
    ]


def write_list(folder: Path, rows: int, fmt: str) -> Path:
    if fmt == "csv":
        path = folder / "list.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(HEADERS)
            for n in range(1, rows + 1):
                writer.writerow(row(n))
        return path
    from openpyxl import Workbook

    path = folder / "list.xlsx"
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("交办清单")
    ws.append(HEADERS)
    for n in range(1, rows + 1):
        ws.append(row(n))
    wb.save(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    args = parser.parse_args()

    from config import TestingConfig
    from tracker import create_app
    from tracker.directory.models import CouncilSession, Unit
    from tracker.exchange.spreadsheet import import_rows, preview
    from tracker.extensions import db
    from tracker.jobs.registry import LocalContext
    from tracker.proposals.models import Assignment, Proposal

    with tempfile.TemporaryDirectory(prefix="import-bench-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        path = write_list(folder, args.rows, args.format)
        generated = time.perf_counter() - started
        app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'b.db'}")
        with app.app_context():
            db.create_all()
            session = CouncilSession(
                council="深圳市政协", term=7, meeting=2, year=2025, name="七届二次会议"
            )
            db.session.add(session)
            db.session.add_all(Unit(name=name) for name in UNITS)
            db.session.commit()
            session_id = session.id
            rss_before = rss_mb()

            started = time.perf_counter()
            checked = preview(path, session_id)
            preview_seconds = time.perf_counter() - started
            assert checked.ok, [str(p) for r in checked.rows for p in r.problems][:5]
            rss_after_preview = rss_mb()

            samples: list[tuple[int, float]] = []

            def progress(done: int, _total: int | None, _message: str) -> None:
                if done % 10_000 == 0 or done == args.rows:
                    samples.append((done, round(rss_mb(), 1)))
                    print(f"  {done:>7} rows  {time.perf_counter() - began:7.1f} s  "
                          f"RSS {samples[-1][1]:.0f} MB", flush=True)  # fmt: skip

            context = LocalContext(
                params={"path": str(path), "session_id": session_id, "total": checked.total},
                output_dir=folder,
                on_progress=progress,
            )
            began = time.perf_counter()
            summary = import_rows(context)
            db.session.commit()
            import_seconds = time.perf_counter() - began
            proposals = db.session.scalar(db.select(db.func.count()).select_from(Proposal))
            assignments = db.session.scalar(db.select(db.func.count()).select_from(Assignment))
            db.session.remove()
            db.engine.dispose()
        file_mb = path.stat().st_size / 2**20

    peak = peak_rss_mb()
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "database": "sqlite",
        "format": args.format,
        "rows": args.rows,
        "file_mb": round(file_mb, 1),
        "generate_seconds": round(generated, 1),
        "preview_seconds": round(preview_seconds, 1),
        "import_seconds": round(import_seconds, 1),
        "rows_per_second": round(args.rows / import_seconds),
        "proposals": proposals,
        "assignments": assignments,
        "summary": summary,
        "rss_before_mb": round(rss_before, 1),
        "rss_after_preview_mb": round(rss_after_preview, 1),
        "rss_during_import_mb": samples,
        "peak_rss_mb": round(peak, 1),
        "goal_peak_rss_mb": GOAL_MB,
        "within_goal": peak < GOAL_MB,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print()
    for key in ("rows", "file_mb", "preview_seconds", "import_seconds", "rows_per_second"):
        print(f"{key:>22}: {result[key]}")
    print(f"{'proposals':>22}: {proposals}  assignments: {assignments}")
    print(f"{'peak RSS':>22}: {result['peak_rss_mb']} MB (goal < {GOAL_MB} MB)")
    print(f"{'written':>22}: {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
