"""References between records: refused locally when they point nowhere, merged (not refused)
when they come from another device, and never a crash."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from fieldapp.domain.ids import new_id
from fieldapp.domain.schema import ENTITIES
from fieldapp.i18n import set_language
from fieldapp.services import records
from fieldapp.services.export import export
from fieldapp.services.search import search
from fieldapp.store.check import check, table_rows
from fieldapp.store.errors import RecordMissing
from fieldapp.store.workspace import Workspace
from tests.cli_child import CLI
from tests.conftest import PASSPHRASE
from tests.kdf import TEST_KDF


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FIELDAPP_LANG": "en", "FIELDAPP_PASSPHRASE": PASSPHRASE}
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=env, timeout=120,
                          check=False)


def test_the_command_line_refuses_records_that_point_nowhere(ws: Workspace,
                                                             ws_path: Path) -> None:
    code = records.add_code(ws, name_en="funding")
    ws.close()
    missing_interview, missing_note = new_id(), new_id()
    proc = _cli("record", "create", str(ws_path), "note", "--set",
                f"interview_id={missing_interview}", "--set", "body=一段笔记")
    assert proc.returncode == 1, proc.stdout
    assert f"There is no interview {missing_interview}, so this note cannot refer to it" \
        in proc.stderr
    proc = _cli("record", "create", str(ws_path), "coding", "--set", f"note_id={missing_note}",
                "--set", f"code_id={code}", "--set", "start_offset=0", "--set", "end_offset=2")
    assert proc.returncode == 1, proc.stdout
    assert f"There is no note {missing_note}" in proc.stderr
    proc = _cli("--lang", "zh_CN", "record", "create", str(ws_path), "note", "--set",
                f"interview_id={missing_interview}")
    assert proc.returncode == 1 and missing_interview in proc.stderr
    assert "访谈" in proc.stderr
    for entity in ("note", "coding"):
        assert json.loads(_cli("record", "list", str(ws_path), entity).stdout) == []


REF_FIELDS = [(e.name, f.name, f.ref, f.kind) for e in ENTITIES.values() for f in e.fields
              if f.kind in ("ref", "refs") and f.ref]


@pytest.mark.parametrize(("entity", "field", "target", "kind"), REF_FIELDS,
                         ids=[f"{e}.{f}" for e, f, _t, _k in REF_FIELDS])
def test_every_reference_of_the_schema_is_checked(ws: Workspace, entity: str, field: str,
                                                  target: str, kind: str) -> None:
    missing = new_id()
    before = len(ws.ops())
    with pytest.raises(RecordMissing) as info:
        records.create(ws, entity, {field: [missing] if kind == "refs" else missing})
    assert (info.value.entity, info.value.record_id) == (target, missing)
    assert missing in info.value.message
    set_language("zh_CN")
    assert missing in info.value.message and info.value.message.isascii() is False
    set_language("en")
    assert len(ws.ops()) == before


def test_an_update_may_not_point_at_a_deleted_record(ws: Workspace) -> None:
    gone = records.add_interview(ws, code="KM-1")
    kept = records.add_interview(ws, code="KM-2")
    note = records.add_note(ws, kept, body="text")
    records.delete(ws, "interview", gone)
    with pytest.raises(RecordMissing):
        records.update(ws, "note", note, {"interview_id": gone})
    with pytest.raises(RecordMissing):
        records.add_participant(ws, code="P1", organisation_id=new_id())
    assert records.get(ws, "note", note)["interview_id"] == kept


def test_a_dangling_reference_from_another_device_is_merged_not_refused(
        tmp_path: Path) -> None:
    """Another device's records may point at a record this one has not received (or that was
    deleted there): refusing them would depend on arrival order and break convergence, so they
    are merged, and every reader copes."""
    devices = [Workspace.initialise(tmp_path / n, PASSPHRASE, researcher=n, kdf=TEST_KDF)[0]
               for n in ("a", "b", "c")]
    a, b, c = devices
    try:
        code = records.add_code(a, name_en="funding")
        b.apply_remote(a.ops())
        # b's own, older or altered client wrote these without the local checks.
        note = b.create("note", {"interview_id": new_id(), "kind": "field_notes",
                                 "body": "艾滋病 关爱 funding", "title": ""})
        b.create("coding", {"note_id": new_id(), "code_id": code, "start_offset": 0,
                            "end_offset": 2})
        b.create("coding", {"note_id": note, "code_id": new_id(), "start_offset": 0,
                            "end_offset": 2})
        report = a.apply_remote(b.ops())
        assert not report.rejected
        c.apply_remote(b.ops())  # the other order
        c.apply_remote(a.ops())
        for name in ENTITIES:
            if name != "receipt":
                assert table_rows(a.db, name) == table_rows(c.db, name), name
        # Every reader copes.
        assert records.passages_of_code(a, code) == []  # its note never arrived
        assert search(a, "艾滋")
        export(a, tmp_path / "out.xlsx")
        assert (tmp_path / "out.xlsx").stat().st_size > 0
        assert check(a).ok and check(c).ok
    finally:
        for ws in devices:
            ws.close()
