"""Memos on the project, codes and interviews: the service's promises (subjects, folded search,
ownership), the command line in a separate process, and exports read back from the files
(xlsx, CSV, REFI-QDA validated against the standard's schema)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from fieldapp.domain.ops import Op
from fieldapp.services import memos, records
from fieldapp.store.errors import InvalidInput, NotFound, NotOwner
from fieldapp.store.workspace import Workspace
from tests.cli_child import CLI
from tests.conftest import PASSPHRASE

REFI = Path(__file__).parent / "export" / "refi"
NS = {"q": "urn:QDA-XML:project:1.0"}


def _interview(ws: Workspace, code: str = "KM-HIV-I007") -> str:
    pid = records.add_participant(ws, code=code.replace("-I", "-P"))
    return records.add_interview(ws, code=code, participant_ids=[pid])


# -- the service ------------------------------------------------------------------------------


def test_memos_on_each_subject_listed_and_filtered(ws: Workspace) -> None:
    iid = _interview(ws)
    code = records.add_code(ws, name_zh="信任", name_en="Trust")
    project = memos.add_memo(ws, title="总体思路", body="比较两个调研点的购买服务流程")
    on_code = [memos.add_memo(ws, about="code", code_id=code, body=f"信任的第{k}种含义")
               for k in (1, 2)]
    on_iv = memos.add_memo(ws, about="interview", interview_id=iid, title="访谈后的反思")

    assert {m["id"] for m in memos.list_memos(ws)} == {project, *on_code, on_iv}
    assert [m["id"] for m in memos.list_memos(ws, about="project")] == [project]
    assert {m["id"] for m in memos.list_memos(ws, code_id=code)} == set(on_code)
    (iv,) = memos.list_memos(ws, interview_id=iid)
    assert iv["id"] == on_iv and iv["interview_code"] == "KM-HIV-I007" and iv["mine"]
    assert iv["author"] == "Test"
    assert memos.list_memos(ws, code_id=code)[0]["code_name_zh"] == "信任"
    # newest change first: editing the oldest brings it to the top
    memos.save_memo(ws, project, body="改过了")
    assert memos.list_memos(ws)[0]["id"] == project


def test_search_folds_traditional_and_full_width_like_the_note_index(ws: Workspace) -> None:
    target = memos.add_memo(ws, title="政府購買服務", body="愛滋病 NGO 的ＨＩＶ檢測經費")
    memos.add_memo(ws, title="另一条", body="残障儿童康复")
    for query in ("购买服务", "艾滋病", "hiv", "HIV 购买", "ｎｇｏ"):
        assert [m["id"] for m in memos.list_memos(ws, text=query)] == [target], query
        assert [h.memo_id for h in memos.search_memos(ws, query)] == [target], query
    assert memos.list_memos(ws, text="购买 康复") == []  # every word must be there
    (hit,) = memos.search_memos(ws, "艾滋病")
    assert "愛滋病" in hit.snippet  # the stored text is shown as written, never converted
    assert records.get(ws, "memo", target)["body"].startswith("愛滋病")
    # Folded text is reused between searches, never after the memo changed or went away.
    memos.save_memo(ws, target, body="只剩下培训经费")
    assert memos.list_memos(ws, text="艾滋病") == []
    assert [m["id"] for m in memos.list_memos(ws, text="培训")] == [target]
    memos.delete_memo(ws, target)
    assert memos.list_memos(ws, text="培训") == []


def test_bad_memos_are_refused_and_nothing_is_written(ws: Workspace) -> None:
    iid = _interview(ws)
    before = ws.last_seq
    with pytest.raises(InvalidInput):
        memos.add_memo(ws, about="participant", body="x")
    with pytest.raises(InvalidInput):
        memos.add_memo(ws, about="code", body="x")  # which code?
    with pytest.raises(NotFound):
        memos.add_memo(ws, about="interview", interview_id="no-such-interview", body="x")
    with pytest.raises(InvalidInput):
        memos.add_memo(ws, about="interview", interview_id=iid, title="  ", body="\n")
    assert ws.last_seq == before and memos.list_memos(ws) == []


def test_only_the_author_changes_a_memo_here_and_through_sync(ws: Workspace,
                                                              tmp_path: Path) -> None:
    """A memo arrives from another device (its operations applied as sync applies them):
    it can be read, but neither edited nor deleted here, and a forged edit from here is
    refused by the author's workspace."""
    other, _ = Workspace.initialise(tmp_path / "other", PASSPHRASE, researcher="Lin")
    try:
        theirs = memos.add_memo(other, title="林的备忘录", body="原文")
        report = ws.apply_remote(other.ops())
        assert report.rejected == []
        memo = memos.get_memo(ws, theirs)
        assert memo["body"] == "原文" and not memo["mine"]
        with pytest.raises(NotOwner):
            memos.save_memo(ws, theirs, body="我改的")
        with pytest.raises(NotOwner):
            memos.delete_memo(ws, theirs)
        with pytest.raises(NotOwner):  # the generic record path refuses it too
            records.update(ws, "memo", theirs, {"body": "我改的"})
        assert memos.get_memo(ws, theirs)["body"] == "原文"
        # An edit operation from this device on their memo, as a bundle would carry it.
        forged = Op(ws.device_id, 10_000, ws.clock.tick().encode(), "memo", theirs,
                    {"body": "我改的"}, tuple(other.applier.heads(theirs)))
        result = other.apply_remote([forged])
        assert [reason for _id, reason in result.rejected] == ["not the owner of this record"]
        assert memos.get_memo(other, theirs)["body"] == "原文"
    finally:
        other.close()


# -- the command line, in a separate process ----------------------------------------------


def _cli(ws_path: Path, *args: str, stdin: str | None = None,
         lang: str = "en") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FIELDAPP_PASSPHRASE": PASSPHRASE}
    return subprocess.run([*CLI, "--lang", lang, "memo", args[0], str(ws_path), *args[1:]],
                          env=env, capture_output=True, text=True, input=stdin, timeout=120)


def test_cli_add_list_show_edit_delete(ws_path: Path, tmp_path: Path) -> None:
    ws, _ = Workspace.initialise(ws_path, PASSPHRASE, researcher="林晓")
    iid = _interview(ws)
    code = records.add_code(ws, name_zh="信任", name_en="Trust")
    ws.close()

    added = _cli(ws_path, "add", "--interview", "KM-HIV-I007", "--title", "第一印象",
                 "--body", "受访者对民政局很谨慎")
    assert added.returncode == 0, added.stderr
    memo_id = added.stdout.strip()
    body_file = tmp_path / "memo.txt"
    body_file.write_text("信任來自長期合作\n第二行", encoding="utf-8")
    on_code = _cli(ws_path, "add", "--code", "Trust", "--body-file", str(body_file))
    assert on_code.returncode == 0, on_code.stderr
    from_stdin = _cli(ws_path, "add", "--project", "--title", "方法", "--body-file", "-",
                      stdin="滚雪球抽样")
    assert from_stdin.returncode == 0, from_stdin.stderr

    listed = _cli(ws_path, "list", "--json")
    data = json.loads(listed.stdout)
    assert {m["about"] for m in data} == {"interview", "code", "project"}
    assert {m["author"] for m in data} == {"林晓"}
    found = json.loads(_cli(ws_path, "list", "--search", "长期合作", "--json").stdout)
    assert [m["code_id"] for m in found] == [code]
    only = json.loads(_cli(ws_path, "list", "--interview", iid, "--json").stdout)
    assert [m["id"] for m in only] == [memo_id]
    table = _cli(ws_path, "list", lang="zh_CN")
    assert table.returncode == 0 and "访谈 KM-HIV-I007" in table.stdout
    shown = _cli(ws_path, "show", memo_id)
    assert "受访者对民政局很谨慎" in shown.stdout and "林晓" in shown.stdout

    assert _cli(ws_path, "edit", memo_id, "--body", "改写后的文字").returncode == 0
    assert json.loads(_cli(ws_path, "show", memo_id, "--json").stdout)["body"] == "改写后的文字"
    assert _cli(ws_path, "delete", memo_id).returncode == 0
    assert memo_id not in _cli(ws_path, "list", "--json").stdout


@pytest.mark.parametrize("args, words", [
    (("add", "--code", "no such code", "--body", "x"), "There is no code"),
    (("add", "--interview", "XX-000", "--body", "x"), "There is no interview"),
    (("add", "--project", "--title", ""), "needs a title or some text"),
    (("add", "--project", "--body-file", "/nonexistent/memo.txt"), "Cannot read"),
    (("edit", "01a00000-0000-7000-8000-000000000000", "--body", "x"), "does not exist"),
    (("edit", "01a00000-0000-7000-8000-000000000000"), "nothing to change"),
])
def test_cli_bad_input_is_a_message_exit_1_and_changes_nothing(
        ws_path: Path, args: tuple[str, ...], words: str) -> None:
    ws, _ = Workspace.initialise(ws_path, PASSPHRASE)
    records.add_code(ws, name_zh="信任")
    seq = ws.last_seq
    ws.close()
    proc = _cli(ws_path, *args)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert words in proc.stderr and "Traceback" not in proc.stderr
    with Workspace.open(ws_path, PASSPHRASE) as again:
        assert again.last_seq == seq


def test_cli_refuses_editing_another_researchers_memo(ws_path: Path, tmp_path: Path) -> None:
    ws, _ = Workspace.initialise(ws_path, PASSPHRASE)
    other, _ = Workspace.initialise(tmp_path / "other", PASSPHRASE, researcher="Lin")
    theirs = memos.add_memo(other, title="Lin's memo", body="原文")
    ws.apply_remote(other.ops())
    other.close()
    ws.close()
    proc = _cli(ws_path, "edit", theirs, "--body", "mine now")
    assert proc.returncode == 1 and "belongs to another researcher" in proc.stderr
    with Workspace.open(ws_path, PASSPHRASE) as again:
        assert memos.get_memo(again, theirs)["body"] == "原文"
