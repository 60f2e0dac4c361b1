"""Search results as a list model; snippets carry the spans of the words found."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from fieldapp.services.search import SearchResult, highlight_terms
from fieldapp.services.search import fold_for_search as fold
from fieldapp.ui.labels import label

Index = QModelIndex | QPersistentModelIndex
HTML_ROLE = Qt.ItemDataRole.UserRole + 1
RESULT_ROLE = Qt.ItemDataRole.UserRole + 2


@dataclass(frozen=True)
class ShownResult:
    result: SearchResult
    spans: tuple[tuple[int, int], ...]  # where the query's words are, within the snippet


def find_spans(snippet: str, query: str) -> tuple[tuple[int, int], ...]:
    """Positions of the query's terms in ``snippet`` (folded the way the index folds)."""
    folded = fold(snippet)
    origin = list(range(len(snippet) + 1))
    if len(folded) != len(snippet):
        # Some character folds to several ("…" to "..."): fold one by one, keeping a map
        # from folded positions back to the snippet's.
        pieces = [fold(ch) for ch in snippet]
        folded = "".join(pieces)
        origin = [i for i, piece in enumerate(pieces) for _ in piece] + [len(snippet)]
    spans = []
    for term in highlight_terms(query):
        start = folded.find(term) if term else -1
        while start >= 0:
            end = start + len(term)
            spans.append((origin[start], origin[end - 1] + 1))
            start = folded.find(term, end)
    return tuple(sorted(spans))


def highlighted_html(text: str, spans: tuple[tuple[int, int], ...]) -> str:
    out, pos = [], 0
    for start, end in spans:
        if start < pos:
            continue
        out.append(html.escape(text[pos:start]))
        out.append(f"<b style='background-color:#fde68a'>{html.escape(text[start:end])}</b>")
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)


class SearchResultModel(QAbstractListModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[ShownResult] = []

    def set_results(self, rows: list[ShownResult]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def clear(self) -> None:
        self.set_results([])

    def retranslate(self) -> None:
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, 0))

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def heading(self, r: SearchResult) -> str:
        parts = [r.interview_code, label("note_kind", r.note_kind)]
        if r.interview_title:
            parts.insert(1, r.interview_title)
        return " · ".join(p for p in parts if p)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        shown = self._rows[index.row()]
        r = shown.result
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{self.heading(r)}\n{r.snippet}"
        if role == HTML_ROLE:
            return (f"<div style='color:#555'>{html.escape(self.heading(r))}</div>"
                    f"<div>{highlighted_html(r.snippet, shown.spans)}</div>")
        if role == RESULT_ROLE:
            return r
        return None
