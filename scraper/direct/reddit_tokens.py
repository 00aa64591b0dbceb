"""The bearer token of a Reddit crawl without Scrapy (``scraper.direct.reddit``).

The spider's rules (``OAuthMiddleware``, ``scraper.spiders.reddit_token``): one token
kept for its lifetime, fetched when first needed and again when it runs out or the
API refuses it. Its POST goes through the crawl's own client (``scraper.direct.fetch``),
in the crawl's thread, whose socket a stop shuts as a page's: not urllib's, whose
import was a tenth of an unchanged re-crawl's CPU.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from scraper.direct.fetch import Http, HttpFailed
from scraper.direct.stop import Stop
from scraper.spiders.reddit_token import (
    AuthFailed,
    Credentials,
    Token,
    read_token,
    refusal,
    token_form,
    unreachable,
)

TOKEN_TIMEOUT = 30.0  # fetch_token's
TOKEN_MAX_BODY = 1 << 20  # what fetch_token reads of an answer at most


def post_token(http: Http, creds: Credentials, *, auth_url: str) -> Token:
    """``fetch_token`` through ``http``: the same POST, the same lines. HttpFailed
    when the request was cut (a stop), AuthFailed (one line) on any other failure."""
    body, headers = token_form(creds)
    try:
        answer = http.post(auth_url, body, headers)
    except HttpFailed as e:
        if http.aborted:
            raise  # the stop's: the caller sees it for what it is
        raise unreachable(auth_url, e) from None
    finally:
        http.close()  # asked once an hour: no connection kept for it
    if not 200 <= answer.status < 300:
        raise refusal(auth_url, answer.status)
    return read_token(answer.body, now=time.monotonic())


@dataclass
class Tokens:
    """One bearer token for the crawl (``OAuthMiddleware``'s rules, without Scrapy)."""

    creds: Credentials = field(repr=False)
    url: str
    agent: str
    stop: Stop = field(default_factory=Stop, repr=False)
    fetched: int = 0
    refused: str | None = None
    _token: Token | None = field(default=None, repr=False)
    _http: Http | None = field(default=None, repr=False)

    def header(self) -> dict[str, str]:
        if self.refused is not None:
            raise AuthFailed(self.refused)  # asked once: every later request fails alike
        if self._token is None or not self._token.fresh():
            self.stop.check()
            if self._http is None:
                self._http = Http(user_agent=self.agent, timeout=TOKEN_TIMEOUT,
                                  max_body=TOKEN_MAX_BODY)
                self.stop.on_stop(self._http.abort)  # a stop shuts the POST's socket
            try:
                self._token = post_token(self._http, self.creds, auth_url=self.url)
            except HttpFailed:
                self.stop.check()  # Stopped: the stop shut the socket under the POST
                raise
            except AuthFailed as e:
                self.refused = str(e)
                raise
            self.fetched += 1
        return {"Authorization": f"bearer {self._token.value}"}

    def drop(self) -> None:
        self._token = None
