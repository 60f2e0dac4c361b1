"""Saving survey responses in the encrypted workspace. Run: python -m tests.perf survey_store

Figures (medians of ``--runs``), each beside a raw ``executemany`` of the same rows (id,
instrument, version, answers as JSON, status, site, researcher) into a plain SQLCipher table
with the workspace's pragmas, in one transaction, timed the same way:

1. ``survey_store_batch`` (goal: ratio <= 5): N responses of the bilingual NGO instrument
   through ``services.surveys.add_responses``, fully validated (every answer checked through
   the instrument's compiled form plan, every response validated to complete) and saved
   (operation log, heads, rows) in one transaction.
   Beside it, ``survey_store_floor``: the operations, heads and rows that batch writes,
   inserted as they are (executemany, one transaction) into a fresh workspace: the lower
   bound of any save that keeps the change log and the table (the answers' bytes twice, in
   the operation and in the row; a response's heads as one row of ``created_heads``; the
   table's four indexes). ``survey_store_batch_vs_floor`` is what validation and preparation
   add above it. ``survey_store_floor_per_field``: the same with the heads as a row per field
   (eight per response), as they were kept before migration 0013;
2. ``survey_form_checks``: the validation alone as the batch does it (the instrument
   version's generated validator, ``FormPlan.stored``: the answers to store of every
   response, complete), beside the reference path (``fill_state``: one ``set_answer`` at a
   time, ``validate_all``, ``to_dict``) on the same responses; ``survey_form_plan``: the
   plan's own fill (``fill_complete`` + ``to_dict``, what a response the validator leaves
   goes through), beside the same reference;
3. ``survey_store_one_by_one``: ``new_response`` + ``save_draft`` + ``complete`` per response,
   as the app does (three commits each, synchronous=FULL), over N/20 responses, scaled to N
   (for information).
"""

from __future__ import annotations

import json
import random
import secrets
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlcipher3

from fieldapp.services import surveys
from fieldapp.store.keys import KDF_FLOOR
from fieldapp.store.workspace import Workspace
from fieldapp.survey import FormPlan, fill_state
from tests.heads import every_head
from tests.perf.common import (
    Sample,
    log,
    measure,
    measure_together,
    report,
    report_sample,
    scaled,
)

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
        counter = iter(range(1_000_000))

        def new_workspace() -> tuple[Workspace, str]:
            ws, _recovery = Workspace.initialise(root / f"ws{next(counter)}",
                                                 "benchmark passphrase", kdf=KDF_FLOOR,
                                                 researcher="Bench")
            return ws, surveys.import_instrument(ws, FORM)

        ws, iid = new_workspace()
        inst = surveys.instrument(ws, iid)
        plan = FormPlan(inst)
        fresh = plan.fresh(meta=surveys.desktop_meta(ws))
        # What the services store, so the raw baseline writes the same bytes.
        filled = [plan.fill(a, fresh)[0].to_dict() for a in answers]
        ws.close()

        def raw(conn: sqlcipher3.dbapi2.Connection) -> None:
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO response VALUES (?, ?, ?, ?, ?, ?, ?)", (
                (secrets.token_hex(16), iid, inst.version, json.dumps(d, ensure_ascii=False),
                 "complete", link["site"], "Bench") for d, link in zip(filled, links, strict=True)))
            conn.execute("COMMIT")
            conn.close()

        def save(target: tuple[Workspace, str]) -> None:
            ws, iid = target
            ids = surveys.add_responses(ws, iid, answers, complete_them=True, links=links)
            assert len(ids) == n
            ws.close()

        # The floor: what the batch writes -- its operations, heads and rows, byte for byte,
        # taken from a workspace that saved it -- inserted with executemany into a fresh
        # workspace in one transaction, with nothing computed. No design that keeps the change
        # log (an operation per record) and the readable table goes below.
        ws, iid = new_workspace()
        surveys.add_responses(ws, iid, answers, complete_them=True, links=links)
        written = {table: ws.db.execute(f"SELECT * FROM {table} WHERE {where}").fetchall()
                   for table, where in (
                       ("ops", "entity = 'response'"),
                       ("created_heads", "entity_id IN (SELECT id FROM response)"),
                       ("response", "1"))}
        # The heads as a row per field, as kept before migration 0013.
        per_field = {**written, "heads": [h for h in every_head(ws.db) if h[0] == "response"]}
        del per_field["created_heads"]
        ws.close()
        assert len(written["created_heads"]) == n, "each response's heads in one row"

        def inserted(tables: dict[str, list[Any]]) -> Callable[[tuple[Workspace, str]], None]:
            def insert(target: tuple[Workspace, str]) -> None:
                db = target[0].db
                db.execute("BEGIN IMMEDIATE")
                for table, rows in tables.items():
                    db.executemany(
                        f"INSERT INTO {table} VALUES ({', '.join('?' * len(rows[0]))})", rows)
                db.execute("COMMIT")
                target[0].close()
            return insert

        base, lower, lower_per_field, ours = measure_together(
            (raw, lambda: _plain_db(root / f"plain{next(counter)}.db")),
            (inserted(written), new_workspace), (inserted(per_field), new_workspace),
            (save, new_workspace))
        report_sample("survey_store_floor", lower, base,
                      f"raw executemany into plain SQLCipher table ({len(written['ops'])} "
                      f"operations, {len(written['created_heads'])} rows of created heads, "
                      f"{len(written['response'])} rows written as they are: the lower bound "
                      "of the batch)")
        report_sample("survey_store_floor_per_field", lower_per_field, base,
                      f"raw executemany into plain SQLCipher table (the same with "
                      f"{len(per_field['heads'])} heads, a row per field: the floor before "
                      "migration 0013)")
        report_sample("survey_store_batch", ours, base,
                      "raw executemany into plain SQLCipher table", goal="ratio <= 5",
                      max_ratio=5.0)
        report_sample("survey_store_batch_vs_floor", ours, lower,
                      "the floor (survey_store_floor): what validating and preparing add")

        def checks() -> None:
            plan.forget()  # each run starts with nothing remembered, as a batch does
            fresh = plan.fresh()
            for a in answers:
                assert plan.stored(a, fresh, True) is not None

        def plan_checks() -> None:
            plan.forget()
            fresh = plan.fresh()
            for a in answers:
                state, _issues = plan.fill_complete(a, fresh)
                plan.to_dict(state)

        few = max(5, n // 10)

        def reference_checks() -> None:
            for a in answers[:few]:
                state, _issues = fill_state(inst, a, program=plan.program)
                state.validate_all()
                state.to_dict()

        compiled = measure(checks)
        planned = measure(plan_checks)
        reference = measure(reference_checks)
        reference = Sample(reference.wall * n / few, reference.cpu * n / few,
                           reference.walls, reference.cpus)
        report_sample("survey_form_checks", compiled, reference,
                      f"reference fill_state (scaled from {few} responses)")
        report_sample("survey_form_plan", planned, reference,
                      f"reference fill_state (scaled from {few} responses)")
        report_sample("survey_form_checks_vs_raw", compiled, base,
                      "raw executemany into plain SQLCipher table")

        ws, iid = new_workspace()
        few = max(5, n // 20)
        start = time.perf_counter()
        for a, link in zip(answers[:few], links[:few], strict=True):
            rid = surveys.new_response(ws, iid, **link)
            state, _issues = fill_state(inst, a, program=plan.program)
            surveys.save_draft(ws, rid, state.to_dict())
            surveys.complete(ws, rid, state)
        one_by_one = (time.perf_counter() - start) * n / few
        ws.close()
        report("survey_store_one_by_one", one_by_one, "s", base.wall,
               f"raw executemany into plain SQLCipher table (scaled from {few} responses)")
        log(f"{n} responses: batch {ours.wall:.2f} s (floor {lower.wall:.2f} s = "
            f"{lower.wall / base.wall:.1f}x raw), checks {compiled.wall:.2f} s "
            f"(reference ~{reference.wall:.1f} s), raw {base.wall:.3f} s, "
            f"one by one ~{one_by_one:.1f} s")
