"""Reddit's OAuth API in a Scrapy crawl: the middleware that signs the spider's requests.

The credentials, the token request and its lifetime, and the user agent are
``scraper.spiders.reddit_token``'s (no Scrapy there: the crawl of threads without Scrapy,
``scraper.direct.reddit``, uses them too); they are named here as well, where the
spider and older code import them from.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from scraper.spiders.reddit_token import (
    AUTH_URL_SETTING,
    CONFIG_SETTING,
    DEFAULT_AUTH_URL,
    EARLY,
    KEYS,
    NEEDED,
    AuthFailed,
    Credentials,
    CredentialsMissing,
    Token,
    config_path,
    fetch_token,
    load_credentials,
    read_token,
    token_request,
    user_agent,
)

__all__ = ["AUTH_URL_SETTING", "CONFIG_SETTING", "DEFAULT_AUTH_URL", "EARLY", "KEYS", "NEEDED",
           "REFUSED_AGAIN", "AuthFailed", "Credentials", "CredentialsMissing", "OAuthMiddleware",
           "Token", "Unauthorized", "config_path", "fetch_token", "load_credentials", "read_token",
           "token_request", "user_agent"]

logger = logging.getLogger(__name__)


class Unauthorized(IgnoreRequest):
    """A request not sent: there is no token (the message says why, for the user)."""


# The API refused the token fetched after a 401 as well: the client, not the token.
REFUSED_AGAIN = ("the API refused a fresh token too (HTTP 401): check that the app is "
                 "approved and the credentials are its own")


class OAuthMiddleware:
    """Signs the requests a spider marks ``meta["oauth"]`` with the bearer token.

    One token for the crawl, fetched (in a thread: the endpoint is not the API's host
    and is asked once an hour) when first needed or when it runs out; a 401 makes the
    next request fetch a new one and the refused request is sent once more, no more.
    A token endpoint that refuses the credentials fails every request after it with
    the same line, without asking again. Installed by the Reddit spider only.

    The requests in flight when the first 401 comes were signed with the same token and
    come back refused too. Until an answer to a request signed with the new token says
    whether the API takes it, one request at a time tries it and the others wait,
    unsent: if it does, they go; if it refuses it too, they fail with that line unsent
    (:data:`REFUSED_AGAIN`), and so does every request after. Each request is refused
    once, not once with each token, and one of them once more: the new token's trial.
    """

    def __init__(self, creds: Credentials, *, auth_url: str, agent: str,
                 wait: float = 180.0) -> None:  # fmt: skip
        self.creds = creds
        self.auth_url = auth_url
        self.agent = agent
        self.wait = wait  # the longest a verdict is waited for (the download timeout)
        self._token: Token | None = None
        self._refused: str | None = None
        self._lock = asyncio.Lock()
        self.fetched = 0  # tokens fetched, for the crawl's stats
        # The token fetched after a 401 (its number, as fetched counts), until an answer
        # to a request it signed says whether the API takes it; set when that is known.
        # Until then one request at a time tries it (``_probing``: one is on its way).
        self._unproven: int | None = None
        self._verdict = asyncio.Event()
        self._verdict.set()
        self._probing = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OAuthMiddleware:
        auth_url = (crawler.settings.get(AUTH_URL_SETTING) or os.environ.get(AUTH_URL_SETTING)
                    or DEFAULT_AUTH_URL)
        return cls(load_credentials(), auth_url=auth_url,
                   agent=crawler.settings.get("USER_AGENT"),
                   wait=crawler.settings.getfloat("DOWNLOAD_TIMEOUT", 180.0))

    async def token(self) -> Token:
        async with self._lock:  # one fetch at a time; the others wait and reuse it
            if self._refused is not None:
                raise Unauthorized(self._refused)
            if self._token is None or not self._token.fresh():
                try:
                    self._token = await asyncio.to_thread(
                        fetch_token, self.creds, auth_url=self.auth_url, agent=self.agent)
                except AuthFailed as e:
                    self._refused = str(e)
                    raise Unauthorized(self._refused) from None
                self.fetched += 1
            return self._token

    async def process_request(self, request: Request) -> None:
        if not request.meta.get("oauth"):
            return
        probe = False
        if not self._verdict.is_set():
            if self._probing:
                # A verdict that never comes (its answer dropped on the way) holds no
                # one for good: past the download timeout, they go with the new token.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._verdict.wait(), self.wait)
            else:
                self._probing = probe = True  # this one tries the new token
        try:
            if self._refused is not None:
                raise Unauthorized(self._refused)
            token = await self.token()
        except Unauthorized:
            if probe:
                self._verdict.set()  # no new token: each waiting request hears why
            raise
        request.headers["Authorization"] = f"bearer {token.value}"
        request.meta["oauth_token"] = self.fetched  # which token signed it, not the token

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if not request.meta.get("oauth"):
            return response
        signed = request.meta.get("oauth_token")
        if signed is not None and signed == self._unproven:
            # The first answer to the new token: the verdict the waiting requests wait for.
            self._unproven, self._probing = None, False
            if response.status == 401:
                self._refused = REFUSED_AGAIN
            self._verdict.set()
            return response
        if response.status != 401:
            return response
        if request.meta.get("oauth_refreshed") or self._refused is not None:
            # Refused with a fresh token too, or after one was: the spider says so.
            return response
        retry = request.replace(dont_filter=True)
        retry.meta["oauth_refreshed"] = True
        del retry.headers["Authorization"]
        if signed == self.fetched and self._verdict.is_set():
            self._token = None  # this token is refused: the next request fetches one
            self._unproven = self.fetched + 1
            self._verdict, self._probing = asyncio.Event(), False
            logger.info("%s: HTTP 401; fetching a new token and asking once more",
                        request.url)
        # (Else signed with the token refused before, or one older than the token the
        # API took since: sent again, once the new token is judged.)
        return retry

    def process_exception(self, request: Request, exception: BaseException) -> None:
        if self._unproven is not None and request.meta.get("oauth_token") == self._unproven:
            # No answer to judge the new token by: the waiting requests go, signed with
            # it, and the first of their answers is the verdict.
            self._verdict.set()
            self._probing = False
