"""Reddit's credentials, token and user agent (scraper/spiders/reddit_auth.py), and the
X-Ratelimit budget (scraper/ratelimit.py), without a crawl."""

from __future__ import annotations

import base64
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from scrapy.http import Headers

from scraper.direct.fetch import Http
from scraper.direct.reddit_tokens import post_token
from scraper.middlewares import ratelimit_wait
from scraper.ratelimit import budget_delay
from scraper.spiders.reddit_auth import (
    AuthFailed,
    Credentials,
    CredentialsMissing,
    config_path,
    fetch_token,
    load_credentials,
    read_token,
    token_request,
    user_agent,
)
from tests.redditapi import AUTH_PATH, CLIENT_ID, CLIENT_SECRET, PASSWORD, USERNAME, RedditAPI
from tests.server import SiteServer, serve

NONE = {"LINKTHREAD_REDDIT_CONFIG": "/nonexistent/reddit.ini"}
PASSWORD_ENV = {**NONE, "LINKTHREAD_REDDIT_CLIENT_ID": CLIENT_ID,
                "LINKTHREAD_REDDIT_CLIENT_SECRET": CLIENT_SECRET,
                "LINKTHREAD_REDDIT_USERNAME": USERNAME, "LINKTHREAD_REDDIT_PASSWORD": PASSWORD}


def test_credentials_from_the_environment() -> None:
    creds = load_credentials(PASSWORD_ENV)
    assert creds == Credentials(client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                                username=USERNAME, password=PASSWORD)
    assert creds.grant() == {"grant_type": "password", "username": USERNAME,
                             "password": PASSWORD}


def test_no_secret_shows_in_a_repr() -> None:
    creds = load_credentials({**PASSWORD_ENV, "LINKTHREAD_REDDIT_REFRESH_TOKEN": "rt-1"})
    text = repr(creds)
    assert CLIENT_SECRET not in text and PASSWORD not in text and "rt-1" not in text
    assert creds.grant() == {"grant_type": "refresh_token", "refresh_token": "rt-1"}


def test_the_config_file_and_the_environment_over_it(tmp_path: Path) -> None:
    ini = tmp_path / "reddit.ini"
    ini.write_text("[reddit]\nclient_id = file-id\nclient_secret = file-secret\n"
                   "refresh_token = file-token\nusername = someone\n", "utf-8")
    env = {"LINKTHREAD_REDDIT_CONFIG": str(ini), "LINKTHREAD_REDDIT_USERNAME": "archivist"}
    assert load_credentials(env) == Credentials(
        client_id="file-id", client_secret="file-secret", refresh_token="file-token",
        username="archivist")


def test_the_default_config_path_follows_xdg() -> None:
    assert config_path({"XDG_CONFIG_HOME": "/cfg"}) == Path("/cfg/linkthread/reddit.ini")


@pytest.mark.parametrize("env", [NONE, {**NONE, "LINKTHREAD_REDDIT_CLIENT_ID": "x"},
                                 {k: v for k, v in PASSWORD_ENV.items()
                                  if k != "LINKTHREAD_REDDIT_PASSWORD"}])
def test_missing_credentials_say_what_is_needed_and_where(env: dict[str, str]) -> None:
    with pytest.raises(CredentialsMissing) as e:
        load_credentials(env)
    line = str(e.value)
    assert "\n" not in line
    assert "https://www.reddit.com/prefs/apps" in line and "Responsible Builder" in line
    assert "LINKTHREAD_REDDIT_CLIENT_ID" in line and "/nonexistent/reddit.ini" in line


def test_the_user_agent_reddit_asks_for() -> None:
    creds = load_credentials(PASSWORD_ENV)
    assert user_agent(creds, "1.2.3") == f"python:linkthread:1.2.3 (by /u/{USERNAME})"


def test_the_token_request_is_basic_auth_and_the_grant() -> None:
    req = token_request(load_credentials(PASSWORD_ENV), auth_url="https://x/token",
                        agent="ua")
    assert req.get_method() == "POST"
    pair = base64.b64decode(req.get_header("Authorization").removeprefix("Basic "))
    assert pair.decode() == f"{CLIENT_ID}:{CLIENT_SECRET}"
    assert isinstance(req.data, bytes)
    assert parse_qs(req.data.decode()) == {"grant_type": ["password"],
                                           "username": [USERNAME], "password": [PASSWORD]}


def test_a_token_is_kept_a_minute_short_of_its_lifetime() -> None:
    token = read_token(b'{"access_token": "t", "expires_in": 3600}', now=100.0)
    assert token.expires_at == 100.0 + 3540 and token.fresh(3639.0)
    assert not token.fresh(3640.0)


@pytest.mark.parametrize("body", [b'{"error": "invalid_grant"}', b"<html>", b"[]"])
def test_a_refusal_is_one_line(body: bytes) -> None:
    with pytest.raises(AuthFailed) as e:
        read_token(body, now=0.0)
    assert "\n" not in str(e.value)


def test_fetch_token_from_the_stand_in() -> None:
    with serve(SiteServer()) as site:
        api = RedditAPI(site)
        creds = load_credentials(PASSWORD_ENV)
        token = fetch_token(creds, auth_url=api.auth_url, agent="ua")
        assert api.tokens == ["token-1"] and api.grants == ["password"]
        assert token.value == "token-1"
        wrong = Credentials(client_id=CLIENT_ID, client_secret="nope", username=USERNAME,
                            password=PASSWORD)
        with pytest.raises(AuthFailed, match="refused the client id or secret"):
            fetch_token(wrong, auth_url=api.auth_url, agent="ua")
        bad = Credentials(client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                          username=USERNAME, password="wrong")
        with pytest.raises(AuthFailed, match="invalid_grant"):
            fetch_token(bad, auth_url=api.auth_url, agent="ua")


def test_the_direct_crawls_token_from_the_stand_in_as_fetch_tokens() -> None:
    """scraper.direct.reddit_tokens's POST, through its own client: the same form, the same
    token, the same one-line refusals as urllib's (fetch_token)."""
    with serve(SiteServer()) as site:
        api = RedditAPI(site)
        http = Http(user_agent="ua", timeout=60, max_body=1 << 20)
        creds = load_credentials(PASSWORD_ENV)
        token = post_token(http, creds, auth_url=api.auth_url)
        assert api.tokens == ["token-1"] and api.grants == ["password"]
        assert token.value == "token-1" and token.fresh()
        assert api.agents == {"ua"}
        for wrong, line in [
                (replace(creds, client_secret="nope"), "refused the client id or secret"),
                (replace(creds, password="wrong"), "invalid_grant")]:
            with pytest.raises(AuthFailed) as direct:
                post_token(http, wrong, auth_url=api.auth_url)
            with pytest.raises(AuthFailed) as urllib:
                fetch_token(wrong, auth_url=api.auth_url, agent="ua")
            assert line in str(direct.value)
            assert str(direct.value) == str(urllib.value) and "\n" not in str(direct.value)
            assert "nope" not in str(direct.value) and "wrong" not in str(direct.value)
        base = site.base_url
    with pytest.raises(AuthFailed, match=f"could not reach Reddit's token endpoint {base}"):
        post_token(http, creds, auth_url=base + AUTH_PATH)  # the server is gone


@pytest.mark.parametrize("headers, spread", [
    ({"X-Ratelimit-Remaining": "100.0", "X-Ratelimit-Reset": "60"}, 0.6),
    ({"X-Ratelimit-Remaining": "10", "X-Ratelimit-Reset": "30"}, 3.0),
    ({"X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": "30"}, None),  # a wait: not here
    ({"X-Ratelimit-Remaining": "nan", "X-Ratelimit-Reset": "30"}, None),
    ({}, None),
])
def test_the_budget_spread_over_its_window(headers: dict[str, str],
                                           spread: float | None) -> None:
    assert budget_delay(Headers(headers)) == spread


def test_no_requests_left_waits_for_the_reset() -> None:
    assert ratelimit_wait(Headers({"X-Ratelimit-Remaining": "0.0",
                                   "X-Ratelimit-Reset": "2"})) == 2.0
    assert ratelimit_wait(Headers({"X-Ratelimit-Remaining": "3",
                                   "X-Ratelimit-Reset": "2"})) is None
