"""The Scrapy side of linkthread: spiders, pure parsers, and the pipeline into the archive."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    # Looked up when first asked for (the user agent of a crawl): importlib.metadata
    # costs ~30 ms that every read command, which imports this package for its CLI,
    # would pay at start (tests/test_startup.py).
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("linkthread")
    except PackageNotFoundError:  # running from a checkout that was never installed
        found = "0.0.0"
    globals()["__version__"] = found
    return found
