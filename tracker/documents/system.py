"""What the machine must have for fast, correct letters (checked at start-up, cheaply)."""

from __future__ import annotations

import ctypes.util
import shutil

# library name -> the Debian package that provides it
LIBRARIES = {
    "pango-1.0": "libpango-1.0-0",
    "pangoft2-1.0": "libpangoft2-1.0-0",
    # Without it WeasyPrint subsets CJK fonts in pure Python: seconds per letter, not 0.2 s.
    "harfbuzz-subset": "libharfbuzz-subset0",
}
FONT_FAMILIES = ("Noto Serif CJK SC", "Noto Sans CJK SC", "LXGW WenKai")


def missing_libraries() -> list[str]:
    """Debian packages whose libraries this machine lacks."""
    return [pkg for lib, pkg in LIBRARIES.items() if ctypes.util.find_library(lib) is None]


def missing_fonts() -> list[str]:
    """The free CJK font families fontconfig cannot find."""
    if shutil.which("fc-list") is None:
        return list(FONT_FAMILIES)
    import subprocess

    listed = subprocess.run(
        ["fc-list", ":", "family"], capture_output=True, text=True, check=False
    ).stdout
    return [family for family in FONT_FAMILIES if family not in listed]
