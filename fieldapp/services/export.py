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

import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from fieldapp.export.build import export_data, export_qdpx
from fieldapp.export.consent import ExportData, Stream
from fieldapp.export.options import (
    CancelCheck,
    ExportCancelled,
    ExportOptions,
    ExportSummary,
    Filters,
    Progress,
)
from fieldapp.export.refi import ImportedCode, read_codebook
from fieldapp.services import analysis, records, surveys, team
from fieldapp.store.workspace import Workspace
from fieldapp.survey import Instrument

__all__ = ["ExportCancelled", "ExportOptions", "ExportSummary", "Filters", "collect", "export"]


def collect(ws: Workspace, *, pseudonymise: bool = False) -> ExportData:
    """Everything an export may draw on. Small record types (organisations, participants,
    consent, interviews, codes, forms) are read whole through the record and survey services;
    notes, codings and responses are streams over the database (:func:`_stream`), read in
    batches on each pass, so an export's memory does not grow with their number."""
    instruments = [(row, Instrument.from_dict(row["definition"]))
                   for row in surveys.list_instruments(ws)]
    codes = {c["id"]: c for c in records.list_records(ws, "code", order_by="sort_order")}
    definitions = max((len(str(c.get(k) or "")) for c in codes.values()
                       for k in ("definition_zh", "definition_en")), default=0)

    @functools.cache
    def note_bound() -> int:
        return _scalar(ws, "SELECT max(max(length(coalesce(body, '')), "
                           "length(coalesce(title, '')))) FROM note WHERE deleted = 0")

    @functools.cache
    def coding_bound() -> int:
        return max(note_bound(), definitions, _scalar(
            ws, "SELECT max(length(coalesce(comment, ''))) FROM coding WHERE deleted = 0"))

    @functools.cache
    def response_bound() -> int:
        return _scalar(ws, "SELECT max(length(coalesce(data, ''))) FROM response "
                           "WHERE deleted = 0")

    return ExportData(
        organisations={o["id"]: o for o in records.list_records(ws, "organisation")},
        participants={p["id"]: p for p in records.list_records(ws, "participant")},
        identities=records.list_records(ws, "identity"),
        consents=records.list_records(ws, "consent"),
        interviews=sorted(records.list_records(ws, "interview"),
                          key=lambda i: (i.get("date") or "", i.get("code") or "")),
        notes=_notes(ws, lambda: _batch(note_bound(), NOTE_BATCH)),
        codes=codes,
        codings=_codings(ws),
        instruments=instruments,
        responses=_responses(ws, lambda: _batch(response_bound(), ROW_BATCH)),
        coders=team.member_names(ws),
        memos=records.list_records(ws, "memo"),
        attributes=records.list_records(ws, "attribute"),
        attribute_values=records.list_records(ws, "attribute_value"),
        text_bounds={"notes": note_bound, "codings": coding_bound, "responses": response_bound},
        known_names=analysis.known_names(ws) if pseudonymise else [],
    )


#: rows fetched at a time, at most: notes may be long (a transcript of 100,000 characters),
#: responses and codings are usually small
NOTE_BATCH, ROW_BATCH = 32, 500
#: about the most text one batch of notes or responses holds (their longest text times the
#: batch size, at two bytes a character)
BATCH_BYTES = 4 * 1024 * 1024


def _batch(longest: int, most: int) -> int:
    return max(1, min(most, BATCH_BYTES // max(1, 2 * longest)))


def _scalar(ws: Workspace, sql: str) -> int:
    value = ws.db.execute(sql).fetchone()[0]
    return int(value or 0)


def _rows(ws: Workspace, sql: str, batch: int | Callable[[], int]
          ) -> Iterator[dict[str, Any]]:
    """The rows of a query as dicts, fetched ``batch`` at a time; the cursor is closed when
    the pass ends or is abandoned."""
    if callable(batch):
        batch = batch()
    cur = ws.db.execute(sql)
    try:
        names = [d[0] for d in cur.description]
        while True:
            chunk = cur.fetchmany(batch)
            if not chunk:
                return
            for row in chunk:
                yield dict(zip(names, row, strict=True))
    finally:
        cur.close()


def _in_order(ws: Workspace, table: str, batch: int | Callable[[], int]
              ) -> Iterator[dict[str, Any]]:
    """Every live row of ``table`` in creation order (``created_hlc``, id), whole.

    ``ORDER BY created_hlc`` over whole rows would make SQLite sort every row, text and all,
    in memory (there is no index on the clock): the order is taken from the ids and clocks
    alone, and the rows are then read ``batch`` at a time by primary key."""
    if callable(batch):
        batch = batch()
    ids = [r[0] for r in ws.db.execute(
        f"SELECT id FROM {table} WHERE deleted = 0 ORDER BY created_hlc, id")]
    for start in range(0, len(ids), batch):
        chunk = ids[start:start + batch]
        marks = ", ".join("?" * len(chunk))
        cur = ws.db.execute(f"SELECT * FROM {table} WHERE id IN ({marks})", chunk)
        try:
            names = [d[0] for d in cur.description]
            found = {row[0]: row for row in cur.fetchall()}
        finally:
            cur.close()
        for rid in chunk:
            row = found.pop(rid, None)
            if row is not None:
                record = dict(zip(names, row, strict=True))
                # The list's own string rather than the equal one the row brought: what the
                # export keeps of each row (a statistics file's table holds every cell until
                # it is written) then shares one copy of the id with the list, not two
                # (100,000 responses: 8 MiB).
                record["id"] = rid
                yield record


def _notes(ws: Workspace, batch: Callable[[], int]) -> Stream:
    def full() -> Iterator[dict[str, Any]]:
        for row in _in_order(ws, "note", batch):
            yield records.decode_row("note", row)

    def light() -> Iterator[dict[str, Any]]:
        yield from _rows(ws, "SELECT id, owner, created_hlc, interview_id, kind, "
                             "(coalesce(body, '') <> '' OR coalesce(title, '') <> '') "
                             "AS _has_text FROM note WHERE deleted = 0 "
                             "ORDER BY created_hlc, id", ROW_BATCH)

    return Stream(full, light)


_CODING_ORDER = ("FROM coding c JOIN note n ON n.id = c.note_id "
                 "WHERE c.deleted = 0 AND n.deleted = 0 "
                 "ORDER BY n.created_hlc, n.id, coalesce(c.start_offset, 0), c.created_hlc, c.id")


def _codings(ws: Workspace) -> Stream:
    """Codings in their notes' order, each with its note's interview and clock."""
    def full() -> Iterator[dict[str, Any]]:
        for row in _rows(ws, "SELECT c.*, n.interview_id AS _interview_id, "
                             "n.created_hlc AS _note_hlc " + _CODING_ORDER, ROW_BATCH):
            extra = {k: row.pop(k) for k in ("_interview_id", "_note_hlc")}
            yield {**records.decode_row("coding", row), **extra}

    def light() -> Iterator[dict[str, Any]]:
        yield from _rows(ws, "SELECT c.id, c.owner, c.created_hlc, c.note_id, c.code_id, "
                             "n.interview_id AS _interview_id, n.created_hlc AS _note_hlc "
                             + _CODING_ORDER, ROW_BATCH)

    return Stream(full, light)


def _responses(ws: Workspace, batch: Callable[[], int]) -> Stream:
    """Responses with their answers kept as the stored JSON text, decoded one row at a time
    while the sheets are written (:func:`fieldapp.export.sheets_survey.answers`), and their
    review columns."""
    reviews = surveys.review_columns(ws)
    order = " FROM response WHERE deleted = 0 ORDER BY created_hlc, id"

    def full() -> Iterator[dict[str, Any]]:
        for row in _in_order(ws, "response", batch):
            raw = row.get("data")
            row["data"] = None
            record = records.decode_row("response", row)
            record["data"] = raw if isinstance(raw, str) else None
            record.update(reviews.get(str(record["id"]), surveys.NO_REVIEW))
            yield record

    def light() -> Iterator[dict[str, Any]]:
        yield from _rows(ws, "SELECT id, owner, created_hlc, instrument_id, participant_id, "
                             "interview_id, organisation_id, site, sector, researcher, status, "
                             "completed_at" + order, ROW_BATCH)

    return Stream(full, light)


def _audit_detail(path: Path, options: ExportOptions) -> dict[str, Any]:
    return {"format": options.format, "file": path.name,
            "folder": "-" if str(path) == "-" else str(path.expanduser().absolute().parent),
            "language": options.language,
            "values": options.values, "headers": options.headers, "table": options.table,
            "csv_for": options.csv_for,
            "include_identifiers": options.include_identifiers,
            "pseudonymise": options.pseudonymise,
            "filters": options.filters.to_audit()}


def export(ws: Workspace, path: Path | str, options: ExportOptions | None = None, *,
           progress: Progress | None = None, should_cancel: CancelCheck | None = None
           ) -> ExportSummary:
    options = options or ExportOptions()
    path = Path(path)
    run = export_qdpx if options.format == "qdpx" else export_data
    try:
        summary = run(collect(ws, pseudonymise=options.pseudonymise), path, options, study=records.study(ws),
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


def import_codebook(ws: Workspace, path: Path | str) -> dict[str, int]:
    """Add the codes of a REFI-QDA codebook (.qdc) or project (.qdpx/.qde) to the codebook.

    A code whose name (in either language) is already used under the same parent is not added
    again, so importing the same file twice changes nothing; its children are merged into it.
    Names with Chinese characters become the Chinese name, others the English name; the
    description becomes the definition in the same language. Returns added and skipped counts.
    """
    tree = read_codebook(Path(path))
    existing = records.list_records(ws, "code", order_by="sort_order")
    counts = {"added": 0, "existing": 0}
    place = records.count(ws, "code")  # each new code goes last, as add_code would put it

    def key(parent: str | None, name: str) -> tuple[str | None, str]:
        return parent, name.strip().casefold()

    known: dict[tuple[str | None, str], str] = {}
    for c in existing:
        for name in (c.get("name_zh"), c.get("name_en")):
            if name:
                known[key(c.get("parent_id"), str(name))] = c["id"]

    def add(code: ImportedCode, parent: str | None) -> None:
        found = known.get(key(parent, code.name))
        if found:
            counts["existing"] += 1
        else:
            chinese = any("\u3400" <= ch <= "\u9fff" for ch in code.name)
            lang = "zh" if chinese else "en"
            found = records.add_code(
                ws, parent_id=parent, **{f"name_{lang}": code.name,
                                         f"definition_{lang}": code.description},
                **({"colour": code.colour} if code.colour else {}),
                sort_order=place + counts["added"])
            known[key(parent, code.name)] = found
            counts["added"] += 1
        for child in code.children:
            add(child, found)

    for code in tree:  # the whole file was read and checked before the first code is added
        add(code, None)
    ws.audit("codebook.import", {"file": Path(path).name, **counts})
    return counts
