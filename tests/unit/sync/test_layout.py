from __future__ import annotations

import pytest

from fieldapp.sync import layout


def test_bundle_paths_sort_by_sequence_and_parse_back() -> None:
    h = "0123456789abcdef" * 4
    p1 = layout.bundle_path("dev-1", 1, 99, h)
    p2 = layout.bundle_path("dev-1", 100, 250, h)
    assert p1 == "bundles/dev-1/000000000001-000000000099-0123456789abcdef.fab"
    assert sorted([p2, p1]) == [p1, p2]
    parsed = layout.parse_bundle_file_name(p2.rsplit("/", 1)[1])
    assert parsed == layout.BundleName(100, 250, "0123456789abcdef")
    assert layout.team_bundle_path("c-1", 1, 1, h).startswith("team/c-1/")


@pytest.mark.parametrize("name", [
    "000000000001-000000000099-0123456789abcdef (conflicted copy).fab",
    "000000000001-000000000099-0123456789abcdef (1).fab",
    ".fieldapp-upload-0011.partial",
    "000000000001-000000000099-0123456789abcdef.fab.partial",
])
def test_copies_and_temp_files_are_not_bundles(name) -> None:
    assert layout.parse_bundle_file_name(name) is None


@pytest.mark.parametrize("bad", ["../x", "a/b", "", "x" * 65])
def test_unsafe_ids_are_refused(bad) -> None:
    with pytest.raises(ValueError):
        layout.bundle_path(bad, 1, 1, "0" * 64)
    with pytest.raises(ValueError):
        layout.ack_path("coordinator", bad)


def test_other_paths() -> None:
    assert layout.join_request_path("dev-1") == "join/dev-1.request"
    assert layout.ack_path("c-1", "dev-1") == "acks/dev-1/c-1.ack"
    assert layout.receipt_path("dev-1", "erase-9") == "receipts/dev-1/erase-9.receipt"
    assert layout.roster_version_path(7) == "roster/versions/000007.json"
