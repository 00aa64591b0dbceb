"""The Scrapy side of linkthread: spiders, pure parsers, and the pipeline into the archive."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("linkthread")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0"
