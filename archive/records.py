"""Frozen records built at the cost of mutable ones, for the code that makes thousands.

A frozen dataclass's ``__init__`` stores every field through ``object.__setattr__``
(its own ``__setattr__`` refuses), ~150 ns a field on this project's machines: 4 us for
a ``Comment``'s 25 fields, about as much as reading the comment from its page (issue
14: an HN page's ``PageComment`` and ``Comment`` records were ~10% of its parse). A
mutable twin with the same slots stores them as plain attributes (~1 us), and the
finished object is then given the real class: CPython allows ``__class__`` assignment
between classes whose instances have the same layout, which the same slots in the same
order make. The result is an ordinary instance of the record class, frozen like any
other (tests/test_records.py holds it equal to ``cls(**fields)``, field by field).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar, cast

T = TypeVar("T")


def quick(cls: type[T]) -> Callable[..., T]:
    """A constructor taking the keywords ``cls`` takes and giving what ``cls(**kw)``
    gives; ``cls`` is a frozen, slotted dataclass."""
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__slots__" not in cls.__dict__:
        raise TypeError(f"quick() needs a frozen dataclass with slots, not {cls.__name__}")
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if hasattr(cls, "__post_init__") or not all(f.init for f in fields):
        # What __post_init__ derives (FetchedPage's sha256) the twin would not: the
        # class's own constructor is the only right one.
        return cls
    specs = []
    for f in fields:
        spec = dataclasses.field(default=f.default, default_factory=f.default_factory,
                                 kw_only=True)
        specs.append((f.name, f.type, spec))

    def __post_init__(self: Any) -> None:
        # The last step of the twin's own __init__: calling the twin gives the record
        # itself, with no wrapper of ours around the call (~0.5 us a record).
        self.__class__ = cls

    twin: type[Any] = dataclasses.make_dataclass(
        cls.__name__, specs, slots=True, kw_only=True,  # errors name the record
        namespace={"__post_init__": __post_init__})
    if twin.__slots__ != cls.__slots__:  # type: ignore[attr-defined]
        raise TypeError(f"quick(): {cls.__name__}'s slots are not its fields in order")
    twin.__doc__ = f"``{cls.__name__}(**fields)``, built through a mutable twin."
    return cast(Callable[..., T], twin)
