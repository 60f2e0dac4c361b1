"""``fieldapp attributes`` and ``fieldapp analysis query --where`` run as a user would: a
separate process on the demo study, passphrase from the environment."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.cli_child import CLI

PASS = "a long enough passphrase"


def run(*args: str, lang: str = "en", ok: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FIELDAPP_PASSPHRASE": PASS, "FIELDAPP_LANG": lang}
    proc = subprocess.run([*CLI, "--lang", lang, *args], capture_output=True, text=True,
                          env=env, timeout=180)
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "demo"
    run("demo", str(path))
    return path


def _ops(path: Path) -> int:
    return len(json.loads(run("record", "list", str(path), "attribute_value").stdout))


def test_define_set_list_query_and_remove(demo: Path) -> None:
    ws = str(demo)
    run("attributes", ws, "define", "budget", "--for", "organisation", "--type", "number",
        "--label-zh", "年度预算", "--label-en", "Annual budget")
    run("attributes", ws, "define", "registration", "--for", "organisation", "--type",
        "choice", "--choices", "registered=已登记|Registered; unregistered=未登记|Not registered")
    listed = json.loads(run("attributes", ws, "list", "--json").stdout)
    assert [(a["name"], a["type"]) for a in listed] == [("budget", "number"),
                                                        ("registration", "choice")]
    assert listed[1]["choices"][1] == {"value": "unregistered", "label_zh": "未登记",
                                       "label_en": "Not registered"}
    out = run("attributes", ws, "set", "budget", "昆明红丝带关爱中心", "1,200,000").stdout
    assert "1200000" in out
    run("attributes", ws, "set", "年度预算", "Kunming Peer Support Group", "80000")
    run("attributes", ws, "set", "registration", "昆明同伴支持小组", "未登记")
    values = json.loads(run("attributes", ws, "values", "--json").stdout)
    assert {v["case"]: v["values"] for v in values} == {
        "Kunming Red Ribbon Care Centre": {"budget": 1200000},
        "Kunming Peer Support Group": {"budget": 80000, "registration": "unregistered"}}

    everything = json.loads(run("analysis", "query", ws, "资金", "--json").stdout)
    rich = json.loads(run("analysis", "query", ws, "资金", "--json",
                          "--where", "budget>=1000000").stdout)
    assert 0 < len(rich["passages"]) < len(everything["passages"])
    assert {p["interview"] for p in rich["passages"]} <= {
        p["interview"] for p in everything["passages"]}
    both = json.loads(run("analysis", "query", ws, "资金", "--json", "--where",
                          "budget>=1000000", "--where", "budget<1000000").stdout)
    assert both["passages"] == []

    out = run("attributes", ws, "remove", "budget").stdout
    assert "2 values" in out
    assert [a["name"] for a in json.loads(run("attributes", ws, "list", "--json").stdout)] == [
        "registration"]


@pytest.mark.parametrize(("args", "lang", "says"), [
    (("set", "joined", "KM-HIV-001", "2024-02-30"), "en", "YYYY-MM-DD"),
    (("set", "staff", "昆明红丝带关爱中心", "many"), "en", "a number"),
    (("set", "status", "昆明红丝带关爱中心", "maybe"), "en", "registered"),
    (("set", "status", "昆明红丝带关爱中心", "maybe"), "zh_CN", "“maybe”"),
    (("set", "staff", "KM-HIV-001", "3"), "en", "organisations"),
    (("define", "annual budget", "--for", "organisation", "--type", "number"), "en",
     "attribute name"),
    (("define", "kind", "--for", "organisation", "--type", "choice", "--choices", "a; A"), "en",
     "twice"),
])
def test_bad_input_is_a_clear_error_and_changes_nothing(demo: Path, args: tuple[str, ...],
                                                        lang: str, says: str) -> None:
    ws = str(demo)
    for name, kind in (("joined", "participant"), ("staff", "organisation")):
        run("attributes", ws, "define", name, "--for", kind, "--type",
            "date" if name == "joined" else "number")
    run("attributes", ws, "define", "status", "--for", "organisation", "--type", "choice",
        "--choices", "registered=已登记|Registered")
    before = _ops(demo), run("attributes", ws, "list", "--json").stdout
    proc = run("attributes", ws, *args, lang=lang, ok=False)
    assert proc.returncode == 1
    assert says in proc.stderr and "Traceback" not in proc.stderr
    assert (_ops(demo), run("attributes", ws, "list", "--json").stdout) == before


def test_a_bad_condition_is_refused_in_the_query(demo: Path) -> None:
    ws = str(demo)
    run("attributes", ws, "define", "staff", "--for", "organisation", "--type", "number")
    proc = run("analysis", "query", ws, "资金", "--where", "staff>=lots", ok=False)
    assert proc.returncode == 1 and "lots" in proc.stderr and "a number" in proc.stderr
    proc = run("analysis", "query", ws, "资金", "--where", "stafff>1", ok=False)
    assert proc.returncode == 1 and "stafff" in proc.stderr and "staff" in proc.stderr
