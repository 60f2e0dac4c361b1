"""Write planned tables as CSV: one UTF-8 file per sheet, in a folder or a zip archive.

RFC 4180 quoting and CRLF line ends; an optional UTF-8 byte-order mark so Excel and WPS read
Chinese correctly. CSV meant for Excel (``csv_for="excel"``): text a spreadsheet could run as a
formula gets a leading apostrophe (OWASP). CSV for analysis is written exactly as recorded.
Long text is never split in CSV (a field has no length limit). Dates are ISO 8601
(``2026-04-01``, ``2026-04-01 09:30:00``); blanks are empty fields.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import IO

from fieldapp.export.atomic import TICK_EVERY, Ticker, publish, scratch_dir
from fieldapp.export.cells import csv_safe
from fieldapp.export.layout import Planned

_BAD_NAME = str.maketrans({c: "_" for c in '<>:"/\\|?*\x00'})


def file_names(tables: list[Planned]) -> list[str]:
    used: set[str] = set()
    names = []
    for planned in tables:
        stem = planned.title.translate(_BAD_NAME).strip(" .") or "sheet"
        name, n = f"{stem}.csv", 2
        while name.casefold() in used:
            name, n = f"{stem} ({n}).csv", n + 1
        used.add(name.casefold())
        names.append(name)
    return names


def _write(out: IO[str], planned: Planned, ticker: Ticker, guard: bool = True) -> None:
    """Rows go to the csv module as they are: it writes None as an empty field and dates,
    date-times and times as ``str()`` does, which is their ISO 8601 form (``2026-04-01``,
    ``2026-04-01 09:30:00``); formula guards are applied while the rows are made."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_safe(h) if guard else h for h in planned.headers])
    write = writer.writerow
    n = 0
    for row in planned.rows(guard):  # one row at a time: a row may hold a long transcript
        write(row)
        n += 1
        if n == TICK_EVERY:
            ticker.tick(n)
            n = 0
    ticker.tick(n)


def write_csv_file(planned: Planned, target: Path | None, ticker: Ticker, *, bom: bool = True,
                   guard: bool = True, overwrite: bool = False) -> bool:
    """One table as one CSV file, or to standard output when ``target`` is None. Returns
    False when the reader closed standard output before the end (``… | head``): not an
    error, the rest is simply not written."""
    encoding = "utf-8-sig" if bom else "utf-8"
    if target is None:
        import os
        import sys

        out = io.TextIOWrapper(sys.stdout.buffer, encoding=encoding, newline="",
                               write_through=False)
        whole = True
        try:
            _write(out, planned, ticker, guard)
            out.flush()
        except BrokenPipeError:
            whole = False
            # anything still buffered goes nowhere, so exiting does not raise again
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        finally:
            out.detach()
        if whole:
            ticker.finish()
        return whole
    with scratch_dir(target) as work:
        built = work / "table.csv"
        with built.open("w", encoding=encoding, newline="") as fh:
            _write(fh, planned, ticker, guard)
        ticker.check()
        publish(built, target, overwrite)
    ticker.finish()
    return True


def write_csv(tables: list[Planned], target: Path, ticker: Ticker, *, bom: bool = True,
              as_zip: bool = False, overwrite: bool = False, guard: bool = True) -> list[str]:
    """Write the tables; returns the file names (inside the folder or the archive)."""
    encoding = "utf-8-sig" if bom else "utf-8"
    names = file_names(tables)
    with scratch_dir(target) as work:
        if as_zip:
            built = work / "export.zip"
            with zipfile.ZipFile(built, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for name, planned in zip(names, tables, strict=True):
                    with archive.open(name, "w", force_zip64=True) as raw, io.TextIOWrapper(
                            raw, encoding=encoding, newline="") as out:
                        _write(out, planned, ticker, guard)
        else:
            built = work / "export"
            built.mkdir()
            for name, planned in zip(names, tables, strict=True):
                with (built / name).open("w", encoding=encoding, newline="") as out:
                    _write(out, planned, ticker, guard)
        ticker.check()
        publish(built, target, overwrite)
    ticker.finish()
    return names
