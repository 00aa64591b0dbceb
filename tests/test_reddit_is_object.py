"""``answers.is_object`` (the ABC's check skipped for a leaf's "" replies) says what
``isinstance(v, (dict, Mapping))`` says, for every kind of value an answer holds."""

from __future__ import annotations

from collections import OrderedDict, UserDict
from collections.abc import Iterator, Mapping
from types import MappingProxyType

from scraper.parsers.reddit.answers import is_object


class _Odd(Mapping[str, int]):
    def __getitem__(self, key: str) -> int:
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


class _Text(str):
    pass


def test_is_object_is_the_isinstance_test() -> None:
    values: list[object] = [{}, {"kind": "Listing"}, OrderedDict(), UserDict(),
                            MappingProxyType({}), _Odd(), "", "x", _Text(""), None, 0, 1.5,
                            True, [], [{}], (), b"", set(), frozenset()]
    for value in values:
        assert is_object(value) == isinstance(value, (dict, Mapping)), repr(value)
