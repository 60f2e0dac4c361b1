"""The codebook (data dictionary) sheet: every column of every other sheet, with its type, its
text in English and Chinese, and its choices in both languages."""

from __future__ import annotations

from collections.abc import Iterator

from fieldapp.export.labels import Translator, both
from fieldapp.export.layout import Planned
from fieldapp.export.stats import numeric_codes, stat_names
from fieldapp.export.table import Column, ColumnDoc, Row, Table, sheet_title
from fieldapp.i18n import N_

_COLUMNS = (
    ("sheet", N_("Sheet")), ("variable", N_("Variable")), ("header", N_("Column header")),
    ("type", N_("Type")), ("label_en", N_("Text (English)")), ("label_zh", N_("Text (Chinese)")),
    ("choices_en", N_("Choices (English)")), ("choices_zh", N_("Choices (Chinese)")),
    ("stats_name", N_("Name in Stata/SPSS")), ("stats_codes", N_("Numbers in Stata/SPSS")),
    ("full_title", N_("Full title of the sheet")), ("sheet_note", N_("Note on the sheet")),
)
CONTINUES = N_("More rows than a sheet holds: continued on {sheets}")
TIME_POLICY = N_("Times: columns marked UTC are in UTC; columns marked UTC+8 are the same "
                 "moments in China Standard Time. Dates (interviews, consent, answers) are "
                 "calendar dates as recorded.")


def codebook_table(planned: list[Planned], tr: Translator, used: set[str]) -> Table:
    planned = list(planned)  # the sheets so far, not the codebook itself
    columns = []
    for key, label in _COLUMNS:
        en, zh = both(label)
        columns.append(Column(key, tr(label), "text", False, ColumnDoc("text", en, zh)))
    part_en, part_zh = both(N_("continued, part {n}"))
    count = sum(len(p.headers) for p in planned)

    def rows() -> Iterator[Row]:
        for p in planned:
            position = 0
            stats_names = stat_names(p.keys)
            full = str(p.table.meta.get("full_title") or p.title)
            notes = [tr(CONTINUES).format(sheets=", ".join(p.split_into))] if p.split_into \
                else []
            if any(h for h in p.keys if h.endswith("_local") or h.startswith("coded_at")):
                notes.append(tr(TIME_POLICY))
            note = " ".join(notes) or None
            for column, parts in zip(p.table.columns, p.parts, strict=True):
                doc = column.doc or ColumnDoc(column.kind)
                for n in range(1, parts + 1):
                    header, variable = p.headers[position], p.keys[position]
                    position += 1
                    en, zh = doc.label_en, doc.label_zh
                    if n > 1:
                        en = f"{en} ({part_en.format(n=n)})"
                        zh = f"{zh}（{part_zh.format(n=n)}）"
                    numbers = None
                    if column.choices and n == 1:
                        numbers = "; ".join(f"{v}={c}" for c, v in
                                            numeric_codes(column.choices).items()) or None
                    elif column.kind == "flag":
                        numbers = "0; 1"
                    yield [p.title, variable, header, doc.type, en or None, zh or None,
                           doc.choices_en or None, doc.choices_zh or None,
                           stats_names[position - 1], numbers, full, note]

    return Table("codebook", sheet_title(tr(N_("Codebook")), used), columns, rows, count)
