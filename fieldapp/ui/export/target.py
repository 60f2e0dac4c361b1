"""Where an export goes: file names per format, and when replacing an existing one is safe."""

from __future__ import annotations

from datetime import date
from pathlib import Path

SUFFIX = {"xlsx": ".xlsx", "csv-zip": ".zip", "csv": "", "stata": "", "spss": "",
          "qdpx": ".qdpx"}
#: formats written as a folder of files, and the files such a folder may hold to be replaced
FOLDER_FILES = {"csv": ".csv", "stata": ".dta", "spss": ".sav"}


def default_name(fmt: str, today: date | None = None) -> str:
    return f"fieldapp-export-{(today or date.today()).isoformat()}{SUFFIX[fmt]}"


def with_format(path: Path, fmt: str) -> Path:
    """``path`` named for ``fmt``: .xlsx for a workbook, .zip for a zip, no suffix for a folder
    (only the suffixes of the other formats are replaced, so "Wave 1.2026" keeps its dot)."""
    known = {s for s in SUFFIX.values() if s}
    stem = path.with_suffix("") if path.suffix.lower() in known else path
    return stem.with_name(stem.name + SUFFIX[fmt]) if SUFFIX[fmt] else stem


def replaceable(path: Path, fmt: str) -> bool:
    """Whether an existing ``path`` may be replaced once the user agrees: a file for a workbook
    or zip; for a folder of CSV, Stata or SPSS files, only a folder holding nothing but such
    files (an earlier export), so a folder of other work is never swept away."""
    if fmt not in FOLDER_FILES:
        return path.is_file()
    if not path.is_dir():
        return False
    return all(p.is_file() and p.suffix.lower() == FOLDER_FILES[fmt] for p in path.iterdir())
