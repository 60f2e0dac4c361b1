"""Files that travel with a form: CSV/XML data beside it and its media (pictures, audio, video).

ODK keeps these next to the form on the phone; fieldapp reads them once, at import, from the
folder of the form (or its ``FORMNAME-media`` folder, as ODK Collect names it) and keeps them inside
the instrument, so a form works the same on every team member's laptop after sync.

* ``select_one_from_file cities.csv`` (and ``.xml``) → a choice list read from the file;
* ``csv-external`` / ``xml-external`` rows and ``pulldata('name', ...)`` → a secondary instance,
  rows of column → text, read by ``instance('name')/root/item[...]`` and ``pulldata()``;
* ``image`` / ``audio`` / ``video`` columns → the file's bytes (base64), limited in size.
"""

from __future__ import annotations

import base64
import csv
import io
import xml.etree.ElementTree as ET
from pathlib import Path

from fieldapp.i18n import _

MAX_MEDIA_FILE = 2 * 1024 * 1024
MAX_MEDIA_TOTAL = 16 * 1024 * 1024
MAX_DATA_FILE = 20 * 1024 * 1024


class ExternalFileError(ValueError):
    """A data file beside the form that is missing or cannot be read (the message says which)."""


def media_folders(form: Path) -> list[Path]:
    return [form.parent / f"{form.stem}-media", form.parent / "media", form.parent]


def find_file(form: Path, name: str) -> Path | None:
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    for folder in media_folders(form):
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def read_rows(form: Path, file_name: str) -> list[dict[str, str]]:
    """The rows of a CSV or XML data file beside the form; raises :class:`ExternalFileError`."""
    found = find_file(form, file_name)
    if found is None:
        raise ExternalFileError(
            _("the file '{file}' must be beside the form (or in its '{folder}' folder)").format(
                file=file_name, folder=f"{form.stem}-media"))
    try:
        if found.stat().st_size > MAX_DATA_FILE:
            raise ExternalFileError(_("the file '{file}' is larger than {mb} MB").format(
                file=file_name, mb=MAX_DATA_FILE // 2**20))
        raw = found.read_bytes()
    except OSError as exc:
        raise ExternalFileError(_("the file '{file}' cannot be read: {reason}").format(
            file=file_name, reason=exc.strerror or str(exc))) from exc
    if found.suffix.lower() == ".xml":
        return _read_xml(raw, file_name)
    return _read_csv(raw, file_name)


def _read_csv(raw: bytes, file_name: str) -> list[dict[str, str]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ExternalFileError(_("the file '{file}' is not UTF-8 text").format(
            file=file_name)) from exc
    try:
        reader = csv.DictReader(io.StringIO(text))
        rows = [{str(k).strip(): (v or "").strip() for k, v in row.items() if k is not None}
                for row in reader]
    except csv.Error as exc:
        raise ExternalFileError(_("the file '{file}' is not a readable CSV file: {reason}").format(
            file=file_name, reason=str(exc))) from exc
    return rows


def _read_xml(raw: bytes, file_name: str) -> list[dict[str, str]]:
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise ExternalFileError(_("the file '{file}' declares a DOCTYPE, which is not allowed"
                                  ).format(file=file_name))
    try:
        root = ET.fromstring(raw)  # noqa: S314 - no DOCTYPE, so no entity expansion
    except ET.ParseError as exc:
        raise ExternalFileError(_("the file '{file}' is not well-formed XML: {reason}").format(
            file=file_name, reason=str(exc))) from exc
    items = list(root.iter("item")) or list(root)
    return [{child.tag: (child.text or "").strip() for child in item} for item in items]


def read_media(form: Path, names: set[str]) -> tuple[dict[str, str], list[str]]:
    """The media files found (name → base64) and a notice for each one missing or too large."""
    found: dict[str, str] = {}
    notices: list[str] = []
    total = 0
    for name in sorted(names):
        path = find_file(form, name)
        if path is None:
            notices.append(_("media: '{file}' was not found beside the form; the question shows "
                             "its text without it").format(file=name))
            continue
        try:
            size = path.stat().st_size
            if size > MAX_MEDIA_FILE or total + size > MAX_MEDIA_TOTAL:
                notices.append(_("media: '{file}' is too large to keep with the form (at most "
                                 "{mb} MB a file); the question shows its text without it"
                                 ).format(file=name, mb=MAX_MEDIA_FILE // 2**20))
                continue
            found[name] = base64.b64encode(path.read_bytes()).decode("ascii")
            total += size
        except OSError as exc:
            notices.append(_("media: '{file}' cannot be read: {reason}").format(
                file=name, reason=exc.strerror or str(exc)))
    return found, notices
