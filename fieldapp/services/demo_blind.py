"""A made-up team doing blind double coding, for screenshots and tests of the desktop view.

``make_team(root, passphrase)`` builds, through the real services and real bundles in a
shared folder under ``root``: a coordinator's workspace, and two researchers' (林晓 wrote the
interview, 王芳 codes it too). The coordinator assigned the note to both; both coded it and
sent their work; the coordinator collected it, so the Blind coding view has an assignment with
agreement figures and disagreements to adjudicate. Every workspace is closed on return.
"""

from __future__ import annotations

from pathlib import Path

from fieldapp.services import blind, records, sync, team
from fieldapp.store.workspace import Workspace

BODY = ("街道办去年把社区康复服务交给我们做，合同一年一签。资金经常拨付延迟，"
        "机构只能先垫付工资。登记注册以后，和民政局的沟通顺畅多了。")


def make_team(root: Path | str, passphrase: str) -> dict[str, str]:
    root = Path(root)
    store_dir = root / "shared"
    store_dir.mkdir(parents=True, exist_ok=True)
    store = team.StoreConfig(str(store_dir))
    opened: list[Workspace] = []

    def workspace(name: str, researcher: str) -> Workspace:
        ws, _recovery = Workspace.initialise(root / name, passphrase, researcher=researcher)
        opened.append(ws)
        return ws

    try:
        c = workspace("coordinator", "协调人 周")
        team.create_team(c, team_name="福利外包研究", coordinator_name="协调人 周", store=store)
        coders = []
        for name, researcher in (("alice", "林晓"), ("bob", "王芳")):
            ws = workspace(name, researcher)
            invite = team.invitation(c)
            shown = team.request_to_join(ws, team_id=invite["team_id"],
                                         root_key=invite["root_key"], researcher=researcher,
                                         store=store)
            team.approve(c, ws.device_id, shown)
            team.refresh_roster(ws)
            coders.append(ws)
        alice, bob = coders
        contracting = records.add_code(c, name_zh="政府购买", name_en="Service contracting")
        delay = records.add_code(c, name_zh="拨付延迟", name_en="Payment delays")
        registration = records.add_code(c, name_zh="登记注册", name_en="Registration")
        sync.publish(c)
        for ws in coders:
            sync.receive(ws)
        interview = records.add_interview(alice, code="KM-DIS-I007", title="社区康复中心访谈",
                                          site="KM", sector="DIS", date="2026-04-12")
        note = records.add_note(alice, interview, kind="transcript", body=BODY)
        sentence = BODY.index("资金")
        reg = BODY.index("登记")
        records.apply_code(alice, note, contracting, 0, sentence)
        records.apply_code(alice, note, delay, sentence, reg)
        records.apply_code(alice, note, registration, reg, len(BODY))
        second = records.add_interview(alice, code="KM-DIS-I008", title="残联专干访谈",
                                       site="KM", sector="DIS", date="2026-04-15")
        records.add_note(alice, second, kind="field_notes",
                         body="残联的项目评估每年一次，评估结果决定下一年的合同。")
        sync.send(alice)
        sync.collect(c)
        assignment = blind.assign(c, note, alice.device_id, bob.device_id)
        sync.publish(c)
        sync.receive(bob)
        records.apply_code(bob, note, contracting, 0, sentence - 8)
        records.apply_code(bob, note, delay, sentence, reg)
        records.apply_code(bob, note, contracting, reg, len(BODY))
        sync.send(bob)
        sync.collect(c)
        sync.publish(c)
        for ws in coders:
            sync.receive(ws)
        return {"coordinator": str(c.path), "alice": str(alice.path), "bob": str(bob.path),
                "store": str(store_dir), "note": note, "interview": interview,
                "assignment": assignment}
    finally:
        for ws in opened:
            if ws.conn is not None:
                ws.close()
