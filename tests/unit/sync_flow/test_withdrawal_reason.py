"""A withdrawal's reason never leaves the device: free text (which could name someone) is
refused, a reason from the fixed list stays in this device's audit log, and the bundles written
afterwards — decrypted with the real ``age`` program — carry the erase order without it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from fieldapp.services import records
from fieldapp.store.workspace import Workspace
from tests.conftest import PASSPHRASE
from tests.programs import need
from tests.unit.sync_flow.test_sync_cli import fa

NAME = "鞠婧祎"
FREE_TEXT = f"{NAME}的母亲打电话说她不想参加了"
OLD_ORDER_TEXT = "欧阳娜娜在电话里要求退出"


@pytest.mark.interop
def test_bundles_after_a_withdrawal_carry_no_reason(tmp_path: Path) -> None:
    age = need("age")
    env = {"FIELDAPP_PASSPHRASE": PASSPHRASE}
    store = tmp_path / "store"
    store.mkdir()
    coord = tmp_path / "coord"
    ws, _ = Workspace.initialise(coord, PASSPHRASE, researcher="Coordinator")
    records.add_participant(ws, code="KM-HIV-007", identity={"real_name": NAME})
    # An erase order as an earlier version recorded it (or as an older device sends it):
    # with a free-text reason.
    old = records.add_participant(ws, code="KM-HIV-009")
    with ws.transaction():
        ws.write("participant", old, {"_erase": {"date": "2026-06-01", "reason": OLD_ORDER_TEXT}})
    ws.close()
    ws_arg = str(coord)
    fa("team", "create", ws_arg, "--name", "Team", "--store", str(store), env=env)

    # Free text is refused, with the reason why, and nothing is erased.
    refused = fa("withdraw", ws_arg, "KM-HIV-007", "--yes", "--reason", FREE_TEXT, env=env,
                 check=False)
    assert refused.returncode == 1
    assert "participant_request" in refused.stderr and "could name someone" in refused.stderr
    assert "Traceback" not in refused.stderr
    still = json.loads(fa("record", "list", ws_arg, "participant", env=env).stdout)
    assert [p["code"] for p in still] == ["KM-HIV-007"]

    fa("withdraw", ws_arg, "KM-HIV-007", "--yes", "--reason", "participant_request", env=env)
    audit = json.loads(fa("audit", ws_arg, env=env).stdout)
    (withdrawal,) = [e for e in audit if e["action"] == "consent.withdraw"]
    assert withdrawal["detail"]["reason"] == "participant_request"  # kept here

    fa("sync", "publish", ws_arg, env=env)
    identity = tmp_path / "coordinator.agekey"
    fa("team", "identity", ws_arg, str(identity), env=env)
    (bundle,) = list((store / "team").rglob("*.fab"))
    plain = subprocess.run([age, "-d", "-i", str(identity), str(bundle)], capture_output=True,
                           check=True, timeout=60).stdout
    assert plain.count(b'"_erase"') == 2  # both erase orders travel …
    for needle in ("participant_request", '"reason"', FREE_TEXT, OLD_ORDER_TEXT, NAME):
        assert needle.encode() not in plain, needle  # … without a reason


def test_withdraw_help_says_the_reason_stays_on_the_device(tmp_path: Path) -> None:
    text = " ".join(fa("withdraw", "--help").stdout.split())
    assert "participant_request" in text and "free text is refused" in text
    assert "never sent to the team" in text
