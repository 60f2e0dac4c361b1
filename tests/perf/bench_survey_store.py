"""Saving survey responses in the encrypted workspace. Run: python -m tests.perf survey_store

Figures, each beside a raw ``executemany`` of the same rows (id, instrument, version, answers as
JSON, status, site, researcher) into a plain SQLCipher table with the workspace's pragmas, in
one transaction (goal: ratio <= 3):

1. ``survey_store_batch``: N responses of the bilingual NGO instrument through
   ``services.surveys.add_responses`` (one transaction; every answer checked through the form
   engine, completed);
2. ``survey_store_batch_write_only``: the same, with the form-engine checks timed apart: the
   store's own share (operation log, table, index);
3. ``survey_store_one_by_one``: ``new_response`` + ``save_draft`` + ``complete`` per response,
   as the app does (three commits each, synchronous=FULL), over N/10 responses, scaled to N.
"""

from __future__ import annotations

import json
import random
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlcipher3

from fieldapp.services import surveys
from fieldapp.store.keys import KDF_FLOOR
from fieldapp.store.workspace import Workspace
from fieldapp.survey import FormState
from tests.perf.common import log, report, scaled

FORM = Path(__file__).resolve().parents[2] / "resources" / "instruments" / \
    "ngo_contracting_survey.xlsx"
PROVINCES = {"yunnan": ["kunming", "dali", "honghe"], "guangdong": ["guangzhou", "shenzhen"],
             "sichuan": ["chengdu", "liangshan"], "henan": ["zhengzhou", "zhoukou"]}
NAMES = ["红丝带之家", "星星雨", "新市民服务中心", "阳光康复", "Peer Link", "同心社工"]


def make_answers(rng: random.Random) -> dict[str, Any]:
    province = rng.choice(list(PROVINCES))
    contracts = [{"project_name": f"{rng.choice(NAMES)}项目{i}", "purchaser": "civil_affairs",
                  "contract_year": rng.randint(2014, 2024),
                  "amount": round(rng.uniform(1, 80), 1), "paid_on_time": "yes"}
                 for i in range(rng.randint(0, 3))]
    answers: dict[str, Any] = {
        "consent": "yes",
        "org": {"org_name": rng.choice(NAMES), "org_type": "social_service",
                "founded_year": rng.randint(1990, 2020), "province": province,
                "city": rng.choice(PROVINCES[province]), "staff_fulltime": rng.randint(1, 60),
                "sectors": rng.sample(["hiv", "migrants", "elderly", "community"], 2)},
        "has_contracts": "yes" if contracts else "no",
        "respondent_role": "director", "comments": "谢谢 thanks " * rng.randint(0, 5),
    }
    if contracts:
        answers["contracts_section"] = {"contract": contracts, "satisfaction": "4"}
    return answers


def _plain_db(path: Path) -> sqlcipher3.dbapi2.Connection:
    conn = sqlcipher3.connect(str(path), isolation_level=None)
    conn.execute(f"PRAGMA key = \"x'{secrets.token_hex(32)}'\"")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE response (id TEXT PRIMARY KEY, instrument_id TEXT, version TEXT, "
                 "data TEXT, status TEXT, site TEXT, researcher TEXT)")
    return conn


def run(scale: float) -> None:
    n = scaled(10_000, scale, minimum=20)
    rng = random.Random(11)
    answers = [make_answers(rng) for _ in range(n)]
    links = [{"site": rng.choice(["KM", "GZ", "CD"])} for _ in range(n)]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ws, _recovery = Workspace.initialise(root / "ws", "benchmark passphrase",
                                             kdf=KDF_FLOOR, researcher="Bench")
        iid = surveys.import_instrument(ws, FORM)
        inst = surveys.instrument(ws, iid)
        # What the services store, so the raw baseline writes the same bytes.
        program = FormState(inst).program
        start = time.perf_counter()
        filled = [surveys.fill_state(inst, a, program=program)[0].to_dict() for a in answers]
        checks = time.perf_counter() - start

        plain = _plain_db(root / "plain.db")
        start = time.perf_counter()
        plain.execute("BEGIN")
        plain.executemany("INSERT INTO response VALUES (?, ?, ?, ?, ?, ?, ?)", (
            (secrets.token_hex(16), iid, inst.version, json.dumps(d, ensure_ascii=False),
             "complete", link["site"], "Bench") for d, link in zip(filled, links, strict=True)))
        plain.execute("COMMIT")
        raw = time.perf_counter() - start
        plain.close()

        start = time.perf_counter()
        ids = surveys.add_responses(ws, iid, answers, complete_them=True, links=links)
        ours = time.perf_counter() - start
        assert len(ids) == n == len(surveys.list_responses(ws, status="complete"))
        report("survey_store_batch", ours, "s", raw,
               "raw executemany into plain SQLCipher table", goal="ratio <= 3")
        report("survey_store_batch_write_only", max(ours - checks, 0.0), "s", raw,
               "raw executemany into plain SQLCipher table", goal="ratio <= 3")
        report("survey_form_checks", checks, "s")

        few = max(5, n // 10)
        start = time.perf_counter()
        for a, link in zip(answers[:few], links[:few], strict=True):
            rid = surveys.new_response(ws, iid, **link)
            state, _issues = surveys.fill_state(inst, a, program=program)
            surveys.save_draft(ws, rid, state.to_dict())
            surveys.complete(ws, rid, state)
        one_by_one = (time.perf_counter() - start) * n / few
        report("survey_store_one_by_one", one_by_one, "s", raw,
               "raw executemany into plain SQLCipher table (scaled from "
               f"{few} responses)")
        log(f"{n} responses: batch {ours:.2f} s (form checks {checks:.2f} s), "
            f"raw {raw:.3f} s, one by one ~{one_by_one:.1f} s")
        ws.close()
