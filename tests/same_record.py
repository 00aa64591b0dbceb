"""A record built by plain slot stores held to the one its class's own constructor
builds: the same class, equal, the same repr, fields, pickle and replace, frozen."""

from __future__ import annotations

import dataclasses
import pickle
from typing import Any

import pytest


def assert_same_record(ours: Any, reference: Any, *, field: str, value: object) -> None:
    """``field`` set to ``value`` through ``dataclasses.replace`` on both, and refused
    as an assignment on ours; the hash compared where the record has one."""
    assert type(ours) is type(reference)
    assert ours == reference
    if type(reference).__hash__ is not None and all(
            not isinstance(v, (dict, list)) for v in dataclasses.astuple(reference)):
        assert hash(ours) == hash(reference)
    assert repr(ours) == repr(reference)
    assert dataclasses.asdict(ours) == dataclasses.asdict(reference)
    assert pickle.loads(pickle.dumps(ours)) == reference
    assert dataclasses.replace(ours, **{field: value}) == \
        dataclasses.replace(reference, **{field: value})
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(ours, field, value)
