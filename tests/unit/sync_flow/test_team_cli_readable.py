"""What a coordinator reads in a terminal: tables with names and local dates (``--json`` for
scripts), in English or Chinese (aligned by displayed width), the root fingerprint at join and in
``team show``, what was merged from each device, ``team leave``, and helpful ``--help``."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from fieldapp.cli.table import display_width, render
from fieldapp.services import records, sync, team
from fieldapp.store.workspace import Workspace
from tests.cli_child import CLI
from tests.conftest import PASSPHRASE
from tests.unit.sync_flow.test_team_sync import Team


def zh(msgid: str) -> str:
    from fieldapp.i18n import translations_for

    text = translations_for("zh_CN").gettext(msgid)
    assert text != msgid  # an existing, translated message
    return text


def fa(*args: str, lang: str = "en", code: int = 0) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FIELDAPP_PASSPHRASE": PASSPHRASE, "TZ": "Asia/Shanghai"}
    proc = subprocess.run([*CLI, "--lang", lang, *args],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == code, proc.stderr + proc.stdout
    assert "Traceback" not in proc.stderr
    return proc


@pytest.fixture
def t(tmp_path: Path) -> Iterator[Team]:
    with ExitStack() as stack:
        yield Team(tmp_path, stack)


def closed(*workspaces: Workspace) -> list[str]:
    paths = [str(ws.path) for ws in workspaces]
    for ws in workspaces:
        ws.close()
    return paths


def columns_line_up(text: str, header: str) -> None:
    """Every row of the table starts its columns at the header's display columns."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rule = lines[start + 1]
    assert set(rule) <= {"-", " "}
    stops = [i for i, c in enumerate(rule) if c == "-" and (i == 0 or rule[i - 1] == " ")]
    for line in lines[start + 2:]:
        if not line.strip() or set(line) <= {"-", " "}:
            break
        for stop in stops[1:]:
            before = ""
            for char in line:
                if display_width(before) >= stop:
                    break
                before += char
            assert display_width(before) == stop, (line, stop)
            assert before.endswith("  ") or before.endswith(" "), (line, stop)


def test_display_width_counts_wide_characters_twice() -> None:
    assert display_width("王小明") == 6 and display_width("ＡＢ") == 4
    assert display_width("e\u0301") == 1 and display_width("abc") == 3
    table = render(["名字", "x"], [["王小明", "1"], ["Li", "2"]])
    head, rule, a, b = table.splitlines()
    assert display_width(head[:head.index("x")]) == 8  # 王小明 is 6 columns wide, then a gap
    assert display_width(a[:a.index("1")]) == display_width(b[:b.index("2")]) == 8
    assert rule.startswith("------  -")


def test_requests_join_show_and_collect_read_well_in_chinese(t: Team) -> None:
    wang = t.workspace("wang")
    invite = team.invitation(t.coordinator)
    coord, wang_path = closed(t.coordinator, wang)
    # Joining: the root key's fingerprint is shown, and a wrong one stops the join.
    wrong = fa("team", "join", wang_path, "--team-id", invite["team_id"], "--root-key",
               invite["root_key"], "--root-fingerprint", "1111 2222 3333 4444 5555 6666",
               "--name", "王小明", "--store", str(t.store_dir), code=1)
    assert "fingerprint differs" in wrong.stderr
    out = fa("team", "join", wang_path, "--team-id", invite["team_id"], "--root-key",
             invite["root_key"], "--root-fingerprint", invite["root_fingerprint"],
             "--name", "王小明", "--store", str(t.store_dir)).stdout
    assert invite["root_fingerprint"] in out
    device_fp = out.strip().splitlines()[-1].strip()
    # Requests as a table, in Chinese, with the name and a local date.
    listed = fa("team", "requests", coord, lang="zh_CN").stdout
    assert zh("Researcher") in listed and "王小明" in listed and device_fp in listed
    columns_line_up(listed, zh("Researcher"))
    assert json.loads(fa("team", "requests", coord, "--json").stdout)[0]["researcher"] == "王小明"
    (request,) = json.loads(fa("team", "requests", coord, "--json").stdout)
    fa("team", "approve", coord, request["device_id"], "--fingerprint", device_fp)
    # The researcher's `team show`: the root fingerprint to compare.
    shown = fa("team", "show", wang_path).stdout
    assert invite["root_fingerprint"] in shown and device_fp in shown
    # Collect statuses follow the language.
    with Workspace.open(Path(wang_path), PASSPHRASE) as ws:
        records.add_participant(ws, code="KM-HIV-301")
        sync.send(ws)
    collected = fa("sync", "collect", coord, lang="zh_CN").stdout
    assert zh("Merged") in collected and "merged" not in collected and "王小明" in collected
    columns_line_up(collected, zh("Status"))
    again = fa("sync", "collect", coord).stdout
    assert "Already merged" in again
    # What has been merged from each device, to choose revoke --after-seq.
    show = fa("team", "show", coord).stdout
    assert "merged through #1" in show
    helptext = fa("team", "revoke", "--help").stdout
    assert "Without --after-seq" in " ".join(helptext.split())
    assert "team show" in helptext
    joinhelp = " ".join(fa("team", "join", "--help").stdout.split())
    assert "fieldapp team invite" in joinhelp and "read the fingerprint out" in joinhelp


def test_conflicts_and_erasures_are_tables_with_names_and_local_dates(t: Team) -> None:
    alice, bob = t.enrol("alice"), t.enrol("bob")
    org = records.add_organisation(t.coordinator, name_zh="星语康复中心", name_en="Star Centre")
    sync.publish(t.coordinator)
    for ws in (alice, bob):
        sync.receive(ws)
    records.update(alice, "organisation", org, {"name_en": "Star Language Centre"})
    records.update(bob, "organisation", org, {"name_en": "星语 Centre"})
    pid = records.add_participant(alice, code="NN-HIV-009")
    sync.send(alice)
    sync.send(bob)
    sync.collect(t.coordinator)
    records.withdraw_consent(t.coordinator, pid, reason="participant_request")
    coord, *_rest = closed(t.coordinator, alice, bob)
    en = fa("sync", "conflicts", coord).stdout
    assert "alice" in en and "bob" in en and org in en and "Star Language Centre" in en
    assert alice.device_id not in en  # names, not device ids
    columns_line_up(en, "#")
    in_chinese = fa("sync", "conflicts", coord, lang="zh_CN").stdout
    columns_line_up(in_chinese, "#")
    assert "星语 Centre" in in_chinese
    as_json = json.loads(fa("sync", "conflicts", coord, "--json").stdout)
    assert as_json[0]["id"] == org
    erasures = fa("sync", "erasures", coord).stdout
    assert pid in erasures and "alice" in erasures and "bob" in erasures
    assert alice.device_id not in erasures
    zh_erasures = fa("sync", "erasures", coord, lang="zh_CN").stdout
    assert "alice、bob" in zh_erasures or "bob、alice" in zh_erasures
    assert json.loads(fa("sync", "erasures", coord, "--json").stdout)[0]["participant_id"] == pid


def test_leave_from_the_command_line(t: Team) -> None:
    alice = t.enrol("alice")
    pid = records.add_participant(alice, code="GZ-MIG-001")
    coord, alice_path = closed(t.coordinator, alice)
    refused = fa("team", "leave", coord, code=1)
    assert "root key" in refused.stderr
    out = fa("team", "leave", alice_path).stdout
    assert "1 of your changes" in out
    shown = json.loads(fa("record", "show", alice_path, "participant", pid).stdout)
    assert shown["code"] == "GZ-MIG-001"
    fa("team", "show", alice_path, code=1)
