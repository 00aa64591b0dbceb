"""linkthread's version, in one place: pyproject.toml reads it from here (its
``dynamic`` version), and a crawl's user agent and a WARC's warcinfo name it. Read as a
constant, it spares each crawl's start the importlib.metadata lookup (~15-30 ms)."""

VERSION = "0.1.0"
