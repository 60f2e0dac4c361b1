"""Put an export together: select what consent and filters allow, build the sheets, plan them,
write them in the chosen format, and say what was written."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from fieldapp.export.atomic import Ticker, check_target
from fieldapp.export.cases import RefiCases, case_tables, with_case_attributes
from fieldapp.export.cells import CELL_LIMIT, Redactor
from fieldapp.export.codebook import codebook_table
from fieldapp.export.consent import ExportData, Selection, identity_values, select
from fieldapp.export.csvout import write_csv, write_csv_file
from fieldapp.export.labels import Translator
from fieldapp.export.layout import Planned, plan
from fieldapp.export.memos import memos_table, withheld_memos
from fieldapp.export.options import (
    STATS_FORMATS,
    CancelCheck,
    ExportOptions,
    ExportSummary,
    Progress,
    SheetReport,
)
from fieldapp.export.pseudonyms import Pseudonymiser
from fieldapp.export.refi import ProjectBuilder, write_qdpx
from fieldapp.export.sheets_records import (
    code_tree_table,
    codings_table,
    consent_table,
    identifiers_table,
    interviews_table,
    notes_table,
    withheld_counts,
)
from fieldapp.export.sheets_survey import survey_tables
from fieldapp.export.stats import SPSS_TEXT_LIMIT, write_stats
from fieldapp.export.table import Table
from fieldapp.export.vocab import Vocab
from fieldapp.export.xlsx import write_xlsx
from fieldapp.i18n import N_, _
from fieldapp.store.errors import InvalidInput


def pseudonymiser(data: ExportData, sel: Selection, options: ExportOptions
                  ) -> Pseudonymiser | None:
    """With ``options.pseudonymise``: registered names in free text become pseudonyms — an
    organisation that may not be named gets the code its organisation columns carry."""
    if not options.pseudonymise:
        return None
    names = [replace(n, pseudonym=sel.org_pseudonyms[n.record_id])
             if n.kind == "organisation" and n.record_id in sel.org_pseudonyms else n
             for n in data.known_names]
    return Pseudonymiser(names)


def build_tables(data: ExportData, options: ExportOptions, study: dict[str, object] | None = None
                 ) -> tuple[list[Table], dict[str, int], Redactor | None, Pseudonymiser | None]:
    """The sheets in workbook order (codebook excluded), the withheld counts, the redactor and
    the pseudonymiser.

    Each sheet is a function of the selection returning a :class:`Table` (see
    :mod:`fieldapp.export.sheets_records`); more sheets go in the list the same way."""
    sel = select(data, options.filters)
    tr = Translator(options.language)
    stats = options.format in STATS_FORMATS
    codes = options.values == "codes" or stats  # statistics files: numbers with value labels
    vocab = Vocab(tr, codes, study, data.organisations, data.participants,
                  data.codes, {i["id"]: str(i.get("code") or "") for i in data.interviews})
    vocab.org_pseudonyms = sel.org_pseudonyms
    vocab.coders = data.coders
    used: set[str] = set()
    tables = survey_tables(sel.instruments, sel.responses, vocab, used,
                           codes=codes, quotable=sel.may_quote_response, not_asked=stats,
                           text_bound=sel.text_bounds.get("responses"))
    tables += [interviews_table(sel, vocab, used), notes_table(sel, vocab, used),
               with_case_attributes(codings_table(sel, vocab, used), data, sel, vocab),
               code_tree_table(sel, vocab, used),
               consent_table(sel, vocab, used, identifiers=options.include_identifiers)]
    tables += case_tables(data, sel, vocab, used, identifiers=options.include_identifiers)
    hidden_orgs = [str(o.get(k) or "") for oid in sel.org_pseudonyms
                   if (o := data.organisations.get(oid)) for k in ("name_zh", "name_en")]
    if data.memos:  # the sheet exists in workspaces that have memos (fieldapp.export.memos)
        tables.append(memos_table(data.memos, sel, vocab, used))
    withheld = withheld_counts(sel)
    if (memos_withheld := withheld_memos(data.memos, sel)):
        withheld["memos"] = memos_withheld
    if options.include_identifiers:
        tables.append(identifiers_table(sel, vocab, used))
        redactor = Redactor(hidden_orgs, patterns=False) or None
    else:
        redactor = Redactor(identity_values(data) + hidden_orgs)
    return tables, withheld, redactor, pseudonymiser(data, sel, options)


def table_keys(planned: list[Planned]) -> list[str]:
    """What ``--table`` accepts: each sheet's key, a form's id for its main sheet."""
    return [p.table.key.removeprefix("survey:") for p in planned]


def one_table(planned: list[Planned], wanted: str) -> Planned:
    keys = table_keys(planned)
    for key, p in zip(keys, planned, strict=True):
        if wanted and wanted.casefold() in (key.casefold(), p.title.casefold()):
            return p
    raise InvalidInput(_(
        "A single CSV file holds one table; this export has {n}. Name one with --table "
        "({tables}), or write a folder (no suffix) or a .zip of CSV files.").format(
            n=len(planned), tables=", ".join(keys)))


def export_data(data: ExportData, target: Path, options: ExportOptions, *,
                study: dict[str, object] | None = None, progress: Progress | None = None,
                should_cancel: CancelCheck | None = None) -> ExportSummary:
    target = Path(target)
    to_stdout = options.format == "csv-file" and str(target) == "-"
    if not to_stdout:
        check_target(target, options.overwrite)
    tables, withheld, redactor, pseudo = build_tables(data, options, study)
    ticker = Ticker(0, progress, should_cancel)
    stats = options.format in STATS_FORMATS
    names = options.headers == "names" or stats
    csv = options.format in ("csv", "csv-zip", "csv-file")
    # CSV fields have no length limit: long text is never split there
    limit = (SPSS_TEXT_LIMIT if options.format == "spss" else 0) if stats else (
        0 if csv else CELL_LIMIT)
    planned: list[Planned] = []
    for table in tables:
        ticker.check()
        planned.append(plan(table, names=names, redactor=redactor, limit=limit,
                            pseudonymiser=pseudo))
    tr = Translator(options.language)
    used = {p.title.casefold() for p in planned}
    planned.append(plan(codebook_table(planned, tr, used), names=names, limit=limit))
    if options.format == "csv-file":
        planned = [one_table(planned, options.table)]
    ticker.total = sum(p.count for p in planned)
    whole = True
    if options.format == "xlsx":
        write_xlsx(planned, target, ticker, overwrite=options.overwrite)
    elif options.format == "csv-file":
        whole = write_csv_file(planned[0], None if to_stdout else target, ticker,
                               bom=options.bom, guard=options.csv_for == "excel",
                               overwrite=options.overwrite)
    elif stats:
        write_stats(planned, target, ticker, spss=options.format == "spss", tr=tr,
                    overwrite=options.overwrite)
    else:
        write_csv(planned, target, ticker, bom=options.bom, as_zip=options.format == "csv-zip",
                  overwrite=options.overwrite, guard=options.csv_for == "excel")
    summary = ExportSummary(target, options.format, withheld=withheld,
                            identifiers_included=options.include_identifiers)
    if options.format == "csv-file" and not whole:
        summary.output_closed = ticker.done
    for p in planned:
        summary.sheets.append(SheetReport(p.table.key, p.title, p.count, len(p.headers),
                                          list(p.split_into)))
        summary.continued.extend(p.continued)
        summary.replaced_characters += p.stats.replaced
    summary.masked = redactor.count if redactor is not None else 0
    summary.pseudonymised = pseudo.count if pseudo is not None else None
    return summary


def export_qdpx(data: ExportData, target: Path, options: ExportOptions, *,
                study: dict[str, object] | None = None, progress: Progress | None = None,
                should_cancel: CancelCheck | None = None) -> ExportSummary:
    """A REFI-QDA project (:mod:`fieldapp.export.refi`) under the same consent rules."""
    target = Path(target)
    check_target(target, options.overwrite)
    sel = select(data, options.filters)
    tr = Translator(options.language)
    vocab = Vocab(tr, False, study, data.organisations, data.participants, data.codes,
                  {i["id"]: str(i.get("code") or "") for i in data.interviews})
    vocab.org_pseudonyms = sel.org_pseudonyms
    hidden_orgs = [str(o.get(k) or "") for oid in sel.org_pseudonyms
                   if (o := data.organisations.get(oid)) for k in ("name_zh", "name_en")]
    values = hidden_orgs if options.include_identifiers else identity_values(data) + hidden_orgs
    redactor = Redactor(values, patterns=not options.include_identifiers) or None
    title = tr.pick(str((study or {}).get("title_zh") or ""),
                    str((study or {}).get("title_en") or "")) or "fieldapp"
    ticker = Ticker(sel.notes.count(), progress, should_cancel)
    pseudo = pseudonymiser(data, sel, options)
    builder = ProjectBuilder(sel, vocab, redactor, data.coders, title, pseudo)
    builder.memos = data.memos
    builder.case_attributes = RefiCases(data, sel, vocab)
    report = write_qdpx(builder, target, ticker, overwrite=options.overwrite)
    summary = ExportSummary(target, options.format,
                            identifiers_included=options.include_identifiers)
    for key, label, n in (("sources", N_("Sources"), report.sources),
                          ("memos", N_("Memos"), report.memos),
                          ("codings", N_("Codings"), report.codings),
                          ("cases", N_("Cases"), report.cases),
                          ("codes", N_("Codes in the codebook"), report.codes)):
        summary.sheets.append(SheetReport(key, _(label), n, 0))
    if report.withheld:
        summary.withheld["sources"] = report.withheld
    summary.masked = redactor.count if redactor is not None else 0
    summary.pseudonymised = pseudo.count if pseudo is not None else None
    return summary
