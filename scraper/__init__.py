"""The Scrapy side of linkthread: spiders, pure parsers, and the pipeline into the archive."""

from __future__ import annotations

from archive.version import VERSION as __version__

__all__ = ["__version__"]
