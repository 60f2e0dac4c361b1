"""Export for analysis: the one use case the desktop export dialog and ``fieldapp export`` call.

    export(ws, path, options=ExportOptions(), *, progress=None, should_cancel=None)
        -> ExportSummary

- ``path``: the .xlsx file, the CSV folder, or the .zip of CSV files the user chose
  (``options.format`` is ``"xlsx"``, ``"csv"`` or ``"csv-zip"``). It must not exist unless
  ``options.overwrite``. Nothing appears there until the export is complete: work happens under
  a hidden name in the same folder, removed if the export fails or is cancelled.
- ``options`` (:class:`~fieldapp.export.options.ExportOptions`): language of headers and labels
  (``"en"``/``"zh_CN"``), values as ``"labels"`` or ``"codes"``, headers as ``"labels"`` or
  ``"names"``, ``include_identifiers`` (off by default), CSV byte-order mark, and
  :class:`~fieldapp.export.options.Filters` (dates, sites, sectors, researchers, instruments,
  response and interview statuses).
- ``progress(done, total)`` is called every few hundred rows, on the calling thread; run the
  export off the UI thread. ``should_cancel`` is a callable returning True, or a
  ``threading.Event``; cancelling raises :class:`~fieldapp.export.options.ExportCancelled`.
- Returns an :class:`~fieldapp.export.options.ExportSummary` (sheets and rows, text continued
  over several columns, text withheld for lack of consent); ``summary.lines()`` says it in words.

Withdrawn participants are absent, text without verbatim-quote consent is left out of quotable
columns, and the identity vault stays out unless ``include_identifiers``. Every export, and
every cancelled one, is written to the audit log: who, when, format, the folder and file name
written to, filters, rows
per sheet, whether identifiers were included — never cell contents.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fieldapp.export.build import export_data
from fieldapp.export.consent import ExportData
from fieldapp.export.options import (
    CancelCheck,
    ExportCancelled,
    ExportOptions,
    ExportSummary,
    Filters,
    Progress,
)
from fieldapp.services import records, surveys
from fieldapp.store.workspace import Workspace
from fieldapp.survey import Instrument

__all__ = ["ExportCancelled", "ExportOptions", "ExportSummary", "Filters", "collect", "export"]


def collect(ws: Workspace) -> ExportData:
    """Everything an export may draw on, read through the record and survey services."""
    instruments = [(row, Instrument.from_dict(row["definition"]))
                   for row in surveys.list_instruments(ws)]
    return ExportData(
        organisations={o["id"]: o for o in records.list_records(ws, "organisation")},
        participants={p["id"]: p for p in records.list_records(ws, "participant")},
        identities=records.list_records(ws, "identity"),
        consents=records.list_records(ws, "consent"),
        interviews=sorted(records.list_records(ws, "interview"),
                          key=lambda i: (i.get("date") or "", i.get("code") or "")),
        notes=records.list_records(ws, "note"),
        codes={c["id"]: c for c in records.list_records(ws, "code", order_by="sort_order")},
        codings=records.list_records(ws, "coding"),
        instruments=instruments,
        responses=records.list_records(ws, "response"),
    )


def _audit_detail(path: Path, options: ExportOptions) -> dict[str, Any]:
    return {"format": options.format, "file": path.name,
            "folder": str(path.expanduser().absolute().parent), "language": options.language,
            "values": options.values, "headers": options.headers,
            "include_identifiers": options.include_identifiers,
            "filters": options.filters.to_audit()}


def export(ws: Workspace, path: Path | str, options: ExportOptions | None = None, *,
           progress: Progress | None = None, should_cancel: CancelCheck | None = None
           ) -> ExportSummary:
    options = options or ExportOptions()
    path = Path(path)
    try:
        summary = export_data(collect(ws), path, options, study=records.study(ws),
                              progress=progress, should_cancel=should_cancel)
    except ExportCancelled:
        ws.audit("export.cancelled", _audit_detail(path, options))
        raise
    detail = _audit_detail(path, options)
    detail.update(rows={s.key: s.rows for s in summary.sheets}, total_rows=summary.rows,
                  withheld=summary.withheld, masked=summary.masked,
                  continued=len(summary.continued))
    ws.audit("export", detail)
    return summary
