"""Reddit's OAuth credentials and bearer token, with no Scrapy import (beside the
spider, as ``reddit_stubs`` is: a Reddit module): shared by the spider's signing
middleware (``scraper.spiders.reddit_auth``) and the crawl of threads without Scrapy
(``scraper.direct.reddit``).

Reddit serves its data to approved API clients only (the Responsible Builder Policy),
so a crawl of Reddit runs with the user's own app (reddit.com/prefs/apps): a "script"
app's client id and secret with the user's name and password (the password grant), or
a refresh token (the refresh_token grant; an installed app has no secret). They come
from environment variables (``KEYS``: LINKTHREAD_REDDIT_CLIENT_ID ...), each overriding
the same key of the config file (``LINKTHREAD_REDDIT_CONFIG``, else
``~/.config/linkthread/reddit.ini``, section ``[reddit]``).

Secrets stay in this process: never in the archive (the crawl's recorded arguments
hold none), never in a log line, never in a repr. The token is fetched from
``LINKTHREAD_REDDIT_AUTH_URL`` with HTTP basic auth, kept for its lifetime
(``expires_in``, a minute early), and fetched again once when the API answers 401.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from archive.errors import ArchiveError

# urllib.request (with http.client, email and ssl) is imported by fetch_token alone:
# the crawl without Scrapy posts through its own client (scraper.direct.reddit), and
# that import was a tenth of an unchanged re-crawl's CPU.
if TYPE_CHECKING:
    import urllib.request

logger = logging.getLogger(__name__)

AUTH_URL_SETTING = "LINKTHREAD_REDDIT_AUTH_URL"
DEFAULT_AUTH_URL = "https://www.reddit.com/api/v1/access_token"
CONFIG_SETTING = "LINKTHREAD_REDDIT_CONFIG"
# The config file's keys and the environment variable of each.
KEYS = {"client_id": "LINKTHREAD_REDDIT_CLIENT_ID",
        "client_secret": "LINKTHREAD_REDDIT_CLIENT_SECRET",
        "username": "LINKTHREAD_REDDIT_USERNAME", "password": "LINKTHREAD_REDDIT_PASSWORD",
        "refresh_token": "LINKTHREAD_REDDIT_REFRESH_TOKEN"}
# A token is renewed this long before Reddit says it expires: a request signed with it
# must still arrive in time.
EARLY = 60.0
# What a token lives when the endpoint's expires_in cannot be kept (Reddit's were an
# hour); more than a week is not believed either.
DEFAULT_LIFETIME = 3600.0
LONGEST_LIFETIME = 7 * 86400.0

NEEDED = ("Reddit needs your own approved API client: create a 'script' app at "
          "https://www.reddit.com/prefs/apps (and have it approved under Reddit's "
          "Responsible Builder Policy), then set LINKTHREAD_REDDIT_CLIENT_ID and "
          "LINKTHREAD_REDDIT_CLIENT_SECRET with LINKTHREAD_REDDIT_USERNAME and "
          "LINKTHREAD_REDDIT_PASSWORD (or LINKTHREAD_REDDIT_REFRESH_TOKEN), or put them "
          "in {config}")


class CredentialsMissing(ArchiveError):
    """No usable credentials: the one line says what is needed and where to get it."""


class AuthFailed(ArchiveError):
    """Reddit refused the credentials, or the token endpoint could not be reached."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Credentials:
    client_id: str
    client_secret: str = field(default="", repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)

    def grant(self) -> dict[str, str]:
        """The token request's form: a refresh token if there is one, else the password."""
        if self.refresh_token:
            return {"grant_type": "refresh_token", "refresh_token": self.refresh_token}
        assert self.username is not None and self.password is not None
        return {"grant_type": "password", "username": self.username,
                "password": self.password}


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """Where the config file is looked for: LINKTHREAD_REDDIT_CONFIG, else
    $XDG_CONFIG_HOME (or ~/.config)/linkthread/reddit.ini."""
    env = os.environ if env is None else env
    if env.get(CONFIG_SETTING):
        return Path(env[CONFIG_SETTING]).expanduser()
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "linkthread" / "reddit.ini"


def _from_file(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}  # what ConfigParser.read makes of it, without importing it (~10 ms)
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    try:
        read = parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as e:
        # The message names the file and line only, never a value that might be a secret.
        raise CredentialsMissing(f"cannot read {path}: {type(e).__name__}") from None
    if not read or not parser.has_section("reddit"):
        return {}
    return {k: v.strip() for k, v in parser.items("reddit") if k in KEYS and v.strip()}


def load_credentials(env: Mapping[str, str] | None = None) -> Credentials:
    """The user's credentials: each variable of ``KEYS``, else the config file's key.
    CredentialsMissing (one line) if they are not enough for either grant."""
    env = os.environ if env is None else env
    path = config_path(env)
    values = _from_file(path)
    values.update({k: env[name].strip() for k, name in KEYS.items()
                   if env.get(name, "").strip()})
    if not values.get("client_id"):
        raise CredentialsMissing(NEEDED.format(config=path))
    creds = Credentials(**values)
    has_password = bool(creds.username and creds.password and creds.client_secret)
    if not (has_password or creds.refresh_token):
        raise CredentialsMissing(NEEDED.format(config=path))
    return creds


def user_agent(creds: Credentials, version: str) -> str:
    """``<platform>:<app id>:<version> (by /u/<name>)``, as Reddit's API rules ask; the
    name is the account's (LINKTHREAD_REDDIT_USERNAME, which a refresh token may omit)."""
    by = f" (by /u/{creds.username})" if creds.username else ""
    return f"python:linkthread:{version}{by}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Token:
    value: str = field(repr=False)
    expires_at: float  # time.monotonic() when it is to be renewed

    def fresh(self, now: float | None = None) -> bool:
        return (time.monotonic() if now is None else now) < self.expires_at


def token_form(creds: Credentials) -> tuple[bytes, dict[str, str]]:
    """The body and headers (the user agent's apart) of the POST that asks for a token:
    the grant as a form, the client in basic auth."""
    pair = f"{creds.client_id}:{creds.client_secret}".encode()
    return urlencode(creds.grant()).encode(), {
        "Authorization": "Basic " + base64.b64encode(pair).decode("ascii"),
        "Content-Type": "application/x-www-form-urlencoded"}


def token_request(creds: Credentials, *, auth_url: str, agent: str) -> urllib.request.Request:
    """The POST that asks for a token, as urllib sends it (:func:`token_form`)."""
    import urllib.request

    body, headers = token_form(creds)
    return urllib.request.Request(auth_url, data=body, method="POST",
                                  headers={**headers, "User-Agent": agent})


def refusal(auth_url: str, status: int) -> AuthFailed:
    """The endpoint's answer of ``status`` (not 2xx): its one line."""
    why = "the client id or secret" if status == 401 else f"the request (HTTP {status})"
    return AuthFailed(f"Reddit's token endpoint {auth_url} refused {why}")


def unreachable(auth_url: str, reason: object) -> AuthFailed:
    return AuthFailed(f"could not reach Reddit's token endpoint {auth_url}: {reason}")


def read_token(body: bytes, *, now: float) -> Token:
    """A Token from the endpoint's answer; AuthFailed naming Reddit's error if it holds
    none (a wrong password is a 200 with ``{"error": "invalid_grant"}``)."""
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise AuthFailed("Reddit's token endpoint answered something that is not a token")
    if data.get("error"):
        error = str(data.get("error"))[:80]
        raise AuthFailed(f"Reddit refused the credentials ({error}): check the user name "
                         "and password, or the refresh token")
    value = data.get("access_token")
    if not isinstance(value, str) or not value.strip():
        raise AuthFailed("Reddit's token endpoint answered without an access_token")
    return Token(value=value, expires_at=now + max(0.0, _lifetime(data) - EARLY))


def _lifetime(data: dict[str, Any]) -> float:
    """The token's seconds to live; one that cannot be kept (not a number, not above
    the margin it is renewed early by, not finite) is the hour Reddit's tokens live, so
    that it is neither asked for again at every request nor kept for ever."""
    raw = data.get("expires_in", DEFAULT_LIFETIME)
    try:
        lifetime = float(raw) if not isinstance(raw, bool) else math.nan
    except (TypeError, ValueError):
        lifetime = math.nan
    if not math.isfinite(lifetime) or lifetime <= EARLY or lifetime > LONGEST_LIFETIME:
        logger.warning("Reddit's token endpoint gave expires_in %r; the token is kept for "
                       "%.0f s instead", raw, DEFAULT_LIFETIME)
        return DEFAULT_LIFETIME
    return lifetime


def fetch_token(creds: Credentials, *, auth_url: str, agent: str,
                timeout: float = 30.0) -> Token:
    """Ask for a token (blocking: run it in a thread). AuthFailed, one line, on refusal."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(token_request(creds, auth_url=auth_url, agent=agent),
                                    timeout=timeout) as answer:
            body = answer.read(1 << 20)
    except urllib.error.HTTPError as e:
        raise refusal(auth_url, e.code) from None
    except (urllib.error.URLError, OSError) as e:
        raise unreachable(auth_url, getattr(e, "reason", e)) from None
    return read_token(body, now=time.monotonic())


def auth_url(env: Mapping[str, str] | None = None) -> str:
    """Where tokens are asked for: LINKTHREAD_REDDIT_AUTH_URL, else Reddit's endpoint."""
    env = os.environ if env is None else env
    return env.get(AUTH_URL_SETTING) or DEFAULT_AUTH_URL
