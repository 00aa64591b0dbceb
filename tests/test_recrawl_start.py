"""What an unchanged Reddit re-crawl's start-up leaves out, and the registry's site
classes that are not made again by @dataclass (issue 14, T2: such a re-crawl is mostly
its process's start-up). bench/reddit_api.py measures the time; this proves what is
imported and what the site classes still are, which no load on the machine changes.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive import sites
from tests.conftest import ROOT
from tests.redditapi import RedditAPI, env, make_thread
from tests.server import SiteServer, serve

# Imported by a robots.txt's refusal, a redirect, an interrupted crawl's last line: an
# unchanged re-crawl through the API has none of them.
NOT_FOR_A_RECRAWL = ("scraper.robots_rules", "scraper.origins", "shlex")
LOADED = ("import sys\nfrom scraper.cli import cli\n"
          "try:\n    cli(sys.argv[1:])\nexcept SystemExit as e:\n    assert not e.code, e\n"
          f"print(sorted(set(sys.modules) & {set(NOT_FOR_A_RECRAWL)!r}))")


@pytest.fixture
def api() -> Iterator[RedditAPI]:
    with serve(SiteServer()) as site:
        yield RedditAPI(site)


@pytest.mark.e2e
def test_an_unchanged_recrawl_imports_no_robots_rules_redirect_check_or_shlex(
        api: RedditAPI, tmp_path: Path) -> None:
    api.threads["abc12"] = make_thread(60, seed=4, chain=5)
    db = tmp_path / "a.db"
    full = {**os.environ, "LINKTHREAD_DOWNLOAD_DELAY": "0", "LINKTHREAD_MIN_DELAY": "0",
            **env(api)}

    def loaded() -> str:
        done = subprocess.run([sys.executable, "-c", LOADED, "crawl", "reddit", "abc12",
                               "--db", str(db)], cwd=ROOT, env=full, capture_output=True,
                              text=True, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout.splitlines()[-1]

    assert loaded() == "[]"  # the first crawl
    assert loaded() == "[]"  # unchanged: the same answers, none placed


@pytest.mark.parametrize("name", list(sites.SITES))
def test_a_site_class_is_the_registry_dataclass_without_fields_of_its_own(
        name: str) -> None:
    site = sites.SITES[name]
    cls = type(site)
    # Not re-made by @dataclass (each was ~0.6 ms of every command's start-up): the
    # methods are Site's, and so are the fields, none added.
    assert not {"__init__", "__repr__", "__eq__", "__hash__", "__setattr__"} & set(vars(cls))
    assert cls.__slots__ == () and not hasattr(site, "__dict__")
    assert dataclasses.is_dataclass(site)
    assert [f.name for f in dataclasses.fields(site)] == [
        f.name for f in dataclasses.fields(sites.Site)]  # fmt: skip
    assert repr(site).startswith(f"{cls.__name__}(name={name!r}, ")
    again = dataclasses.replace(site)
    assert again == site and hash(again) == hash(site) and type(again) is cls
    assert dataclasses.replace(site, label="other") != site
    assert pickle.loads(pickle.dumps(site)) == site
    for field in ("name", "politeness"):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(site, field, None)
        with pytest.raises(dataclasses.FrozenInstanceError):
            delattr(site, field)
