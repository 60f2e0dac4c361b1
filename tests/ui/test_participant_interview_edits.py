"""Participants can be changed (identity only on the device that recorded it) and removed when
nothing refers to them; an interview can be deleted by its own researcher, saying what goes
with it, and the deletion reaches the team like any other change."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from fieldapp.services import records, registry, sync
from fieldapp.services.attachments import add_attachment
from fieldapp.services.search import search
from fieldapp.store.errors import InvalidInput
from fieldapp.store.workspace import Workspace
from fieldapp.ui.dialogs.participant import ParticipantDialog
from fieldapp.ui.main_window import MainWindow
from tests.conftest import PASSPHRASE
from tests.kdf import TEST_KDF
from tests.ui.conftest import double_click_current, on_ws, select_row, type_text
from tests.unit.sync_flow.test_team_sync import Team


@pytest.fixture
def other(tmp_path: Path) -> Iterator[Workspace]:
    """Another researcher's device."""
    workspace, _recovery = Workspace.initialise(tmp_path / "other", PASSPHRASE,
                                                researcher="Other", kdf=TEST_KDF)
    yield workspace
    workspace.close()


def _receive(ctx: Any, source: Workspace) -> None:
    on_ws(ctx, lambda ws: ws.apply_remote(source.ops()))
    ctx.data.changed.emit("*")


# -- changing a participant ------------------------------------------------------------------

@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_change_a_participant_and_their_identity(unlocked: MainWindow, ctx: Any, qtbot: QtBot,
                                                 language: str) -> None:
    ctx.language.set_language(language)

    def add(ws: Any) -> tuple[str, str]:
        org = records.add_organisation(ws, name_zh="昆明红丝带协会")
        pid = records.add_participant(ws, code="KM-HIV-001", role="干事",
                                      identity={"real_name": "张伟", "phone": "13800000000"})
        return org, pid

    org, pid = on_ws(ctx, add)
    ctx.data.changed.emit("*")
    view = unlocked.workspace.participants
    select_row(view, "KM-HIV-001")
    view.edit_button.click()
    dialog = view.dialog
    assert dialog.windowTitle() == ("修改受访者" if language == "zh_CN" else "Change participant")
    assert dialog.fields["code"].text() == "KM-HIV-001"
    assert dialog.fields["role"].text() == "干事"
    # Identity only on request: nothing of it is in the dialog until asked for.
    assert dialog.fields["real_name"].text() == ""
    dialog.fields["role"].clear()
    type_text(qtbot, dialog.fields["role"], "项目主任")
    dialog.organisation.setCurrentIndex(dialog.organisation.findData(org))
    dialog.identity_box.setChecked(True)
    assert dialog.fields["real_name"].text() == "张伟"
    assert not dialog.fields["phone"].isReadOnly()
    dialog.fields["phone"].clear()
    type_text(qtbot, dialog.fields["phone"], "13900000000")
    dialog.save()
    p = on_ws(ctx, lambda ws: records.get(ws, "participant", pid))
    assert (p["code"], p["role"], p["organisation_id"]) == ("KM-HIV-001", "项目主任", org)
    identity = on_ws(ctx, lambda ws: records.identity_of(ws, pid))
    assert (identity["real_name"], identity["phone"]) == ("张伟", "13900000000")
    # the list shows the change
    assert view.proxy.index(0, 1).data() == "项目主任"


def test_double_click_opens_the_participant_change_dialog(unlocked: MainWindow, ctx: Any,
                                                          qtbot: QtBot) -> None:
    on_ws(ctx, lambda ws: records.add_participant(ws, code="DL-HIV-002"))
    ctx.data.changed.emit("participant")
    view = unlocked.workspace.participants
    unlocked.workspace.tabs.setCurrentWidget(view)
    select_row(view, "DL-HIV-002")
    double_click_current(qtbot, view)
    assert isinstance(view.dialog, ParticipantDialog)
    assert view.dialog.participant is not None
    assert view.dialog.participant["code"] == "DL-HIV-002"


def test_a_code_in_use_is_refused_and_nothing_changes(unlocked: MainWindow, ctx: Any,
                                                      qtbot: QtBot) -> None:
    def add(ws: Any) -> str:
        records.add_participant(ws, code="KM-HIV-001")
        return records.add_participant(ws, code="KM-HIV-002", role="志愿者")

    pid = on_ws(ctx, add)
    ctx.data.changed.emit("participant")
    view = unlocked.workspace.participants
    select_row(view, "KM-HIV-002")
    view.edit_participant()
    dialog = view.dialog
    dialog.fields["code"].setText("KM-HIV-001")
    dialog.fields["role"].setText("干事")
    dialog.save()
    assert dialog.problem.text() == "The participant code KM-HIV-001 is already in use."
    p = on_ws(ctx, lambda ws: records.get(ws, "participant", pid))
    assert (p["code"], p["role"]) == ("KM-HIV-002", "志愿者")


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_identity_recorded_on_another_device_is_shown_but_not_changed(
        unlocked: MainWindow, ctx: Any, other: Workspace, language: str) -> None:
    pid = records.add_participant(other, code="GZ-LAB-003", identity={"real_name": "李娜"})
    _receive(ctx, other)
    ctx.language.set_language(language)
    view = unlocked.workspace.participants
    select_row(view, "GZ-LAB-003")
    view.edit_participant()
    dialog = view.dialog
    dialog.identity_box.setChecked(True)
    assert dialog.fields["real_name"].text() == "李娜"
    assert dialog.fields["real_name"].isReadOnly()
    assert dialog.identity_note.text() == (
        "这些身份信息是在另一位研究者的设备上录入的，只有该设备可以修改。此处仅供查看，不能修改。"
        if language == "zh_CN" else
        "These identifying details were recorded on another researcher's device: only that "
        "device can change them. They are shown here but cannot be changed.")
    # The shared fields can still be changed.
    dialog.fields["role"].setText("会计")
    dialog.save()
    assert on_ws(ctx, lambda ws: records.get(ws, "participant", pid))["role"] == "会计"
    assert on_ws(ctx, lambda ws: records.identity_of(ws, pid))["real_name"] == "李娜"


def test_the_service_refuses_to_change_another_devices_identity(ws: Workspace,
                                                                other: Workspace) -> None:
    pid = records.add_participant(other, code="GZ-LAB-003", identity={"real_name": "李娜"})
    ws.apply_remote(other.ops())
    with pytest.raises(InvalidInput) as err:
        registry.update_participant(ws, pid, role="会计", identity={"real_name": "王芳"})
    assert err.value.message == (
        "The identifying details of participant GZ-LAB-003 were recorded on another "
        "researcher's device: only that device can change them. Nothing was changed; ask them "
        "to make the change.")
    # nothing changed, not even the shared field given with it
    assert records.get(ws, "participant", pid)["role"] == ""
    assert records.identity_of(ws, pid)["real_name"] == "李娜"  # type: ignore[index]


# -- removing a participant ------------------------------------------------------------------

@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_removing_a_participant_in_use_is_refused_with_counts(
        unlocked: MainWindow, ctx: Any, interaction: Any, language: str) -> None:
    def add(ws: Any) -> str:
        pid = records.add_participant(ws, code="KM-HIV-004")
        records.add_interview(ws, code="KM-HIV-I001", participant_ids=[pid])
        records.add_interview(ws, code="KM-HIV-I002", participant_ids=[pid])
        records.record_consent(ws, pid, form_version="v1", language="zh", method="oral",
                               date_given="2026-03-01", scopes=["audio"])
        return pid

    pid = on_ws(ctx, add)
    ctx.data.changed.emit("*")
    ctx.language.set_language(language)
    view = unlocked.workspace.participants
    select_row(view, "KM-HIV-004")
    view.delete_button.click()
    kind, _title, text = interaction.shown[-1]
    assert kind == "warn"  # refused before asking: nothing to confirm
    assert text == (
        "无法删除受访者 KM-HIV-004：该受访者仍有2 个访谈和1 条知情同意记录。请先删除这些记录；"
        "如受访者撤回同意，请登记撤回同意。" if language == "zh_CN" else
        "Participant KM-HIV-004 cannot be removed: they still have 2 interviews and 1 consent "
        "record. Remove those first, or record a withdrawal of consent if the participant "
        "withdraws.")
    assert on_ws(ctx, lambda ws: records.find(ws, "participant", pid)) is not None


def test_remove_an_unused_participant_with_their_identity(unlocked: MainWindow, ctx: Any,
                                                          interaction: Any) -> None:
    pid = on_ws(ctx, lambda ws: records.add_participant(ws, code="P-009",
                                                       identity={"real_name": "重复录入"}))
    ctx.data.changed.emit("participant")
    view = unlocked.workspace.participants
    select_row(view, "P-009")
    interaction.confirm_answers.append(True)
    view.delete_participant()
    assert interaction.shown[-1][0] == "confirm"
    assert "P-009" in interaction.shown[-1][2]
    assert on_ws(ctx, lambda ws: records.find(ws, "participant", pid)) is None
    assert on_ws(ctx, lambda ws: records.identity_of(ws, pid)) is None
    assert view.proxy.rowCount() == 0


def test_the_service_refuses_responses_and_a_foreign_identity(ws: Workspace,
                                                              other: Workspace) -> None:
    pid = records.add_participant(other, code="GZ-LAB-005", identity={"real_name": "李娜"})
    ws.apply_remote(other.ops())
    with pytest.raises(InvalidInput) as err:
        registry.delete_participant(ws, pid)
    assert err.value.message == (
        "Participant GZ-LAB-005 cannot be removed here: their identifying details were "
        "recorded on another researcher's device, and only that device can remove them.")
    assert records.find(ws, "participant", pid) is not None
    mine = records.add_participant(ws, code="GZ-LAB-006")
    ws.create("response", {"participant_id": mine, "data": {}, "status": "complete"})
    with pytest.raises(InvalidInput) as err:
        registry.delete_participant(ws, mine)
    assert err.value.message.startswith(
        "Participant GZ-LAB-006 cannot be removed: they still have 1 survey response.")


# -- deleting an interview -------------------------------------------------------------------

def _interview_with_contents(ws: Any, tmp: Path) -> str:
    iid = records.add_interview(ws, code="KM-HIV-I010")
    code = records.add_code(ws, name_zh="资金困难")
    transcript = records.add_note(ws, iid, kind="transcript", body="经费拨付常常延迟三到六个月。")
    records.add_note(ws, iid, kind="field_notes", body="在茶馆见面。")
    records.apply_code(ws, transcript, code, 0, 4)
    records.apply_code(ws, transcript, code, 5, 9)
    photo = tmp / "site.jpg"
    photo.write_bytes(b"\xff\xd8\xff" + b"x" * 100)
    add_attachment(ws, photo, interview_id=iid)
    return str(iid)


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_delete_an_interview_says_what_goes_with_it(unlocked: MainWindow, ctx: Any,
                                                    interaction: Any, tmp_path: Path,
                                                    language: str) -> None:
    iid = on_ws(ctx, lambda ws: _interview_with_contents(ws, tmp_path))
    ctx.data.changed.emit("*")
    ctx.language.set_language(language)
    view = unlocked.workspace.interviews
    view.select(iid)
    interaction.confirm_answers.append(True)
    view.delete_button.click()
    kind, title, text = interaction.shown[-1]
    assert kind == "confirm"
    assert len(interaction.shown) == 1  # asked once
    if language == "zh_CN":
        assert title == "删除访谈"
        assert text == ("删除访谈 KM-HIV-I010？以下内容将一并删除：2 篇笔记、2 处编码和1 个附件。"
                        "删除会在下次同步时发送给团队。")
    else:
        assert text == ("Delete interview KM-HIV-I010? These go with it: 2 notes, 2 codings and "
                        "1 attachment. The deletion is sent to your team at the next sync.")
    for entity in ("interview", "note", "coding", "attachment"):
        assert on_ws(ctx, lambda ws, e=entity: records.list_records(ws, e)) == [], entity
    assert view.model.rowCount() == 0
    assert view.editor.interview_id is None


def test_cancelling_keeps_the_interview(unlocked: MainWindow, ctx: Any, interaction: Any,
                                        tmp_path: Path) -> None:
    iid = on_ws(ctx, lambda ws: _interview_with_contents(ws, tmp_path))
    ctx.data.changed.emit("*")
    view = unlocked.workspace.interviews
    view.select(iid)
    interaction.confirm_answers.append(False)
    view.delete_interview()
    assert len(on_ws(ctx, lambda ws: records.list_records(ws, "note"))) == 2
    assert on_ws(ctx, lambda ws: records.find(ws, "interview", iid)) is not None


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_another_researchers_interview_cannot_be_deleted_here(
        unlocked: MainWindow, ctx: Any, interaction: Any, other: Workspace,
        language: str) -> None:
    iid = records.add_interview(other, code="GZ-LAB-I002")
    records.add_note(other, iid, body="访谈记录")
    _receive(ctx, other)
    ctx.language.set_language(language)
    view = unlocked.workspace.interviews
    view.select(iid)
    view.delete_interview()
    kind, _title, text = interaction.shown[-1]
    assert kind == "warn"
    assert text == (
        "访谈 GZ-LAB-I002 属于另一位研究者，只有录入该访谈的设备可以删除。未删除任何内容。"
        if language == "zh_CN" else
        "Interview GZ-LAB-I002 belongs to another researcher: only the device that recorded "
        "it can delete it. Nothing was deleted.")
    assert on_ws(ctx, lambda ws: records.find(ws, "interview", iid)) is not None
    assert len(on_ws(ctx, lambda ws: records.list_records(ws, "note"))) == 1


def test_an_interview_with_another_researchers_codings_is_refused(
        ws: Workspace, other: Workspace) -> None:
    iid = records.add_interview(ws, code="KM-HIV-I011")
    note = records.add_note(ws, iid, body="经费拨付常常延迟。")
    other.apply_remote(ws.ops())
    code = records.add_code(other, name_zh="资金")
    records.apply_code(other, note, code, 0, 2)
    ws.apply_remote(other.ops())
    with pytest.raises(InvalidInput) as err:
        registry.delete_interview(ws, iid)
    assert err.value.message == (
        "Interview KM-HIV-I011 cannot be deleted here: it holds 1 coding made by other "
        "researchers, and only their devices can delete them. Nothing was deleted.")
    assert records.find(ws, "interview", iid) is not None
    assert records.find(ws, "note", note) is not None


def test_an_interview_with_survey_responses_is_refused(ws: Workspace) -> None:
    iid = records.add_interview(ws, code="KM-HIV-I012")
    ws.create("response", {"interview_id": iid, "data": {}, "status": "complete"})
    with pytest.raises(InvalidInput) as err:
        registry.interview_contents(ws, iid)
    assert err.value.message == ("Interview KM-HIV-I012 cannot be deleted: it is linked to 1 "
                                 "survey response. Remove those first.")


def test_the_deletion_reaches_the_team_through_the_shared_store(tmp_path: Path) -> None:
    """A real team: alice's bundle (signed, encrypted, in a shared folder) carries the interview
    to the coordinator, then its deletion."""
    with ExitStack() as stack:
        t = Team(tmp_path, stack)
        alice = t.enrol("alice")
        iid = _interview_with_contents(alice, tmp_path)
        sync.send(alice)
        sync.collect(t.coordinator)
        assert len(records.list_records(t.coordinator, "coding")) == 2
        assert search(t.coordinator, "经费拨付")
        counts = registry.delete_interview(alice, iid)
        assert counts == {"notes": 2, "coded": 2, "attachments": 1}
        assert sync.send(alice).sent
        report = sync.collect(t.coordinator)
        assert [b.status for b in report.bundles] == ["merged"]
        for entity in ("interview", "note", "coding", "attachment"):
            assert records.list_records(t.coordinator, entity) == [], entity
        assert not search(t.coordinator, "经费拨付")
