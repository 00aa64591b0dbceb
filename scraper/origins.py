"""Which URLs a crawl may ask for: its site's own scheme, host and port (no Scrapy here:
shared by ``scraper.bounds`` and the crawls without Scrapy, ``scraper.direct``)."""

from __future__ import annotations

from urllib.parse import urlsplit

_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) URL, default ports filled in; None for any
    other scheme or a URL whose host or port cannot be read."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in _PORTS or not parts.hostname:
        return None
    try:
        port = parts.port or _PORTS[scheme]
    except ValueError:  # "host:99999" or "host:x"
        return None
    return scheme, parts.hostname.lower(), port


def offsite_reason(url: str, base_url: str, api_url: str | None = None) -> str | None:
    """Why a crawl of ``base_url`` (and of the site's API at ``api_url``, if it has
    one) must not request ``url``, or None when it may."""
    here = origin(url)
    if here is not None and (here == origin(base_url)
                             or (api_url is not None and here == origin(api_url))):
        return None
    also = f" or its API {api_url.rstrip('/')}" if api_url else ""
    return (f"refused {url}: not on the site's base URL {base_url.rstrip('/')}{also} "
            "(a crawl follows links and redirects only to its own scheme, host and port)")
