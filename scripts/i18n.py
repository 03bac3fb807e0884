"""Keep the Chinese catalogue in step with the source.

.venv/bin/python scripts/i18n.py update            extract, merge, list untranslated strings
.venv/bin/python scripts/i18n.py set FILE.json     add translations from {"msgid": "译文"}
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "tracker/translations/zh_Hans_CN/LC_MESSAGES/messages.po"
BIN = Path(sys.executable).parent


def update() -> None:
    pot = "/tmp/tracker-messages.pot"

    def run(*args: str) -> None:
        subprocess.run([str(BIN / "pybabel"), *args], cwd=ROOT, check=True, capture_output=True)

    run(
        "extract", "-F", "babel.cfg", "-k", "_l", "--no-location", "-o", pot, "tracker", "templates"
    )
    run(
        "update",
        "-i",
        pot,
        "-d",
        "tracker/translations",
        "-l",
        "zh_Hans_CN",
        "--no-fuzzy-matching",
        "--ignore-obsolete",
    )
    with PO.open("rb") as f:
        missing = [m.id for m in read_po(f) if m.id and not m.string]
    print(json.dumps({str(m): "" for m in missing}, ensure_ascii=False, indent=1))


def set_translations(path: str) -> None:
    values = json.loads(Path(path).read_text(encoding="utf-8"))
    with PO.open("rb") as f:
        catalog = read_po(f)
    for msgid, text in values.items():
        message = catalog.get(msgid)
        if message is None:
            raise SystemExit(f"not in the catalogue: {msgid!r}")
        message.string = text
    with PO.open("wb") as f:
        write_po(f, catalog, width=100)


if __name__ == "__main__":
    if sys.argv[1:2] == ["update"]:
        update()
    elif sys.argv[1:2] == ["set"]:
        set_translations(sys.argv[2])
    else:
        raise SystemExit(__doc__)
