"""WeasyPrint, set up once per process: one font configuration, one parsed stylesheet,
and a fetcher that reads nothing outside the app's own static folder and the fonts folder.

Measured (../shared/PDF-NOTES.md): a new FontConfiguration per render grows memory past 1 GB
in 50 renders; sharing one keeps it flat. Fixed table layout saves ~110 ms a letter.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import CSS, HTML, Attachment
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from tracker.documents.system import missing_libraries  # noqa: F401  (re-exported)

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
LETTER_CSS = STATIC_DIR / "letters" / "letter.css"

# The faces a bureau may drop into its fonts folder (licensed GB/T 9704 fonts), by file stem.
LICENSED_FACES = {
    "fangsong": "Tracker FangSong",  # 仿宋_GB2312
    "xiaobiaosong": "Tracker XiaoBiaoSong",  # 方正小标宋
    "kaiti": "Tracker Kai",  # 楷体_GB2312
    "heiti": "Tracker Hei",  # 黑体
    "song": "Tracker Song",  # 宋体 (page numbers)
}
FONT_SUFFIXES = (".ttf", ".otf", ".ttc")


class SafeFetcher(URLFetcher):
    """Refuse every URL except data: and regular files under the allowed folders."""

    def __init__(self, roots: list[Path], files: list[Path] = ()) -> None:
        super().__init__(timeout=5, allowed_protocols={"file", "data"}, allow_redirects=False)
        self.roots = [r.resolve() for r in roots if r]
        # Exact files allowed wherever they live: the licensed fonts an administrator
        # linked into the fonts folder (a symlink's target may sit elsewhere).
        self.files = {f.resolve() for f in files}
        self.refused: list[str] = []

    def allows(self, url: str) -> bool:
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return True
        if scheme != "file":
            return False
        path = Path(unquote(urlsplit(url).path)).resolve()
        if path in self.files:
            return path.is_file()
        return path.is_file() and any(path.is_relative_to(root) for root in self.roots)

    def fetch(self, url: str, headers=None):
        if not self.allows(url):
            self.refused.append(url[:200])
            raise ValueError(f"refused to fetch {url[:80]!r}")
        return super().fetch(url, headers)


@dataclass
class _Engine:
    fonts_dir: Path | None
    font_config: object
    stylesheet: object
    fetcher: SafeFetcher
    lock: threading.Lock = field(default_factory=threading.Lock)


_engine: _Engine | None = None
_engine_lock = threading.Lock()


def licensed_fonts(fonts_dir: Path | None) -> dict[str, Path]:
    """The licensed faces found in the fonts folder: family -> file."""
    if not fonts_dir or not fonts_dir.is_dir():
        return {}
    found = {}
    for path in sorted(fonts_dir.iterdir()):
        family = LICENSED_FACES.get(path.stem.lower())
        if family and path.suffix.lower() in FONT_SUFFIXES and path.is_file():
            found[family] = path
    return found


def _font_face_css(fonts: dict[str, Path]) -> str:
    return "\n".join(
        f'@font-face {{ font-family: "{family}"; src: url("{path.resolve().as_uri()}"); }}'
        for family, path in fonts.items()
    )


def engine(fonts_dir: Path | None = None) -> _Engine:
    """The process's one rendering set-up (rebuilt only if the fonts folder changes)."""
    global _engine
    with _engine_lock:
        if _engine is None or _engine.fonts_dir != fonts_dir:
            fonts = licensed_fonts(fonts_dir)
            fetcher = SafeFetcher(
                [STATIC_DIR] + ([fonts_dir] if fonts_dir else []), list(fonts.values())
            )
            font_config = FontConfiguration()
            css = _font_face_css(fonts) + "\n" + LETTER_CSS.read_text(encoding="utf-8")
            stylesheet = CSS(
                string=css,
                base_url=STATIC_DIR.as_uri() + "/",
                font_config=font_config,
                url_fetcher=fetcher,
            )
            _engine = _Engine(fonts_dir, font_config, stylesheet, fetcher)
    return _engine


def _list_attachments_once(_document, pdf) -> None:
    """Work around WeasyPrint 70.0 listing each attachment twice in the catalog's /AF."""
    import pydyf

    if "AF" in pdf.catalog:
        unique: dict[str, object] = {}
        for ref in pdf.catalog["AF"]:
            key = ref.decode() if isinstance(ref, bytes) else str(ref)
            unique.setdefault(key, ref)
        pdf.catalog["AF"] = pydyf.Array(unique.values())


@dataclass
class PdfAttachment:
    name: str
    data: bytes
    description: str = ""


def render_pdf(
    html: str,
    *,
    fonts_dir: Path | None = None,
    archival: bool = False,
    identifier: bytes | None = None,
    attachments: list[PdfAttachment] | None = None,
) -> bytes:
    """Render trusted template output (user text already escaped) to PDF bytes."""
    eng = engine(fonts_dir)
    document = HTML(string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=eng.fetcher)
    options: dict = {"presentational_hints": False}
    if archival:
        options["pdf_variant"] = "pdf/a-3u"
        options["finisher"] = _list_attachments_once
        options["pdf_identifier"] = identifier
    if attachments:
        options["attachments"] = [
            Attachment(
                string=a.data,
                name=a.name,
                description=a.description,
                relationship="Source",
                url_fetcher=eng.fetcher,
            )
            for a in attachments
        ]
    # WeasyPrint's font configuration is not thread-safe: one render at a time per process.
    with eng.lock:
        return document.write_pdf(
            stylesheets=[eng.stylesheet], font_config=eng.font_config, **options
        )
