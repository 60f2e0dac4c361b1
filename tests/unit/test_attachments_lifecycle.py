"""Attachments can be deleted for good, and a recording is refused where consent does not
cover audio.

Deleting is checked from outside the code that deletes: every page and WAL frame of the
database is decrypted with the data key and searched for the file's key, and the shared folder
of a real team is used to carry the delete to the coordinator, whose copy must go too.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from fieldapp.services import attachments, records, session, sync
from fieldapp.store.errors import NotOwner
from fieldapp.store.workspace import DB_NAME, Workspace
from tests.conftest import PASSPHRASE
from tests.media import samples
from tests.unit.store.pagescan import decrypted_pages
from tests.unit.sync_flow.test_team_sync import Team


def _consent(ws: Workspace, pid: str, scopes: list[str]) -> None:
    records.record_consent(ws, pid, form_version="v2", language="zh", method="written",
                           date_given="2026-03-01", scopes=scopes)


def _files(ws: Workspace) -> list[Path]:
    return sorted((ws.path / "attachments").rglob("*.enc"))


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    path = tmp_path / "访谈录音.wav"
    path.write_bytes(samples.wav(seconds=1))
    return path


def test_a_recording_needs_everyone_s_consent_to_audio(ws: Workspace, recording: Path,
                                                       tmp_path: Path) -> None:
    with_audio = records.add_participant(ws, code="KM-01")
    without = records.add_participant(ws, code="KM-02")
    never_asked = records.add_participant(ws, code="KM-03")
    _consent(ws, with_audio, ["audio", "verbatim_quotes"])
    _consent(ws, without, ["verbatim_quotes"])
    iid = records.add_interview(ws, code="I-1", participant_ids=[with_audio, without, never_asked])
    assert attachments.audio_consent_missing(ws, iid) == ["KM-02", "KM-03"]
    with pytest.raises(attachments.AudioNotConsented) as err:
        attachments.add_attachment(ws, recording, interview_id=iid)
    assert "KM-02" in str(err.value) and "KM-03" in str(err.value)
    assert "KM-01" not in str(err.value)
    assert "Consent" in str(err.value)  # says where to fix it
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"\0" * 64)
    with pytest.raises(attachments.AudioNotConsented):
        attachments.add_attachment(ws, video, interview_id=iid)
    # Nothing was kept of the refused files.
    assert records.list_records(ws, "attachment") == [] and _files(ws) == []
    # A photo of the consent form is no recording.
    photo = tmp_path / "form.png"
    photo.write_bytes(samples.png())
    attachments.add_attachment(ws, photo, interview_id=iid)
    # A newer consent that covers audio lets the recording in.
    _consent(ws, without, ["audio"])
    _consent(ws, never_asked, ["audio", "archiving"])
    assert attachments.audio_consent_missing(ws, iid) == []
    attachments.add_attachment(ws, recording, interview_id=iid)
    assert len(records.list_records(ws, "attachment")) == 2


def test_a_later_consent_without_audio_closes_the_door(ws: Workspace, recording: Path) -> None:
    pid = records.add_participant(ws, code="GZ-07")
    _consent(ws, pid, ["audio"])
    _consent(ws, pid, ["verbatim_quotes"])  # re-consented, this time without audio
    iid = records.add_interview(ws, code="I-2", participant_ids=[pid])
    with pytest.raises(attachments.AudioNotConsented):
        attachments.add_attachment(ws, recording, interview_id=iid)


def test_deleting_removes_the_file_and_every_trace_of_its_key(ws: Workspace,
                                                               recording: Path) -> None:
    iid = records.add_interview(ws, code="I-3")
    aid = attachments.add_attachment(ws, recording, interview_id=iid)
    key = str(records.get(ws, "attachment", aid)["file_key"])
    raw_key = base64.b64decode(key)
    (file,) = _files(ws)
    db = ws.path / DB_NAME

    def key_in_pages() -> bool:
        return any(key.encode() in page or raw_key in page for page in decrypted_pages(db, ws.data_key))

    assert key_in_pages()  # the scan can see the key while the attachment lives
    attachments.delete_attachment(ws, aid)
    assert not file.exists()
    assert records.find(ws, "attachment", aid) is None
    assert attachments.attachments_of(ws, iid) == []
    assert not key_in_pages()
    ws.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert not key_in_pages()


@pytest.fixture
def t(tmp_path: Path) -> Iterator[Team]:
    with ExitStack() as stack:
        yield Team(tmp_path, stack)


def test_a_delete_travels_and_only_the_owner_may_delete(t: Team, recording: Path) -> None:
    alice = t.enrol("alice")
    iid = records.add_interview(alice, code="KM-I-9")
    aid = attachments.add_attachment(alice, recording, interview_id=iid)
    sync.send(alice)
    sync.collect(t.coordinator)
    assert attachments.read_attachment(t.coordinator, aid) == recording.read_bytes()
    with pytest.raises(NotOwner):
        attachments.delete_attachment(t.coordinator, aid)
    assert attachments.read_attachment(t.coordinator, aid) == recording.read_bytes()
    attachments.delete_attachment(alice, aid)
    sync.send(alice)
    sync.collect(t.coordinator)
    assert records.find(t.coordinator, "attachment", aid) is None
    # The coordinator's copy of the encrypted file goes when its workspace next opens.
    path = t.coordinator.path
    t.coordinator.close()
    reopened = session.open_workspace(path, PASSPHRASE)
    try:
        assert _files(reopened) == []
    finally:
        reopened.close()
