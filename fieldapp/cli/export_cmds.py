"""``fieldapp export``: write the workspace out for analysis (Excel/WPS, SPSS, Stata, R, pandas).

    fieldapp export WS study.xlsx [--lang zh_CN] [--values codes] [--headers names]
    fieldapp export WS csv_folder --format csv [--no-bom]
    fieldapp export WS study.zip                     # CSV files in a zip (format from the name)
    fieldapp export WS stata_folder --format stata   # one .dta per table (labels in --lang)
    fieldapp export WS spss_folder --format spss     # one .sav per table
    fieldapp export WS out.xlsx --site KM --sector HIV --from 2026-04-01 --to 2026-06-30 \\
        --researcher 林晓 --instrument ngo_contracting --status complete
    fieldapp export WS out.xlsx --include-identifiers   # real names etc.; written to the audit log
    fieldapp export WS out.xlsx --pseudonymise       # names in text become participant/org codes
    fieldapp export WS project.qdpx                  # REFI-QDA project for NVivo, ATLAS.ti, …
    fieldapp codebook import WS codes.qdc            # codes from another QDA tool
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from fieldapp.cli.common import add_workspace_arg, open_ws, print_json
from fieldapp.i18n import _, current_language
from fieldapp.store.errors import InvalidInput


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "export", help=_("export for analysis: xlsx workbook, CSV, Stata or SPSS files"),
        description=_("Writes one sheet per survey form (its versions merged) and repeat "
                      "group, and sheets for interviews, notes, codings, the code tree, consent "
                      "status and a bilingual codebook — as a workbook, CSV, Stata or SPSS "
                      "files — or a REFI-QDA project (.qdpx). Withdrawn participants are "
                      "absent, text without verbatim-quote consent is left out, organisations "
                      "are named only with consent, and direct identifiers are left out unless "
                      "asked for. Every export is recorded in the audit log."))
    add_workspace_arg(p)
    p.add_argument("output", metavar="OUTPUT",
                   help=_("the .xlsx file, CSV folder or .zip to write"))
    p.add_argument("--format",
                   choices=["xlsx", "csv", "csv-zip", "csv-file", "stata", "spss", "qdpx"],
                   help=_("default: from the output name (.xlsx, .zip, .qdpx, .csv or - for "
                          "one table, otherwise a CSV folder)"))
    p.add_argument("--csv-for", choices=["analysis", "excel"], default="excel",
                   help=_("CSV for Excel/WPS puts an apostrophe before text that would run as "
                          "a formula; CSV for analysis (R, pandas, Stata) is left exactly as "
                          "recorded"))
    p.add_argument("--table", default="",
                   help=_("with a .csv file or -: the one table to write (interviews, notes, "
                          "codings, code_tree, consent, codebook or a form id)"))
    p.add_argument("--lang", dest="export_lang", choices=["en", "zh_CN"],
                   help=_("language of sheet names, headers and labels (default: the interface's)"))
    p.add_argument("--values", choices=["labels", "codes"], default="labels",
                   help=_("answers and categories as labels or as codes"))
    p.add_argument("--headers", choices=["labels", "names"], default="labels",
                   help=_("column headers as labels or as variable names"))
    p.add_argument("--no-bom", action="store_true",
                   help=_("CSV without the UTF-8 byte-order mark"))
    p.add_argument("--include-identifiers", action="store_true",
                   help=_("include real names, phone numbers, WeChat ids and e-mail addresses"))
    p.add_argument("--pseudonymise", "--pseudonymize", action="store_true",
                   help=_("replace the names of registered participants and organisations in "
                          "text (notes, passages, comments, open answers) by their codes; the "
                          "notes themselves are not changed"))
    p.add_argument("--overwrite", action="store_true", help=_("replace an existing output"))
    p.add_argument("--from", dest="date_from", type=date.fromisoformat, metavar="YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", type=date.fromisoformat, metavar="YYYY-MM-DD")
    for flag, help_text in (("--site", _("only this site (repeatable)")),
                            ("--sector", _("only this sector (repeatable)")),
                            ("--researcher", _("only this researcher (repeatable)")),
                            ("--instrument", _("only this form id or instrument id (repeatable)")),
                            ("--status", _("only responses with this status (repeatable)")),
                            ("--interview-status",
                             _("only interviews with this status (repeatable)"))):
        p.add_argument(flag, action="append", default=[], help=help_text)
    p.add_argument("--json", action="store_true", help=_("print the summary as JSON"))
    p.add_argument("--progress", action="store_true", help=_("show progress on stderr"))
    p.set_defaults(func=cmd_export)

    cb = sub.add_parser(
        "codebook", help=_("the codebook: import codes from NVivo, ATLAS.ti, MAXQDA, QualCoder"))
    cb_sub = cb.add_subparsers(dest="codebook_command", metavar=_("COMMAND"))
    cb_sub.required = True
    imp = cb_sub.add_parser(
        "import", help=_("add the codes of a REFI-QDA codebook (.qdc) or project (.qdpx)"),
        description=_("Codes already in the codebook (same name under the same parent) are "
                      "not added twice."))
    add_workspace_arg(imp)
    imp.add_argument("file", metavar="FILE", help=_("the .qdc or .qdpx file"))
    imp.set_defaults(func=cmd_codebook_import)


def cmd_codebook_import(args: argparse.Namespace) -> int:
    from fieldapp.services.export import import_codebook

    path = Path(args.file)
    if not path.is_file():
        raise InvalidInput(_("{path} does not exist.").format(path=path))
    ws = open_ws(args.workspace)
    try:
        counts = import_codebook(ws, path)
    finally:
        ws.close()
    print(_("Codes added: {added}; already in the codebook: {existing}").format(**counts))
    return 0


def _format(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    suffix = Path(args.output).suffix.lower()
    if suffix == ".xlsx":
        return "xlsx"
    if suffix == ".zip":
        return "csv-zip"
    if suffix == ".qdpx":
        return "qdpx"
    if suffix == ".csv" or args.output == "-":
        return "csv-file"
    if suffix:
        raise InvalidInput(_("Cannot tell the format from {name}; use --format.").format(
            name=args.output))
    return "csv"


def cmd_export(args: argparse.Namespace) -> int:
    from fieldapp.services.export import ExportOptions, Filters, export

    filters = Filters(
        date_from=args.date_from, date_to=args.date_to, sites=frozenset(args.site),
        sectors=frozenset(args.sector), researchers=frozenset(args.researcher),
        instruments=frozenset(args.instrument), statuses=frozenset(args.status),
        interview_statuses=frozenset(args.interview_status))
    options = ExportOptions(
        format=_format(args),  # type: ignore[arg-type]
        language=args.export_lang or current_language(), values=args.values,
        headers=args.headers, include_identifiers=args.include_identifiers,
        bom=not args.no_bom, overwrite=args.overwrite, filters=filters,
        csv_for=args.csv_for, table=args.table, pseudonymise=args.pseudonymise)

    def progress(done: int, total: int) -> None:
        print(f"\r{done}/{total}", end="", file=sys.stderr, flush=True)

    if args.output != "-" and Path(args.output).exists() and not args.overwrite:
        raise InvalidInput(_("{path} already exists; add --overwrite to replace it.").format(
            path=args.output))
    ws = open_ws(args.workspace)
    try:
        summary = export(ws, args.output, options,
                         progress=progress if args.progress else None)
    finally:
        ws.close()
    if args.progress:
        print(file=sys.stderr)
    if args.output == "-":  # standard output holds the data: the summary goes to stderr
        print("\n".join(summary.lines()), file=sys.stderr)
        return 0
    try:
        if args.json:
            print_json(summary.to_dict())
        else:
            print("\n".join(summary.lines()))
    except BrokenPipeError:  # "fieldapp export … | head": the reader had enough
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return 0
