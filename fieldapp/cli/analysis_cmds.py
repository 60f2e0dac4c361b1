"""``fieldapp analysis``: code queries, co-occurrence and coder agreement, inside the vault.

    fieldapp analysis query WS '政府购买 AND 资金困难' [--scope interview] [--site KM] [--json]
    fieldapp analysis query WS '"Service contracting" NOT Registration' --xlsx passages.xlsx
    fieldapp analysis query WS 资金困难 --where 'budget>=1000000' --where registration=registered
    fieldapp analysis cooccurrence WS [--scope interview] [--json]
    fieldapp analysis agreement WS [--coders 林晓 王芳] [--scope all] [--json]
    fieldapp analysis deidentify WS --note NOTE_ID [--possible-names] [--output FILE]
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from fieldapp.analysis import agreement as agreement_mod
from fieldapp.analysis import deidentify as deidentify_mod
from fieldapp.cli import blind_cmds
from fieldapp.cli.common import add_workspace_arg, open_ws, print_json
from fieldapp.cli.table import render
from fieldapp.i18n import N_, _, format_number, ngettext
from fieldapp.services import analysis, blind
from fieldapp.store.errors import InvalidInput


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("analysis", help=_("code queries, co-occurrence and coder agreement"))
    inner = p.add_subparsers(dest="analysis_command", metavar=_("COMMAND"))
    inner.required = True

    q = inner.add_parser(
        "query", help=_("passages where a combination of codes holds"),
        description=_("Codes are named by their Chinese or English name (quote names with "
                      "spaces) and combined with AND, OR, NOT and brackets; a code includes the "
                      "codes below it. 'A AND B' in the passage scope means both codes on the "
                      "same text; in the interview scope, anywhere in the same interview."))
    add_workspace_arg(q)
    q.add_argument("expression", metavar=_("EXPRESSION"))
    q.add_argument("--scope", choices=analysis.SCOPES, default="passage",
                   help=_("the same passage (default) or the same interview"))
    q.add_argument("--xlsx", type=Path, metavar="FILE",
                   help=_("also write the passages to this .xlsx file"))
    _add_filters(q)
    q.set_defaults(func=cmd_query)

    c = inner.add_parser("cooccurrence", help=_("how often codes are applied together"))
    add_workspace_arg(c)
    c.add_argument("--scope", choices=analysis.SCOPES, default="passage",
                   help=_("overlapping passages (default) or the same interview"))
    _add_filters(c)
    c.set_defaults(func=cmd_cooccurrence)

    a = inner.add_parser(
        "agreement", help=_("agreement of two coders: percent, Cohen's kappa, Krippendorff's alpha"),
        description=_("Compares two coders on the notes both coded, per code and overall, on "
                      "characters and on segments. By default text neither coder coded is left "
                      "out, so that long uncoded stretches do not inflate agreement "
                      "(--scope all counts it)."))
    add_workspace_arg(a)
    a.add_argument("--coders", nargs=2, metavar=("FIRST", "SECOND"),
                   help=_("researchers' names or device ids (default: the two with most codings)"))
    a.add_argument("--scope", choices=["coded", "all"], default="coded",
                   help=_("count only coded text (default) or all text of the notes"))
    a.add_argument("--assignment", metavar="ID",
                   help=_("the two coders of this blind coding assignment, on its note"))
    _add_filters(a)
    a.set_defaults(func=cmd_agreement)
    register_deidentify(inner)
    blind_cmds.register(inner)


def _add_filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--site", action="append", default=[], help=_("only this site (repeatable)"))
    p.add_argument("--sector", action="append", default=[],
                   help=_("only this sector (repeatable)"))
    p.add_argument("--language", action="append", default=[],
                   help=_("only interviews in this language (repeatable)"))
    p.add_argument("--from", dest="date_from", type=date.fromisoformat, metavar="YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", type=date.fromisoformat, metavar="YYYY-MM-DD")
    p.add_argument("--where", action="append", default=[], metavar=_("CONDITION"),
                   help=_("only interviews whose organisation or participants meet a condition "
                          "on a case attribute: NAME OP VALUE with OP one of = != < <= > >=, "
                          "e.g. 'budget>=1000000' (repeatable; all must hold)"))
    p.add_argument("--json", action="store_true", help=_("print JSON for scripts"))


def _filters(args: argparse.Namespace) -> analysis.Filters:
    return analysis.Filters(tuple(args.site), tuple(args.sector), tuple(args.language),
                            args.date_from, args.date_to, tuple(args.where))


def _snippet(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def cmd_query(args: argparse.Namespace) -> int:
    ws = open_ws(args.workspace)
    try:
        result = analysis.run_query(ws, args.expression, scope=args.scope,
                                    filters=_filters(args))
        written = analysis.export_query(ws, result, args.xlsx) if args.xlsx else None
    finally:
        ws.close()
    if args.json:
        print_json({"expression": result.expression, "scope": result.scope,
                    "interviews": len(result.interviews),
                    "passages": [{"interview": p.interview_code, "note_id": p.note_id,
                                  "note_kind": p.note_kind, "start": p.start, "end": p.end,
                                  "codes": list(p.codes), "text": p.text}
                                 for p in result.passages]})
        return 0
    if result.passages:
        print(render([_("Interview"), _("Start"), _("End"), _("Codes"), _("Passage")],
                     [[p.interview_code, str(p.start), str(p.end), "、".join(p.codes),
                       _snippet(p.text)] for p in result.passages]))
    passages = ngettext("{n} passage", "{n} passages", len(result.passages)).format(
        n=format_number(len(result.passages)))
    interviews = ngettext("{n} interview", "{n} interviews", len(result.interviews)).format(
        n=format_number(len(result.interviews)))
    print(_("Found {passages} in {interviews}.").format(passages=passages, interviews=interviews))
    if written is not None:
        print(ngettext("Wrote {n} passage to {path}.", "Wrote {n} passages to {path}.",
                       written).format(n=format_number(written), path=args.xlsx))
    return 0


def cmd_cooccurrence(args: argparse.Namespace) -> int:
    ws = open_ws(args.workspace)
    try:
        corpus, matrix = analysis.cooccurrence(ws, scope=args.scope, filters=_filters(args))
    finally:
        ws.close()
    names = [corpus.code_name(c) for c in matrix.codes]
    if args.json:
        print_json({"scope": matrix.scope,
                    "codes": [{"id": c, "name": n} for c, n in zip(matrix.codes, names,
                                                                    strict=True)],
                    "counts": [[matrix.count(a, b) for b in matrix.codes]
                               for a in matrix.codes]})
        return 0
    if not matrix.codes:
        print(_("No codings match these filters."))
        return 0
    rows = [[names[i], *(format_number(matrix.count(a, b)) for b in matrix.codes)]
            for i, a in enumerate(matrix.codes)]
    print(render(["", *names], rows))
    return 0


def _figure(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _figures(table: agreement_mod.Table) -> list[str]:
    return [_figure(table.percent, 1), _figure(table.kappa), _figure(table.alpha)]


def cmd_agreement(args: argparse.Namespace) -> int:
    ws = open_ws(args.workspace)
    try:
        first = second = None
        if args.coders:
            first, second = (analysis.find_coder(ws, c) for c in args.coders)
        if args.assignment:  # the two coders of a blind coding assignment, on its note
            corpus = analysis.load(ws)
            result = blind.agreement_of(ws, args.assignment, scope=args.scope)
        else:
            corpus, result = analysis.agreement(ws, first, second, scope=args.scope,
                                                filters=_filters(args))
        names = analysis.coder_names(ws)
    finally:
        ws.close()

    def figures(table: agreement_mod.Table) -> dict[str, Any]:
        return {"both": table.both, "first_only": table.first_only,
                "second_only": table.second_only, "neither": table.neither,
                "percent": table.percent, "kappa": table.kappa, "alpha": table.alpha}

    if args.json:
        print_json({
            "first": {"device": result.first, "name": names.get(result.first, "")},
            "second": {"device": result.second, "name": names.get(result.second, "")},
            "scope": result.scope, "notes": result.notes,
            "overall": {unit: figures(result.overall(unit)) for unit in ("character", "segment")},
            "codes": [{"code_id": r.code_id, "code": corpus.code_name(r.code_id),
                       "unit": r.unit, **figures(r.table)} for r in result.per_code]})
        return 0
    print(ngettext("{first} and {second}, on {n} note both coded:",
                   "{first} and {second}, on {n} notes both coded:", result.notes).format(
        first=names.get(result.first) or result.first,
        second=names.get(result.second) or result.second, n=format_number(result.notes)))
    rows = []
    for r in result.per_code:
        if r.unit == "character":
            seg = next(s.table for s in result.per_code
                       if s.code_id == r.code_id and s.unit == "segment")
            rows.append([corpus.code_name(r.code_id), *_figures(r.table), *_figures(seg)])
    rows.append([_("Overall"), *_figures(result.overall("character")),
                 *_figures(result.overall("segment"))])
    print(render([_("Code"), _("% (characters)"), "κ", "α", _("% (segments)"), "κ", "α"], rows))
    return 0


def register_deidentify(inner: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    d = inner.add_parser(
        "deidentify", help=_("find direct identifiers in a note and propose pseudonyms"),
        description=_("Finds resident ID numbers and unified social credit codes (check digits "
                      "verified), mobile and landline numbers, WeChat IDs, e-mail addresses and "
                      "the names of registered participants and organisations. A participant "
                      "is replaced by their participant code and an organisation by its code, "
                      "so the same person gets the same pseudonym everywhere. The note itself is "
                      "never changed: --output writes a de-identified copy to a new file."))
    add_workspace_arg(d)
    which = d.add_mutually_exclusive_group(required=True)
    which.add_argument("--note", metavar="NOTE_ID", help=_("the note to check"))
    which.add_argument("--text", help=_("check this text instead of a note"))
    d.add_argument("--possible-names", action="store_true",
                   help=_("also suggest person and place names found by the segmenter (less "
                          "certain; never replaced)"))
    d.add_argument("--output", type=Path, metavar="FILE",
                   help=_("write the text with the identifiers replaced to this file"))
    d.add_argument("--json", action="store_true", help=_("print JSON for scripts"))
    d.set_defaults(func=cmd_deidentify)


KIND_LABELS = {
    "id_number": N_("resident ID number"), "credit_code": N_("unified social credit code"),
    "mobile": N_("mobile number"), "landline": N_("phone number"), "wechat": N_("WeChat ID"),
    "email": N_("e-mail address"), "participant": N_("participant's name"),
    "organisation": N_("organisation's name"), "possible_person": N_("possible person's name"),
    "possible_place": N_("possible place name"),
}


def cmd_deidentify(args: argparse.Namespace) -> int:
    if args.output and args.output.exists():
        raise InvalidInput(_("{path} already exists; choose a new file name.").format(
            path=args.output))
    ws = open_ws(args.workspace)
    try:
        body, findings = analysis.deidentify(ws, note_id=args.note, text=args.text,
                                             possible_names=args.possible_names)
        certain = [f for f in findings if f.certain]
        if args.output:
            replaced = (analysis.deidentified_text(ws, args.note, certain) if args.note
                        else deidentify_mod.apply(body, certain))
            write_new_text(args.output, replaced)
    finally:
        ws.close()
    if args.json:
        print_json({"findings": [{"start": f.start, "end": f.end, "kind": f.kind, "text": f.text,
                                  "replacement": f.replacement, "certain": f.certain,
                                  "record_id": f.record_id} for f in findings]})
        return 0
    if findings:
        print(render([_("Where"), _("Kind"), _("Found"), _("Replace with")],
                     [[f"{f.start}–{f.end}", _(KIND_LABELS[f.kind]), f.text,
                       f.replacement if f.certain else _("(suggestion only)")]
                      for f in findings]))
    print(ngettext("{n} identifier found.", "{n} identifiers found.", len(findings)).format(
        n=format_number(len(findings))))
    if args.output:
        print(_("Wrote the de-identified text to {path}.").format(path=args.output))
    return 0


def write_new_text(path: Path, text: str) -> None:
    """Write ``text`` to a new file (never over an existing one), atomically."""
    if path.exists():
        raise InvalidInput(_("{path} already exists; choose a new file name.").format(path=path))
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
