"""The robots.txt of the API's host, read before the first request and obeyed.

HN's API host publishes one (``Allow: /*.json$``, ``Disallow: /``: the API's paths and
nothing else), and a crawler that names itself honestly asks it first, as it does of
the site's pages. RFC 9309 says what an answer means:

* 2xx: its rules decide each URL (Protego, the parser Scrapy uses for the pages);
* 4xx (no file): nothing is forbidden;
* a 5xx or no answer, after the client's retries: everything is, until it can be read
  (the client raises :class:`~scraper.hnapi.client.ApiError` saying so).

A client reads it once and keeps it for :data:`MAX_AGE` (the RFC's day), so a daemon
(``follow``) reads it again now and then.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from protego import Protego

MAX_AGE = 24 * 3600.0  # seconds a reading is kept (RFC 9309 2.4: at most a day)


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def robots_url(base_url: str) -> str:
    return f"{origin_of(base_url)}/robots.txt"


@dataclass(frozen=True, slots=True)
class Rules:
    """One reading of a host's robots.txt. ``parser`` None: there is none (a 4xx)."""

    origin: str
    parser: Protego | None
    read_at: float  # time.monotonic()

    @classmethod
    def read(cls, origin: str, status: int, body: bytes, read_at: float) -> Rules:
        if status >= 400:
            return cls(origin=origin, parser=None, read_at=read_at)
        return cls(origin=origin, parser=Protego.parse(body.decode("utf-8", "replace")),
                   read_at=read_at)

    def refusal(self, url: str, user_agent: str) -> str | None:
        """Why ``url`` must not be asked for, as one line; None if it may be."""
        if self.parser is None or self.parser.can_fetch(url, user_agent):
            return None
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        name = user_agent.split("/", 1)[0].split()[0] if user_agent.strip() else user_agent
        return f"robots.txt of {self.origin} forbids {path} for {name}; not asking for it"
