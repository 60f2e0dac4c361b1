"""Record ids made in a batch (``new_ids``) are the ids ``new_id`` makes one by one."""

from __future__ import annotations

import itertools
import uuid

from fieldapp.domain.ids import is_id, new_id, new_ids


def test_batch_ids_are_uuid7_in_order_with_single_ones() -> None:
    made = [new_id(), *new_ids(500), new_id(), *new_ids(1), *new_ids(0), new_id()]
    assert len(made) == 504 and len(set(made)) == 504
    assert made == sorted(made)  # time-ordered, also across the two ways of making them
    for text in made:
        parsed = uuid.UUID(text)
        assert is_id(text) and str(parsed) == text
        assert parsed.version == 7 and parsed.variant == uuid.RFC_4122
    # a millisecond apart, as uuid6.uuid7() spaces ids made faster than the clock ticks
    stamps = [int(text.replace("-", "")[:12], 16) for text in made]
    assert all(b > a for a, b in itertools.pairwise(stamps))


def test_batch_ids_are_random() -> None:
    one, two = new_ids(200), new_ids(200)
    tails = {text[15:] for text in one + two}  # after the timestamp and version
    assert len(tails) == 400


def test_every_random_bit_of_a_batch_id_varies() -> None:
    """All 74 random bits of UUIDv7 (12 after the version, 62 after the variant) are random
    in a batch: each is set in some of 400 ids and clear in others."""
    values = [uuid.UUID(text).int for text in new_ids(400)]
    random_bits = (0xFFF << 64) | (2**62 - 1)
    seen_set = seen_clear = 0
    for v in values:
        seen_set |= v & random_bits
        seen_clear |= ~v & random_bits
    assert seen_set == random_bits and seen_clear == random_bits
