"""Case attributes travel through real signed, encrypted bundles in a shared folder: the
coordinator's definitions reach the researchers, their values reach the coordinator and the
team, and two researchers who set the same value while apart get one conflict on that value."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from fieldapp.analysis.attributes import Choice
from fieldapp.services import case_attributes, records, sync
from fieldapp.store.check import check
from tests.unit.sync_flow.test_team_sync import Team


@pytest.fixture
def t(tmp_path: Path) -> Iterator[Team]:
    with ExitStack() as stack:
        yield Team(tmp_path, stack)


def test_definitions_and_values_travel_and_a_concurrent_edit_is_a_conflict(t: Team) -> None:
    alice, bob = t.enrol("alice"), t.enrol("bob")
    coordinator = t.coordinator
    org = records.add_organisation(coordinator, name_zh="星语康复中心", name_en="Star Centre")
    case_attributes.define(coordinator, "budget", "organisation", "number",
                           label_zh="年度预算", label_en="Annual budget")
    case_attributes.define(coordinator, "registration", "organisation", "choice",
                           choices=[Choice("registered", "已登记", "Registered"),
                                    Choice("unregistered", "未登记", "Not registered")])
    sync.publish(coordinator)
    for ws in (alice, bob):
        sync.receive(ws)
        assert [a.name for a in case_attributes.list_attributes(ws)] == ["budget",
                                                                        "registration"]
        assert case_attributes.get_attribute(ws, "年度预算").type == "number"

    # Alice records the registration; it reaches the coordinator and then Bob.
    case_attributes.set_value(alice, "registration", org, "未登记")
    sync.send(alice)
    sync.collect(coordinator)
    sync.publish(coordinator)
    sync.receive(bob)
    reg = case_attributes.attribute_id("registration")
    assert case_attributes.values_of(bob, org)[reg] == "unregistered"

    # Both set the budget while apart: one record (ids derived from attribute and case), so
    # one conflict on its value — and none on the attribute or the organisation it names.
    case_attributes.set_value(alice, "budget", org, "1200000")
    case_attributes.set_value(bob, "budget", org, "950000")
    sync.send(alice)
    sync.send(bob)
    sync.collect(coordinator)
    (conflict,) = coordinator.conflicts()
    assert conflict.entity == "attribute_value" and conflict.field == "value"
    assert {v.value for v in conflict.versions} == {1_200_000, 950_000}
    coordinator.resolve("attribute_value", conflict.entity_id, "value", 950_000)
    sync.publish(coordinator)
    for ws in (alice, bob):
        sync.receive(ws)
        assert ws.conflicts() == []
        assert case_attributes.values_of(ws, org)[case_attributes.attribute_id("budget")] == \
            950_000
        assert check(ws).ok


def test_a_definition_made_on_two_devices_while_apart_is_one_attribute(t: Team) -> None:
    alice, bob = t.enrol("alice"), t.enrol("bob")
    case_attributes.define(alice, "staff", "organisation", "number", label_en="Staff")
    case_attributes.define(bob, "Staff", "organisation", "number", label_zh="员工人数")
    sync.send(alice)
    sync.send(bob)
    sync.collect(t.coordinator)
    (attr,) = case_attributes.list_attributes(t.coordinator)
    assert attr.type == "number" and attr.id == case_attributes.attribute_id("staff")
    # the labels each device gave are two versions of the same fields: conflicts to settle
    assert {c.field for c in t.coordinator.conflicts()} >= {"label_zh", "label_en"}


def test_a_withdrawal_erases_participant_values_on_every_device(t: Team) -> None:
    alice = t.enrol("alice")
    case_attributes.define(t.coordinator, "joined", "participant", "date")
    sync.publish(t.coordinator)
    sync.receive(alice)
    pid = records.add_participant(alice, code="KM-HIV-009")
    case_attributes.set_value(alice, "joined", pid, "2018-03-04")
    sync.send(alice)
    sync.collect(t.coordinator)
    assert case_attributes.values_of(t.coordinator, pid)
    records.withdraw_consent(t.coordinator, pid)
    sync.publish(t.coordinator)
    sync.receive(alice)
    for ws in (alice, t.coordinator):
        assert case_attributes.values_of(ws, pid) == {}
        assert ws.db.execute('SELECT count(*) FROM ops WHERE "values" LIKE ?',
                             ("%2018-03-04%",)).fetchone()[0] == 0
