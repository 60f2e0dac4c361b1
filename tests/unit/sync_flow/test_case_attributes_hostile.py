"""A bundle signed with an enrolled laptop's real key whose attribute values are of the wrong
type (a dict for a number, a list for a date, a choice nobody defined): the operations are
well-formed, so they merge, and then every reader — conditions, the workbook, the REFI-QDA
project — treats them as no value instead of failing or mis-typing a column."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from openpyxl import load_workbook

from fieldapp.analysis.attributes import Choice
from fieldapp.services import analysis, case_attributes, records, sync
from fieldapp.services.export import ExportOptions, export
from fieldapp.store.check import check
from tests.unit.sync_flow.test_hostile_bundles import Lab, line, own_ops

XSD = Path(__file__).parents[1] / "export" / "refi" / "Project-mrt2019.xsd"


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    with ExitStack() as stack:
        yield Lab(tmp_path, stack)


def test_wrongly_typed_values_from_a_signed_bundle_read_as_no_value(lab: Lab,
                                                                  tmp_path: Path) -> None:
    coordinator = lab.coordinator
    case_attributes.define(coordinator, "budget", "organisation", "number")
    case_attributes.define(coordinator, "founded", "organisation", "date")
    case_attributes.define(coordinator, "registration", "organisation", "choice",
                           choices=[Choice("registered", "已登记", "Registered")])
    sync.publish(coordinator)
    alice = lab.enrol("alice")
    sync.receive(alice)
    org = records.add_organisation(alice, name_zh="星语康复中心", name_en="Star Centre")
    case_attributes.set_values(alice, org, {"budget": 5, "founded": "2020-01-01",
                                            "registration": "registered"})
    code = records.add_code(alice, name_zh="资金")
    interview = records.add_interview(alice, code="KM-DIS-I001", organisation_id=org)
    note = records.add_note(alice, interview, body="经费拨付延迟。")
    records.apply_code(alice, note, code, 0, 4)

    garbage: dict[str, Any] = {case_attributes.attribute_id("budget"): {"x": 1},
                               case_attributes.attribute_id("founded"): ["2020"],
                               case_attributes.attribute_id("registration"): "maybe"}
    ops = own_ops(alice)
    changed = 0
    for op in ops:
        if op["entity"] == "attribute_value":
            op["values"]["value"] = garbage[op["values"]["attribute_id"]]
            changed += 1
    assert changed == 3
    crafted = lab.craft(alice, [line(op) for op in ops], seq=(1, alice.last_seq))
    (result,) = [b for b in sync.collect(coordinator).bundles if b.name.endswith(crafted.name)]
    assert result.status == "merged"
    assert check(coordinator).ok

    # conditions: a dict is not a number, a list not a date, "maybe" not a choice
    for where in ("budget>=0", "budget<0", "founded>=1900-01-01", "registration=registered"):
        found = analysis.run_query(coordinator, "资金", filters=analysis.Filters(where=(where,)))
        assert found.passages == (), where
    assert len(analysis.run_query(coordinator, "资金").passages) == 1

    book_path = tmp_path / "out.xlsx"
    export(coordinator, book_path, ExportOptions(headers="names"))
    book = load_workbook(book_path, read_only=True)
    rows = list(book["Cases (organisations)"].iter_rows(values_only=True))
    head, (row,) = rows[0], rows[1:]
    got = dict(zip(head, row, strict=True))
    assert got["budget"] is None and got["founded"] is None
    assert got["registration"] == "maybe"  # shown as recorded, in a text column
    book.close()

    qdpx = tmp_path / "out.qdpx"
    export(coordinator, qdpx, ExportOptions(format="qdpx"))
    with zipfile.ZipFile(qdpx) as archive:
        root = etree.fromstring(archive.read("project.qde"))
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    assert schema.validate(root), schema.error_log
