"""Render the main screens to PNG, in English and in Simplified Chinese.

    python -m fieldapp.ui.screenshots OUTDIR

Runs offscreen against a throwaway demo workspace in a temporary folder (nothing of the user's
is opened). Used to look at layouts, clipped text and the Chinese font.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication, QDialog, QWidget


def _shoot(widget: QWidget, target: Path) -> None:
    app = QApplication.instance()
    for _ in range(3):
        if app is not None:
            app.processEvents()
    widget.grab().save(str(target))
    print(target)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(__doc__)
        return 2
    out = Path(args[0])
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory() as home:
        os.environ["FIELDAPP_HOME"] = home
        return _render(out)


def _render(out: Path) -> int:
    from fieldapp import i18n
    from fieldapp.services import demo, session
    from fieldapp.ui import style
    from fieldapp.ui.app import ensure_app, make_window
    from fieldapp.ui.context import build_context
    from fieldapp.ui.dialogs.consent import ConsentDialog
    from fieldapp.ui.dialogs.create_workspace import CreateWorkspaceDialog
    from fieldapp.ui.dialogs.organisation import OrganisationDialog
    from fieldapp.ui.dialogs.recovery_key import RecoveryKeyDialog
    from fieldapp.ui.dialogs.unlock import UnlockDialog

    app = ensure_app()
    style.apply(app)
    ctx = build_context(synchronous=True)
    i18n.set_language("en")
    window = make_window(ctx)
    window.resize(1366, 768)  # a 13-inch laptop, the smallest screen researchers bring
    window.show()
    ws_view = window.workspace
    demo_path = session.demo_workspace_path()

    def dialogs() -> list[tuple[str, Callable[[], QDialog]]]:
        return [
            ("create", lambda: CreateWorkspaceDialog(ctx)),
            ("recovery_key", lambda: RecoveryKeyDialog(ctx, "ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567")),
            ("unlock", lambda: UnlockDialog(ctx, demo_path)),
            ("consent", lambda: ConsentDialog(ctx, "p", "KM-HIV-001")),
            ("organisation", lambda: OrganisationDialog(ctx)),
        ]

    for lang in ("en", "zh_CN"):
        ctx.language.set_language(lang)
        window.session.start()
        window.stack.setCurrentWidget(window.welcome)
        _shoot(window, out / f"{lang}-01-welcome.png")
        for i, (name, make) in enumerate(dialogs()):
            d = make()
            d.show()
            _shoot(d, out / f"{lang}-0{i + 2}-{name}.png")
            d.deleteLater()
        if not ctx.tasks.has_workspace_hint():
            ctx.tasks.open_workspace(lambda: demo.create_demo(demo_path, "fieldapp-demo"))
            window.session.path = demo_path
            window.session.enter_opened()
            ctx.tasks.run(_case_attributes, lambda _r: ctx.data.changed.emit("*"))
        window.stack.setCurrentWidget(window.workspace)
        interviews = ws_view.interviews
        if interviews.model.rowCount():
            interviews.select(interviews.model.record(0)["id"])
        editor = interviews.editor
        for kind, note in editor.notes.items():
            if note.highlights:
                editor.show_note(kind)
                break
        for n, (name, view) in enumerate((("interviews", interviews),
                                          ("participants", ws_view.participants),
                                          ("organisations", ws_view.organisations),
                                          ("codebook", ws_view.codes))):
            ws_view.tabs.setCurrentWidget(view)
            if view is ws_view.participants and view.model.rowCount():
                view.select(view.model.record(0)["id"])
            if view is ws_view.codes and ws_view.codebook.rowCount():
                view.tree.setCurrentIndex(ws_view.codebook.index(0, 0))
            if view is ws_view.organisations and view.proxy.rowCount():
                view.table.setCurrentIndex(view.proxy.index(0, 0))
            _shoot(window, out / f"{lang}-1{n}-{name}.png")
            if view is ws_view.codes:
                view.edit_attributes()
                attributes = view.attributes_dialog
                assert attributes is not None
                attributes.list.setCurrentRow(1)
                _shoot(attributes, out / f"{lang}-24-case-attributes.png")
                attributes.close()
        # The note with its find bar (a word of a coded passage), then focus mode.
        ws_view.tabs.setCurrentWidget(interviews)
        note = editor.current_note()
        if note.interview_id is not None:
            text = note.text()
            word = max(("服务", "组织", "the", "of"), key=text.count)
            note.open_find()
            note.find_bar.query.setText(word)
            note.find_bar.search()
            _shoot(window, out / f"{lang}-25-find-in-note.png")
            note.find_bar.close_bar()
            ws_view.set_focus_mode(True)
            _shoot(window, out / f"{lang}-26-focus-mode.png")
            editor.focus_codings.setChecked(True)
            _shoot(window, out / f"{lang}-27-focus-mode-codings.png")
            editor.focus_codings.setChecked(False)
            ws_view.set_focus_mode(False)
        ws_view.show_search()
        ws_view.search.query.setText("艾滋" if lang == "zh_CN" else "contract")
        ws_view.search.run_search()
        _shoot(window, out / f"{lang}-14-search.png")
        analysis = ws_view.analysis
        ws_view.tabs.setCurrentWidget(analysis)
        analysis.tabs.setCurrentIndex(1)
        analysis.matrix_scope.setCurrentIndex(analysis.matrix_scope.findData("interview"))
        analysis.run_matrix()
        _shoot(window, out / f"{lang}-16-cooccurrence.png")
        matrix = analysis.matrix
        cells = [(matrix.count(r, c), r, c) for r in range(matrix.rowCount())
                 for c in range(matrix.columnCount()) if r != c]
        if cells:
            _count, row, column = max(cells)
            analysis._open_cell(matrix.index(row, column))
        _shoot(window, out / f"{lang}-17-query.png")
        _transcription(ctx, ws_view, out / f"{lang}-18-transcription.png")
        _memo_screens(window, out, lang)
        for number, name, view in ((28, "surveys", ws_view.surveys), (29, "team", ws_view.team)):
            ws_view.tabs.setCurrentWidget(view)
            _shoot(window, out / f"{lang}-{number}-{name}.png")
        window.session.lock()
        _shoot(window, out / f"{lang}-15-locked.png")
        dialog = window.session.dialog
        if isinstance(dialog, UnlockDialog):
            dialog.passphrase.setText("fieldapp-demo")
            dialog.try_unlock()
    _empty_screens(ctx, window, out)
    _blind_coding(ctx, window, out)
    window.close()
    ctx.language.detach()
    return 0


def _recording(seconds: int = 90) -> bytes:
    """A quiet tone as a WAV recording, to show the player (nothing of anyone's)."""
    import io
    import math
    import struct
    import wave

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", int(2000 * math.sin(i / 9)))
                               for i in range(8000 * seconds)))
    return buffer.getvalue()


def _transcription(ctx: Any, ws_view: Any, target: Path) -> None:
    """Transcription mode: a recording playing above the transcript, with the attachments and
    the interview's participants below."""
    from fieldapp.services import attachments
    from fieldapp.store.errors import FieldappError

    interviews = ws_view.interviews
    editor = interviews.editor
    ws_view.tabs.setCurrentWidget(interviews)
    if editor.interview_id is None:
        return
    interview_id = editor.interview_id
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "interview-recording.wav"
        source.write_bytes(_recording())
        added: list[str] = []

        def add(ws: Any) -> None:
            try:
                added.append(attachments.add_attachment(ws, source, interview_id=interview_id))
            except FieldappError:
                pass  # consent without audio: the panel says so, which is worth a picture too

        ctx.tasks.run(add)
    editor.attachments.reload()
    editor.lower_tabs.setCurrentWidget(editor.attachments)
    if added and editor.attachments.list.count():
        editor.attachments.list.setCurrentRow(editor.attachments.list.count() - 1)
        editor.attachments.transcribe_selected()
        if editor.transcription.player is not None:
            editor.transcription.player.seek(83_000)
    _shoot(ws_view.window(), target)
    editor.transcription.stop()
    editor.lower_tabs.setCurrentIndex(0)


def _memo_screens(window: Any, out: Path, lang: str) -> None:
    """The Memos tab, an interview's memos, and the identifiers of the open note."""
    ws_view = window.workspace
    ws_view.tabs.setCurrentWidget(ws_view.memos)
    ws_view.memos.reload()
    if ws_view.memos.list.count():
        ws_view.memos.list.setCurrentRow(0)
    _shoot(window, out / f"{lang}-19-memos.png")
    interviews = ws_view.interviews
    ws_view.tabs.setCurrentWidget(interviews)
    editor = interviews.editor
    editor.lower_tabs.setCurrentWidget(editor.memos)
    if editor.memos.list.count():
        editor.memos.list.setCurrentRow(0)
    _shoot(window, out / f"{lang}-20-interview-memos.png")
    editor.show_note("field_notes")
    editor.open_deidentify()
    dialog = editor.deidentify_dialog
    if dialog is not None:
        dialog.possible.setChecked(True)  # the demo's notes name people only in passing
        _shoot(dialog, out / f"{lang}-21-deidentify.png")
        dialog.reject()
    editor.lower_tabs.setCurrentIndex(0)


def _empty_screens(ctx: Any, window: Any, out: Path) -> None:
    """A new, empty workspace: what each list says before there is anything in it."""
    from fieldapp.services import session

    window.session.lock()  # as opening another workspace does: the views are cleared
    if window.session.dialog is not None:
        window.session.dialog.close()
    with tempfile.TemporaryDirectory() as root:
        path = Path(root) / "empty"
        ctx.tasks.open_workspace(lambda: session.create_workspace(path, "fieldapp-demo")[0])
        window.session.path = path
        window.session.enter_opened()
        window.stack.setCurrentWidget(window.workspace)
        ws_view = window.workspace
        for lang in ("en", "zh_CN"):
            ctx.language.set_language(lang)
            for n, (name, view) in enumerate((
                    ("interviews", ws_view.interviews), ("participants", ws_view.participants),
                    ("organisations", ws_view.organisations), ("codebook", ws_view.codes),
                    ("memos", ws_view.memos), ("surveys", ws_view.surveys))):
                ws_view.tabs.setCurrentWidget(view)
                _shoot(window, out / f"{lang}-3{n}-empty-{name}.png")
            ws_view.show_search()
            ws_view.search.query.setText("口述史" if lang == "zh_CN" else "oral history")
            ws_view.search.run_search()
            _shoot(window, out / f"{lang}-36-empty-search.png")
            ws_view.search.clear_query()
        ctx.tasks.close_workspace()


def _blind_coding(ctx: Any, window: Any, out: Path) -> None:
    """The Blind coding tab of a made-up team: the coordinator's view, then a coder's."""
    from fieldapp.services import demo_blind, session

    with tempfile.TemporaryDirectory() as root:
        made = demo_blind.make_team(root, "fieldapp-demo")
        for who, n in (("coordinator", 22), ("bob", 23)):
            path = Path(made[who])
            ctx.tasks.open_workspace(lambda p=path: session.open_workspace(p, "fieldapp-demo"))
            window.session.path = path
            window.session.enter_opened()
            window.stack.setCurrentWidget(window.workspace)
            analysis = window.workspace.analysis
            window.workspace.tabs.setCurrentWidget(analysis)
            analysis.tabs.setCurrentWidget(analysis.blind)
            for lang in ("en", "zh_CN"):
                ctx.language.set_language(lang)
                analysis.blind.refresh()
                _shoot(window, out / f"{lang}-{n}-blind-{who}.png")
        ctx.tasks.close_workspace()


def _case_attributes(ws: object) -> None:
    """A few case attributes on the demo study, so their editors show values."""
    from fieldapp.analysis.attributes import Choice
    from fieldapp.services import case_attributes, records

    case_attributes.define(ws, "budget", "organisation", "number",  # type: ignore[arg-type]
                           label_zh="年度预算（元）", label_en="Annual budget (yuan)")
    case_attributes.define(ws, "registration", "organisation", "choice",  # type: ignore[arg-type]
                           label_zh="登记状态", label_en="Registration status",
                           choices=[Choice("registered", "已登记", "Registered"),
                                    Choice("unregistered", "未登记", "Not registered"),
                                    Choice("affiliated", "挂靠", "Affiliated")])
    case_attributes.define(ws, "contracts_since", "organisation", "date",  # type: ignore[arg-type]
                           label_zh="首次政府购买服务", label_en="First government contract")
    case_attributes.define(ws, "years_in_post", "participant", "number",  # type: ignore[arg-type]
                           label_zh="任职年数", label_en="Years in post")
    orgs = records.list_records(ws, "organisation")  # type: ignore[arg-type]
    for k, org in enumerate(orgs):
        case_attributes.set_values(ws, org["id"], {  # type: ignore[arg-type]
            "budget": 300_000 + 150_000 * k,
            "registration": ("registered", "unregistered", "affiliated")[k % 3],
            "contracts_since": f"{2012 + k % 9}-0{1 + k % 9}-15"})


if __name__ == "__main__":
    raise SystemExit(main())
