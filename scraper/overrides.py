"""``crawl -s NAME=VALUE``: each value checked before the crawl starts.

Scrapy converts a setting's text only when a component reads it, deep inside the
crawl, and a bad value ends there in a traceback. Here each value goes through the
same conversion (Scrapy's own ``getbool``/``getint``/...) that its default's type
calls for, so a bad one is a single line before anything is fetched or stored.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from scrapy.settings import BaseSettings, Settings

# Settings whose default is None (so the default says nothing of their type).
UNSET_TYPES: dict[str, type] = {"LINKTHREAD_CRAWL_DELAY": float}


def check_override(settings: Settings, name: str, value: str) -> str | None:
    """Why ``value`` cannot be the setting ``name``, or None if it can.

    ``settings`` holds the defaults (Scrapy's and the project's), before the override.
    """
    default = settings.get(name)
    if name.endswith("LOG_LEVEL"):
        # A text setting, but only a level's name (or number) is one.
        if value.isdigit() or value in logging.getLevelNamesMapping():
            return None
        return f"{name}={value!r} is not a log level (DEBUG, INFO, WARNING, ERROR)"
    if default is None and name.startswith("LINKTHREAD_") and name not in settings \
            and name not in UNSET_TYPES:
        # Our own names are all known: an unknown one is a typo that would do nothing.
        return f"unknown setting {name}"
    kind = UNSET_TYPES.get(name) if default is None else _kind(default)
    read = _READERS.get(kind) if kind is not None else None
    if kind is None or read is None:
        return None  # a text, or a type Scrapy reads as it is
    probe = BaseSettings({name: value})
    try:
        read(probe, name)
    except (ValueError, TypeError, json.JSONDecodeError):
        return f"{name}={value!r} is not a valid {_WORDS[kind]}"
    return None


def _kind(default: Any) -> type | None:
    # bool before int (True is an int); component dicts are BaseSettings by now.
    for kind in (bool, int, float):
        if isinstance(default, kind):
            return kind
    return dict if isinstance(default, (dict, BaseSettings)) else None


_READERS: dict[type, Callable[[BaseSettings, str], Any]] = {
    bool: BaseSettings.getbool,
    int: BaseSettings.getint,
    float: BaseSettings.getfloat,
    dict: BaseSettings.getdict,
}
_WORDS = {bool: "boolean (0/1, true/false)", int: "whole number", float: "number",
          dict: "JSON object"}
