"""Operations: the unit of change that the store applies and bundles carry (DESIGN.md §5).

An operation sets one or more fields of one record. Each field of each record is a multi-value
register: an operation *supersedes*, for every field it writes, the operations named in its
``pred`` (the heads it saw). The fields' current heads are therefore a function of the set of
operations alone, never of the order they arrived in; more than one head is a conflict, and the
head with the greatest ``(hlc, device, seq)`` is what the tables show meanwhile.

A superseded value may be hollowed out to null in the log (see ``OpApplier._husk``).

Writing several fields in one operation (where DESIGN.md sketches one field per operation) keeps
a record's creation atomic and the change log a fifth of the size; registers stay per field.

Reserved fields:

``_owner``    the device that created an owned record (set once, at creation)
``_deleted``  a tombstone register (``True`` deleted, ``False`` restored)
``_erase``    a consent-withdrawal erase order on a participant: wins over every past and future
              operation on the participant and everything linked to it
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

OpId = tuple[str, int]

OWNER = "_owner"
DELETED = "_deleted"
ERASE = "_erase"
RESERVED = frozenset({OWNER, DELETED, ERASE})


@dataclass(frozen=True)
class Op:
    device: str
    seq: int
    hlc: str
    entity: str
    entity_id: str
    values: dict[str, Any]
    pred: tuple[OpId, ...] = field(default=())

    @property
    def id(self) -> OpId:
        return (self.device, self.seq)

    def sort_key(self) -> tuple[str, str, int]:
        return (self.hlc, self.device, self.seq)

    def to_dict(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "seq": self.seq,
            "hlc": self.hlc,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "values": self.values,
            "pred": [list(p) for p in self.pred],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Op:
        return cls(
            device=str(data["device"]),
            seq=int(data["seq"]),
            hlc=str(data["hlc"]),
            entity=str(data["entity"]),
            entity_id=str(data["entity_id"]),
            values=dict(data["values"]),
            pred=tuple((str(d), int(s)) for d, s in data.get("pred", ())),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True,
                          separators=(",", ":"))


def dumps_values(values: dict[str, Any]) -> str:
    return json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def dumps_pred(pred: tuple[OpId, ...]) -> str:
    return json.dumps([list(p) for p in sorted(pred)], separators=(",", ":"))


def loads_pred(text: str) -> tuple[OpId, ...]:
    return tuple((str(d), int(s)) for d, s in json.loads(text))
