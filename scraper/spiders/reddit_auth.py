"""Reddit's OAuth API in a Scrapy crawl: the middleware that signs the spider's requests.

The credentials, the token request and its lifetime, and the user agent are
``scraper.spiders.reddit_token``'s (no Scrapy there: the crawl of threads without Scrapy,
``scraper.direct.reddit``, uses them too); they are named here as well, where the
spider and older code import them from.
"""

from __future__ import annotations

import asyncio
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
           "AuthFailed", "Credentials", "CredentialsMissing", "OAuthMiddleware", "Token",
           "Unauthorized", "config_path", "fetch_token", "load_credentials", "read_token",
           "token_request", "user_agent"]

logger = logging.getLogger(__name__)


class Unauthorized(IgnoreRequest):
    """A request not sent: there is no token (the message says why, for the user)."""


class OAuthMiddleware:
    """Signs the requests a spider marks ``meta["oauth"]`` with the bearer token.

    One token for the crawl, fetched (in a thread: the endpoint is not the API's host
    and is asked once an hour) when first needed or when it runs out; a 401 makes the
    next request fetch a new one and the refused request is sent once more, no more.
    A token endpoint that refuses the credentials fails every request after it with
    the same line, without asking again. Installed by the Reddit spider only.
    """

    def __init__(self, creds: Credentials, *, auth_url: str, agent: str) -> None:
        self.creds = creds
        self.auth_url = auth_url
        self.agent = agent
        self._token: Token | None = None
        self._refused: str | None = None
        self._lock = asyncio.Lock()
        self.fetched = 0  # tokens fetched, for the crawl's stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OAuthMiddleware:
        auth_url = (crawler.settings.get(AUTH_URL_SETTING) or os.environ.get(AUTH_URL_SETTING)
                    or DEFAULT_AUTH_URL)
        return cls(load_credentials(), auth_url=auth_url,
                   agent=crawler.settings.get("USER_AGENT"))

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
        token = await self.token()
        request.headers["Authorization"] = f"bearer {token.value}"
        request.meta["oauth_token"] = self.fetched  # which token signed it, not the token

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status != 401 or not request.meta.get("oauth"):
            return response
        if request.meta.get("oauth_refreshed"):
            return response  # refused with a fresh token too: the spider says so
        if request.meta.get("oauth_token") == self.fetched:
            self._token = None  # this token is refused; a newer one may be out already
        retry = request.replace(dont_filter=True)
        retry.meta["oauth_refreshed"] = True
        del retry.headers["Authorization"]
        logger.info("%s: HTTP 401; fetching a new token and asking once more", request.url)
        return retry
